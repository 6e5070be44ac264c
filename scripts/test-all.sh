#!/usr/bin/env bash
# The whole test suite from nothing: install, then types, lint, unit tests, exporter tests, browser
# tests on the dev server, and browser tests on the built static site (PWA, offline, CSP).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export CI="${CI:-}"

echo "== typecheck"; npm run -s typecheck
echo "== lint"; npx eslint src workers tests
echo "== unit (vitest)"; npx vitest run
echo "== exporter (pytest)"; tools/export/.venv/bin/python -m pytest tools/export/tests -q
echo "== train-tiny: the procedural world and its judge (pytest)"; tools/export/.venv/bin/python -m pytest tools/train-tiny/tests -q
echo "== browser (playwright on the dev server, Debian chromium)"; npx playwright test
echo "== static site (playwright on the production build)"; npm run -s test:static
