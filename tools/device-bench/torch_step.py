"""One denoising step of the FULL FLUX.1-schnell transformer (19 + 38 blocks, 11.9 B params) in
PyTorch bf16 on the GPU, random weights: the native-runtime ceiling the WebGPU numbers are read
against (same FLOP formula as scripts/bench.mjs).

    python3 torch_step.py [--sizes 512,768] [--text 256] [--runs 5]
"""

import argparse
import time

import torch
from diffusers import FluxTransformer2DModel

ap = argparse.ArgumentParser()
ap.add_argument("--sizes", default="512,768")
ap.add_argument("--text", type=int, default=256)
ap.add_argument("--runs", type=int, default=5)
a = ap.parse_args()
cfg = dict(patch_size=1, in_channels=64, num_layers=19, num_single_layers=38, attention_head_dim=128, num_attention_heads=24,
           joint_attention_dim=4096, pooled_projection_dim=768, guidance_embeds=False, axes_dims_rope=(16, 56, 56))
t0 = time.time()
with torch.device("cuda"):
    model = FluxTransformer2DModel(**cfg).to(torch.bfloat16).eval()
params = sum(p.numel() for p in model.parameters())
print(f"{torch.cuda.get_device_name()}: model {params / 1e9:.2f} B params built on the GPU in {time.time() - t0:.0f} s", flush=True)
D = 3072


def flops(S: int, L_txt: int) -> float:
    L = S + L_txt
    return 57 * (24 * L * D * D + 4 * L * L * D) + 2 * L_txt * 4096 * D + 2 * S * 64 * D * 2 + 2 * (256 * D + 2 * D * D + 768 * D) + (24 * 19 + 6 * 38 + 4) * D * D


for size in map(int, a.sizes.split(",")):
    side = size // 16
    S = side * side
    ids = torch.zeros(S, 3, device="cuda")
    ids[:, 1] = torch.arange(S, device="cuda") // side
    ids[:, 2] = torch.arange(S, device="cuda") % side
    args = dict(
        hidden_states=torch.randn(1, S, 64, device="cuda", dtype=torch.bfloat16),
        encoder_hidden_states=torch.randn(1, a.text, 4096, device="cuda", dtype=torch.bfloat16),
        pooled_projections=torch.randn(1, 768, device="cuda", dtype=torch.bfloat16),
        timestep=torch.ones(1, device="cuda", dtype=torch.bfloat16),
        img_ids=ids, txt_ids=torch.zeros(a.text, 3, device="cuda"), return_dict=False,
    )
    times = []
    with torch.no_grad():
        for r in range(a.runs + 1):
            torch.cuda.synchronize()
            t = time.perf_counter()
            model(**args)
            torch.cuda.synchronize()
            if r:
                times.append((time.perf_counter() - t) * 1000)
    med = sorted(times)[len(times) // 2]
    f = flops(S, a.text)
    print(f"  {size}x{size}: median {med:.1f} ms per step over {a.runs} runs, {f / 1e12:.1f} TFLOP -> {f / med / 1e9:.0f} TFLOP/s; "
          f"peak GPU memory {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB", flush=True)
