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
  # templates for the in-browser assembler (docs/assembly.md): graphs without weights + layout
  python -m time_stream_export template --size full --out public/models/flux1-schnell-q4
  # the tiny random weights as public-format files (GGUF, safetensors) + a source description, and the bundle
  # an assembler must make from them (tools/export/build_assemble_fixtures.sh runs all three)
  python -m time_stream_export sources --size tiny --seed 0 --out DIR --template-url URL --url-prefix PREFIX
  python -m time_stream_export fill --template T/template.json --source DIR/source.json --out BUNDLE
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
    p.add_argument("--attention", choices=ex.ATTENTION_MODES, default="fused",
                   help="transformer attention: one MultiHeadAttention node (fused) or MatMul/Softmax/MatMul")
    p.add_argument("--shard-limit", type=int, default=ex.DEFAULT_SHARD_LIMIT, help="max bytes per external-data shard")
    p.add_argument("--id", dest="bundle_id", default=None)
    p.add_argument("--display-name", default=None)
    p.add_argument("--default-size", type=int, default=None,
                   help="the manifest's default width and height (default: 64 for --tiny, 768 for --weights)")
    p.add_argument("--size-limits", type=int, nargs=2, metavar=("MIN", "MAX"), default=None,
                   help="the manifest's pixel limits (default: 32 256 for --tiny, 256 1024 for --weights)")
    p.add_argument("--license", dest="license_text", default=None, help="the manifest's licence text")
    p.add_argument("--source", dest="source_text", default=None, help="the manifest's source text (how the weights were made)")
    a = p.parse_args(argv)

    if a.fp16:
        print("error: --fp16 is not implemented yet (the bundles are fp32 or q4 with fp32 activations)", file=sys.stderr)
        return 2
    if a.shard_limit < 1024:
        print("error: --shard-limit must be at least 1024 bytes", file=sys.stderr)
        return 2
    if a.size_limits and not (16 <= a.size_limits[0] <= a.size_limits[1]):
        print("error: --size-limits MIN MAX needs 16 <= MIN <= MAX", file=sys.stderr)
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
    if a.default_size:
        defaults = {**defaults, "width": a.default_size, "height": a.default_size}
    if a.size_limits:
        limits = {"min_size": a.size_limits[0], "max_size": a.size_limits[1]}
    if not limits["min_size"] <= defaults["width"] <= limits["max_size"]:
        print(f"error: the default size {defaults['width']} is outside the limits {limits}", file=sys.stderr)
        return 2
    license = a.license_text or license
    source = a.source_text or source
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
            "attention": a.attention,
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
        attention=a.attention,
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


def cmd_template(argv: list[str]) -> int:
    from . import export_onnx as ex
    from . import template as T

    p = argparse.ArgumentParser(prog="python -m time_stream_export template",
                                description="Write a weightless template (graphs + layout) for the assembler.")
    p.add_argument("--size", choices=["tiny", "mid", "full"], required=True)
    p.add_argument("--activations", choices=["fp32", "fp16"], default="fp32",
                   help="fp16: the transformer's quantised linears compute in float16 (needs shader-f16); the rest stays fp32")
    p.add_argument("--shard-limit", type=int, default=ex.DEFAULT_SHARD_LIMIT)
    p.add_argument("--out", type=Path, required=True)
    a = p.parse_args(argv)
    t0 = time.time()
    print(f"template {a.size} -> {a.out}")
    T.write_template(a.size, a.out, activations=a.activations, shard_limit=a.shard_limit)
    print(f"done in {time.time() - t0:.1f}s")
    return 0


def cmd_sources(argv: list[str]) -> int:
    import json

    from . import assemble as A
    from . import tokenizers_build as tb

    p = argparse.ArgumentParser(prog="python -m time_stream_export sources",
                                description="Random seeded weights written as the public files are (GGUF, safetensors).")
    p.add_argument("--size", choices=sorted(M.SIZES), default="tiny")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, required=True, help="folder for the weight files")
    p.add_argument("--url-prefix", required=True, help="URL of --out as the source description names it (ends with /)")
    p.add_argument("--template-url", required=True)
    p.add_argument("--description", type=Path, required=True, help="source.json to write")
    a = p.parse_args(argv)
    tok = CACHE / "tokenizers" / "t5"
    tb.write_t5_tokenizer(tok)
    desc = A.write_sources(M.build_random(a.size, a.seed), a.out, tok, a.url_prefix)
    full = {
        "format": "time-stream-source", "format_version": 1,
        "id": f"{a.size}-random-flux-schnell-assembled",
        "display_name": f"{a.size.capitalize()} random FLUX.1-schnell (assembled from GGUF/safetensors)",
        "template": a.template_url,
        "license": {"name": "Apache-2.0", "url": "https://www.apache.org/licenses/LICENSE-2.0",
                    "summary": f"random weights made by tools/export (--size {a.size} --seed {a.seed})"},
        "gpu_memory_bytes": 100_000_000,
        **desc,
    }
    a.description.parent.mkdir(parents=True, exist_ok=True)
    a.description.write_text(json.dumps(full, indent=2) + "\n", encoding="utf-8")
    return 0


def cmd_fill(argv: list[str]) -> int:
    from . import assemble as A

    p = argparse.ArgumentParser(prog="python -m time_stream_export fill",
                                description="Template + source files -> bundle (what the browser's assembler writes).")
    p.add_argument("--template", type=Path, required=True)
    p.add_argument("--source", type=Path, required=True, help="source description (time-stream-source)")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--root", type=Path, default=EXPORT_ROOT.parents[1], help="where '/...' URLs point (the repository)")
    a = p.parse_args(argv)
    m = A.fill(a.template, a.source, a.out, a.root)
    print(f"bundle {m['id']} version {m['version'][:16]} -> {a.out}")
    return 0


def cmd_fp16_check(argv: list[str]) -> int:
    from . import precision_check as P

    return P.main(argv)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "reference":
        return cmd_reference(argv[1:])
    cmds = {"template": cmd_template, "sources": cmd_sources, "fill": cmd_fill, "fp16-check": cmd_fp16_check}
    if argv and argv[0] in cmds:
        return cmds[argv[0]](argv[1:])
    if argv and argv[0] == "export":
        argv = argv[1:]
    return cmd_export(argv)


if __name__ == "__main__":
    sys.exit(main())
