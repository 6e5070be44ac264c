"""Train a small FLUX.1-schnell (real classes, small widths) on a procedural world; see ../README.md."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]  # repository root
sys.path.insert(0, str(ROOT / "tools" / "export"))  # time_stream_export (tokenizers, models, word lists)
os.environ.setdefault("OMP_NUM_THREADS", "1")
