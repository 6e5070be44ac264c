#!/usr/bin/env bash
# Regenerate tests/fixtures/assemble/tiny/ (deterministic; docs/assembly.md):
#   template/   weightless tiny template (graphs + template.json + CLIP tokenizer)
#   sources/    the tiny random weights (seed 0, as public/models/tiny) written as the public files are
#               (GGUF Q4_0 / Q8_0 with BFL / llama.cpp names, safetensors) + the stand-in T5 tokenizer,
#               and faults/ (unknown quant type, truncated, wrong shape)
#   source.json the source description (URLs relative to the repository root, which the test server serves)
#   expected/   the bundle an assembler must write from them (the Python assembler: byte-for-byte oracle)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PY="${PY:-$HERE/.venv/bin/python}"
FX=tests/fixtures/assemble/tiny
cd "$ROOT"
rm -rf "$FX/template" "$FX/sources" "$FX/expected"
"$PY" -m time_stream_export template --size tiny --activations fp32 --out "$FX/template"
"$PY" -m time_stream_export sources --size tiny --seed 0 --out "$FX/sources" --url-prefix "/$FX/sources/" \
  --template-url "/$FX/template/template.json" --description "$FX/source.json"
"$PY" -m time_stream_export fill --template "$FX/template/template.json" --source "$FX/source.json" --out "$FX/expected"
"$PY" -c "
import json; from pathlib import Path; from time_stream_export import assemble as A
fx = Path('$FX'); faults = A.write_fault_ggufs(fx / 'sources/transformer.gguf', fx / 'sources/faults', None)
(fx / 'sources/faults/index.json').write_text(json.dumps(faults, indent=2) + '\n')"
du -sb "$FX"/* | sort -n
echo "build_assemble_fixtures.sh: done"
