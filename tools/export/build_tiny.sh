#!/usr/bin/env bash
# Regenerate the committed tiny bundles and reference fixtures (deterministic):
#   public/models/tiny/, public/models/tiny-q4/, tests/fixtures/reference/tiny/
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
bash "$HERE/setup.sh"
PY="$HERE/.venv/bin/python"
cd "$ROOT"
"$PY" -m time_stream_export --tiny --size tiny --seed 0 --out public/models/tiny
"$PY" -m time_stream_export --tiny --size tiny --seed 0 --quantize q4 --out public/models/tiny-q4
"$PY" -m time_stream_export reference --bundle public/models/tiny --out tests/fixtures/reference/tiny
echo "build_tiny.sh: done"
