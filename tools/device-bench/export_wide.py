"""Export a FLUX.1-schnell transformer at its REAL width with few blocks, 4-bit, graph only.

Runs here (CPU): FluxTransformer2DModel with the real configuration (24 heads x 128 = 3072 wide,
joint_attention_dim 4096, pooled 768, RoPE axes (16, 56, 56)) but `--double`/`--single` blocks
instead of 19/38, random weights, exported with the project's own exporter path (export_torch,
quantize_q4: MatMulNBits bits 4, block 32, fp32 activations, as the q4 bundles). The weights are
then dropped: only the graph (with its external-data references) and the shard sizes travel to the
GPU machine, where fill_random.py writes random shards of the same layout.

    tools/export/.venv/bin/python tools/device-bench/export_wide.py --out .device/wide
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "export"))

from time_stream_export.export_onnx import export_torch, quantize_q4, write_sharded  # noqa: E402

REAL = dict(
    patch_size=1, in_channels=64, attention_head_dim=128, num_attention_heads=24, joint_attention_dim=4096,
    pooled_projection_dim=768, guidance_embeds=False, axes_dims_rope=(16, 56, 56),
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--double", type=int, default=1)
    ap.add_argument("--single", type=int, default=1)
    ap.add_argument("--attention", choices=("fused", "decomposed"), default="fused",
                    help="one MultiHeadAttention node per block (the bundles' graph) or MatMul/Softmax/MatMul (before issue 15)")
    a = ap.parse_args()
    from diffusers import FluxTransformer2DModel

    t0 = time.time()
    torch.manual_seed(0)
    config = dict(REAL, num_layers=a.double, num_single_layers=a.single)
    model = FluxTransformer2DModel(**config).eval()
    params = sum(p.numel() for p in model.parameters())
    print(f"model: {params / 1e6:.1f} M params ({a.double} double + {a.single} single blocks), {time.time() - t0:.0f} s", flush=True)
    onnx_model = export_torch("transformer", model, attention=a.attention)
    del model
    print(f"exported in {time.time() - t0:.0f} s", flush=True)
    onnx_model = quantize_q4(onnx_model)
    print(f"quantized in {time.time() - t0:.0f} s", flush=True)
    graph, shards = write_sharded(onnx_model, a.out, "transformer", copy=False)
    sizes = {p.name: p.stat().st_size for p in shards}
    for p in shards:
        p.unlink()  # random bytes of the same sizes are written on the GPU machine
    info = {"config": config, "attention": a.attention, "params": params, "graph_bytes": graph.stat().st_size, "shards": sizes}
    (a.out / "wide.json").write_text(json.dumps(info, indent=1))
    print(json.dumps(info), f"{time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
