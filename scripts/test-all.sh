#!/usr/bin/env bash
# The whole test suite from nothing: install, then types, unit tests, exporter tests, browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export CI="${CI:-}"

echo "== typecheck"; npm run -s typecheck
echo "== lint"; npx eslint src workers tests
echo "== unit (vitest)"; npx vitest run
if [ -x tools/export/.venv/bin/python ]; then
  echo "== exporter (pytest)"; tools/export/.venv/bin/python -m pytest tools/export/tests -q
fi
echo "== browser (playwright, Debian chromium)"; npx playwright test
