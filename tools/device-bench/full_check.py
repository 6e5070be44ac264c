"""Runs the FULL-SIZE FLUX.1-schnell template graphs (public/models/flux1-schnell-q4, written by
`tools/export ... template --size full`) with random weights on onnxruntime's CPU provider: proof that
the weightless graphs load at real size (13.9 GB of q4/q8/fp32 shards) and compute finite outputs, and
the time of one transformer step on a 16-core CPU. Each component's random shards are written next to
its graph (fill_random.py's rules), run, then deleted.

    python3 tools/device-bench/full_check.py [--size 256] [--text 256]
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE.parents[1] / "public" / "models" / "flux1-schnell-q4"
ap = argparse.ArgumentParser()
ap.add_argument("--size", type=int, default=256)
ap.add_argument("--text", type=int, default=256)
ap.add_argument("--components", default="clip,decoder,t5,transformer")
ap.add_argument("--template", type=Path, default=TEMPLATE)
a = ap.parse_args()
TEMPLATE = a.template
config = {c: v["config"] for c, v in json.loads((TEMPLATE / "template.json").read_text())["manifest"]["components"].items()}
joint, pooled = config["transformer"]["joint_attention_dim"], config["transformer"]["pooled_projection_dim"]
rng = np.random.default_rng(0)
side = a.size // 16
S = side * side
ids = np.zeros((S, 3), np.float32)
ids[:, 1] = np.arange(S) // side
ids[:, 2] = np.arange(S) % side
clip_ids = np.full((1, 77), 49407, np.int64)
clip_ids[0, :5] = [49406, 320, 1929, 530, 320]
FEEDS = {
    "clip": {"input_ids": clip_ids},
    "t5": {"input_ids": rng.integers(0, config["t5"]["vocab_size"], (1, a.text)).astype(np.int64)},
    "transformer": {
        "hidden_states": rng.standard_normal((1, S, 64), np.float32),
        "encoder_hidden_states": rng.standard_normal((1, a.text, joint), np.float32),
        "pooled_projections": rng.standard_normal((1, pooled), np.float32),
        "timestep": np.ones(1, np.float32),
        "img_ids": ids,
        "txt_ids": np.zeros((a.text, 3), np.float32),
    },
    "decoder": {"latents": rng.standard_normal((1, 16, a.size // 8, a.size // 8), np.float32)},
}
opts = ort.SessionOptions()
opts.log_severity_level = 3
print(f"onnxruntime {ort.__version__}, {os.cpu_count()} CPUs; image {a.size}x{a.size} ({S} tokens), text {a.text} tokens", flush=True)
for c in a.components.split(","):
    graph = TEMPLATE / f"{c}.onnx"
    t = time.time()
    subprocess.run([sys.executable, str(HERE / "fill_random.py"), str(graph)], check=True)
    shards = sorted(TEMPLATE.glob(f"{c}.onnx.data.*"))
    size = sum(p.stat().st_size for p in shards)
    print(f"== {c}: graph {graph.stat().st_size / 1e6:.2f} MB, {len(shards)} shard(s) {size / 1e9:.2f} GB written in {time.time() - t:.0f} s", flush=True)
    t = time.time()
    s = ort.InferenceSession(str(graph), opts, providers=["CPUExecutionProvider"])
    print(f"   session created in {time.time() - t:.1f} s", flush=True)
    for r in range(2):
        t = time.time()
        outs = s.run(None, FEEDS[c])
        print(f"   run {r}: {time.time() - t:.2f} s; outputs {[(o.shape, bool(np.isfinite(o).all())) for o in outs]}", flush=True)
    del s
    for p in shards:
        p.unlink()
