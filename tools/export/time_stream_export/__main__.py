"""Command line: ``python -m time_stream_export [export] ...`` and ``python -m time_stream_export reference ...``.

Examples (from the repository root, with tools/export/.venv):

  # the built-in tiny bundles (random weights, seeded)
  python -m time_stream_export --tiny --seed 0 --out public/models/tiny
  python -m time_stream_export --tiny --seed 0 --quantize q4 --out public/models/tiny-q4
  # a larger random model for benchmarks (not committed)
  python -m time_stream_export --tiny --size mid --out /tmp/mid
  # real weights from a local diffusers-layout folder (never downloads)
  python -m time_stream_export --weights /data/FLUX.1-schnell --quantize q4 --out /data/bundle
  # reference fixtures from the torch modules the bundle was exported from
  python -m time_stream_export reference --bundle public/models/tiny --out tests/fixtures/reference/tiny
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

from . import models as M

warnings.filterwarnings("ignore", category=FutureWarning)
warnings.filterwarnings("ignore", category=DeprecationWarning)

EXPORT_ROOT = Path(__file__).resolve().parent.parent
CACHE = EXPORT_ROOT / ".cache"

TINY_LICENSE = (
    "Apache-2.0 (random weights made by tools/export); CLIP tokenizer vocabulary: MIT (OpenAI CLIP BPE, via "
    "open_clip's bpe_simple_vocab_16e6)"
)
REAL_LICENSE = "FLUX.1-schnell: Apache-2.0; T5-v1.1-XXL: Apache-2.0; CLIP-L: MIT; taef1: MIT"


def random_weights_dir(size: str, seed: int, log=print) -> Path:
    """Build the seeded random components and save them (with tokenizers) as a diffusers-layout folder in
    tools/export/.cache, so export and reference load exactly the same files."""
    from . import tokenizers_build as tb

    out = CACHE / f"random-{size}-seed{seed}"
    tok_dir = CACHE / "tokenizers"
    clip_tok, t5_tok = tok_dir / "clip", tok_dir / "t5"
    tb.write_clip_tokenizer(clip_tok)
    tb.write_t5_tokenizer(t5_tok)
    comp = M.build_random(size, seed)
    M.save_weights_dir(comp, out, clip_tok, t5_tok)
    log(f"random {size} weights (seed {seed}) saved to {out}")
    return out


def tiny_source(size: str, seed: int) -> str:
    return (
        f"random weights, tools/export --tiny --size {size} --seed {seed} (real classes: transformers CLIPTextModel, "
        "T5EncoderModel; diffusers FluxTransformer2DModel, AutoencoderTiny). CLIP tokenizer: the real CLIP BPE "
        "vocabulary. T5 tokenizer: a STAND-IN SentencePiece unigram vocabulary (1000 pieces) trained offline by "
        "tools/export on generated English; it is NOT the real T5 vocabulary."
    )


def cmd_export(argv: list[str]) -> int:
    from . import bundle as B
    from . import export_onnx as ex

    p = argparse.ArgumentParser(prog="python -m time_stream_export", description="Export a Time Stream model bundle.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--weights", type=Path, help="local diffusers-layout folder of real weights (never downloads)")
    src.add_argument("--tiny", action="store_true", help="random weights from small configs of the same classes")
    p.add_argument("--size", choices=sorted(M.SIZES), default="tiny", help="config size for --tiny (tiny|mid)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, required=True, help="bundle folder to write")
    p.add_argument("--quantize", choices=["none", "q4"], default="none")
    p.add_argument("--fp16", action="store_true", help="fp16 weights/activations (not implemented yet)")
    p.add_argument("--shard-limit", type=int, default=ex.DEFAULT_SHARD_LIMIT, help="max bytes per external-data shard")
    p.add_argument("--id", dest="bundle_id", default=None)
    p.add_argument("--display-name", default=None)
    a = p.parse_args(argv)

    if a.fp16:
        print("error: --fp16 is not implemented yet (the bundles are fp32 or q4 with fp32 activations)", file=sys.stderr)
        return 2
    if a.shard_limit < 1024:
        print("error: --shard-limit must be at least 1024 bytes", file=sys.stderr)
        return 2
    t0 = time.time()
    q = a.quantize == "q4"
    if a.tiny:
        wdir = random_weights_dir(a.size, a.seed)
        source = tiny_source(a.size, a.seed)
        license = TINY_LICENSE
        bundle_id = a.bundle_id or f"{a.size}-random-flux-schnell" + ("-q4" if q else "")
        display = a.display_name or (
            f"{a.size.capitalize()} random FLUX.1-schnell (offline test model{', q4' if q else ''})"
        )
        defaults = {"width": 64, "height": 64, "max_sequence_length": 512}
        limits = {"min_size": 32, "max_size": 256}
        info = {"tiny": True, "size": a.size, "seed": a.seed}
    else:
        wdir = a.weights
        source = f"weights folder '{a.weights.name}' (diffusers layout), tools/export --weights"
        license = REAL_LICENSE
        bundle_id = a.bundle_id or "flux1-schnell" + ("-q4" if q else "")
        display = a.display_name or f"FLUX.1-schnell{' (q4)' if q else ''}"
        defaults = {"width": 768, "height": 768, "max_sequence_length": 512}
        limits = {"min_size": 256, "max_size": 1024}
        info = {"tiny": False, "weights_dir": str(a.weights)}
    try:
        comp = M.load_weights_dir(wdir)
    except M.WeightsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    import diffusers
    import onnxruntime
    import torch
    import transformers

    info.update(
        {
            "tool": "tools/export (time_stream_export)",
            "torch": torch.__version__.split("+")[0],
            "diffusers": diffusers.__version__,
            "transformers": transformers.__version__,
            "onnx": __import__("onnx").__version__,
            "onnxruntime": onnxruntime.__version__,
            "opset": ex.OPSET,
            "exporter": "torch.onnx.export(dynamo=True)",
            "shard_limit": a.shard_limit,
        }
    )
    print(f"exporting {bundle_id} -> {a.out}")
    m = B.write_bundle(
        comp,
        a.out,
        bundle_id=bundle_id,
        display_name=display,
        license=license,
        source=source,
        precision="q4" if q else "fp32",
        shard_limit=a.shard_limit,
        defaults=defaults,
        limits=limits,
        export_info=info,
    )
    total = sum(f["bytes"] for f in B.all_files(m))
    print(f"done in {time.time() - t0:.1f}s: {total} bytes, version {m['version'][:16]}")
    for name, st in m["_stats"].items():
        print(f"  ops {name}: {' '.join(st['ops'])}")
    return 0


def cmd_reference(argv: list[str]) -> int:
    from . import reference as R

    p = argparse.ArgumentParser(prog="python -m time_stream_export reference")
    p.add_argument("--bundle", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--weights", type=Path, default=None, help="weights folder (default: rebuild the bundle's random weights)")
    a = p.parse_args(argv)
    t0 = time.time()
    R.write_reference(a.bundle, a.out, a.weights)
    print(f"reference written to {a.out} in {time.time() - t0:.1f}s")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "reference":
        return cmd_reference(argv[1:])
    if argv and argv[0] == "export":
        argv = argv[1:]
    return cmd_export(argv)


if __name__ == "__main__":
    sys.exit(main())
