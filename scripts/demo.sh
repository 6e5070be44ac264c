#!/usr/bin/env bash
# Installs everything, then serves the app on its built-in offline model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PORT="${PORT:-5173}"
echo "Time Stream: open http://127.0.0.1:${PORT}/ (built-in offline model; Ctrl-C to stop)"
exec npx vite --port "$PORT" --strictPort
