"""python -m train_tiny {train,judge,judge-onnx,measure,ort-check,weights} ... (run from tools/train-tiny, see ../README.md)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ["OMP_NUM_THREADS"] = "1"


def main(argv: list[str]) -> int:
    import torch

    torch.set_num_threads(1)
    p = argparse.ArgumentParser(prog="python -m train_tiny")
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="autoencoder, then text encoders + transformer; resumes from OUT's checkpoints")
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--ae-steps", type=int, default=2000)
    t.add_argument("--steps", type=int, default=5000)
    t.add_argument("--batch", type=int, default=48)
    j = sub.add_parser("judge", help="fit the judge on ground-truth pictures and measure it on held-out ones")
    j.add_argument("--out", type=Path, required=True, help="judge file to write (.pt)")
    m = sub.add_parser("measure", help="subject recognition and slider walks of a trained weights folder")
    m.add_argument("--weights", type=Path, required=True)
    m.add_argument("--judge", type=Path, required=True)
    m.add_argument("--steps", type=int, default=3)
    m.add_argument("--strength", type=float, default=2.0)
    m.add_argument("--iterations", type=int, default=200)
    m.add_argument("--out", type=Path, default=None, help="folder for the walk strips and metrics.json")
    o = sub.add_parser("ort-check", help="walks through an exported bundle in onnxruntime vs FluxPipeline in torch")
    o.add_argument("--bundle", type=Path, required=True)
    o.add_argument("--weights", type=Path, required=True)
    o.add_argument("--judge", type=Path, required=True)
    jo = sub.add_parser("judge-onnx", help="the fitted judge as one ONNX file (for the browser tests), checked on ground truth")
    jo.add_argument("--judge", type=Path, required=True)
    jo.add_argument("--out", type=Path, required=True, help=".onnx file to write")
    c = sub.add_parser("weights", help="EMA weights of a run's latest checkpoint as a diffusers-layout folder")
    c.add_argument("--run", type=Path, required=True)
    c.add_argument("--out", type=Path, required=True)
    c.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)

    if a.cmd == "train":
        from . import train as T

        T.train_flow(a.out, seed=a.seed, ae_steps=a.ae_steps, steps=a.steps, batch=a.batch,
                     log=lambda s: print(s, flush=True))
    elif a.cmd == "judge":
        from . import judge as J

        net = J.fit(log=lambda s: print(s, flush=True))
        acc = J.evaluate(net)
        J.save(net, a.out)
        print(json.dumps(acc.__dict__))
    elif a.cmd == "measure":
        from . import measure as Me

        r = Me.measure(a.weights, a.judge, steps=a.steps, strength=a.strength, iterations=a.iterations, out=a.out)
        print(json.dumps(r, indent=1))
    elif a.cmd == "ort-check":
        from . import measure as Me

        print(json.dumps(Me.ort_check(a.bundle, a.weights, a.judge), indent=1))
    elif a.cmd == "judge-onnx":
        from . import judge as J

        net = J.load(a.judge)
        J.export_onnx(net, a.out)
        print(f"{a.out}: {a.out.stat().st_size} bytes")
        print(json.dumps(J.onnx_agreement(a.out, net)))
    elif a.cmd == "weights":
        from . import train as T

        print(f"flow step {T.weights_from_checkpoint(a.run, a.out, a.seed)} -> {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
