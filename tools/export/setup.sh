#!/usr/bin/env bash
# Create tools/export/.venv and install the pinned requirements (idempotent).
# Skips the install when .venv/.requirements.sha256 matches requirements.txt.
# Uses pip as configured on the machine (PyPI / local mirrors); no other downloads.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${TIME_STREAM_EXPORT_VENV:-$HERE/.venv}"
REQ="$HERE/requirements.txt"
STAMP="$VENV/.requirements.sha256"
PYTHON="${PYTHON:-python3}"

want="$( (cat "$REQ"; "$PYTHON" -c 'import sys; print(sys.version_info[:2])') | sha256sum | cut -d' ' -f1)"
if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
  echo "setup.sh: $VENV is up to date"
  exit 0
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  "$PYTHON" -m venv "$VENV"
fi
rm -f "$STAMP"
"$VENV/bin/python" -m pip install -r "$REQ"
# Make `python -m time_stream_export` importable from anywhere (a .pth file instead of an
# editable install: no build backend needed, works offline).
SITE="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
echo "$HERE" > "$SITE/time_stream_export.pth"
"$VENV/bin/python" -c 'import torch, diffusers, transformers, onnx, onnxruntime; print("torch", torch.__version__, "diffusers", diffusers.__version__, "transformers", transformers.__version__, "onnx", onnx.__version__, "ort", onnxruntime.__version__)'
echo "$want" > "$STAMP"
echo "setup.sh: ready ($VENV)"
