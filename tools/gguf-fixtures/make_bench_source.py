"""A large synthetic assembly case for scripts/bench-assemble.mjs (written to a temp dir, never committed):

  OUT/sources/transformer.gguf   FLUX BFL names at the real width (3072) with --double / --single blocks:
                                 block linears Q4_0 (random blocks with sane fp16 scales), the top-level
                                 linears F16, biases and norms F32, like city96's Q4_0 file
  OUT/sources/t5.gguf            one Q8_0 matrix (enc.blk.0.attn_q)
  OUT/sources/clip.safetensors   one F16 vector; OUT/sources/decoder.safetensors one F32 conv
  OUT/template/                  template.json (layouts like tools/export's: MatMulNBits B + fp32 scales for
                                 the block linears, transposed float32 for the F16 ones, float32 for the rest;
                                 64-byte aligned, shards of at most --shard-mb), stand-in graph and tokenizer files
  OUT/source.json                the source description, URLs relative to OUT

The diffusers parameter names and shapes come from FluxTransformer2DModel itself (meta device). Only
the byte counts are realistic; nothing here is a model.

Run: tools/export/.venv/bin/python tools/gguf-fixtures/make_bench_source.py OUT [--double 1] [--single 2]
"""
import argparse
import hashlib
import json
import sys
from pathlib import Path

import gguf
import numpy as np
import torch
from gguf import GGMLQuantizationType as T
from safetensors.numpy import save_file

sys.path.insert(0, str(Path(__file__).parent))
from make_fixtures import bfl_shapes  # noqa: E402

FLOAT_LINEARS = ("time_text_embed.", "context_embedder.", "x_embedder.", "norm_out.", "proj_out.")
F16_PREFIXES = ("img_in.", "txt_in.", "time_in.", "vector_in.", "guidance_in.", "final_layer.")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def q4_0_blocks(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    blocks = rng.integers(0, 256, size=(rows, cols // 32, 18), dtype=np.uint8)
    d = (rng.random((rows, cols // 32)) * 0.02 + 0.001).astype(np.float16)
    blocks[:, :, 0:2] = d.view(np.uint8).reshape(rows, cols // 32, 2)
    return blocks.reshape(rows, cols // 32 * 18)


def write_transformer(path: Path, double: int, single: int, rng: np.random.Generator) -> None:
    w = gguf.GGUFWriter(str(path), "flux")
    for name, shape in bfl_shapes(double, single, 3072, 128).items():
        if len(shape) == 2 and not name.startswith(F16_PREFIXES):
            data = q4_0_blocks(rng, *shape)
            w.add_tensor(name, data, raw_shape=data.shape, raw_dtype=T.Q4_0)
        elif len(shape) == 2:
            w.add_tensor(name, (rng.standard_normal(shape) * 0.02).astype(np.float16), raw_dtype=T.F16)
        else:
            w.add_tensor(name, rng.standard_normal(shape).astype(np.float32), raw_dtype=T.F32)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def entries_for(component: str, params: dict[str, list[int]], quantised) -> list[dict]:
    out = []
    for param, shape in params.items():
        if quantised(param, shape):
            n, k = shape
            out.append(dict(name=param + ".qweight", param=param, encoding="matmulnbits_b", shape=[n, k // 32, 16],
                            param_shape=shape, bits=4, block_size=32, bytes=n * k // 32 * 16))
            out.append(dict(name=param + ".scales", param=param, encoding="matmulnbits_scales", shape=[n * k // 32],
                            param_shape=shape, bits=4, block_size=32, dtype="float32", bytes=n * k // 32 * 4))
        elif len(shape) == 2 and component == "transformer":
            out.append(dict(name=param + ".T", param=param, encoding="float32", shape=[shape[1], shape[0]],
                            param_shape=shape, transpose=True, bytes=4 * shape[0] * shape[1]))
        else:
            out.append(dict(name=param, param=param, encoding="float32", shape=shape, param_shape=shape,
                            transpose=False, bytes=4 * int(np.prod(shape))))
    return out


def place(entries: list[dict], limit: int) -> list[int]:
    shard, cur, sizes = 0, 0, [0]
    for e in entries:
        off = -(-cur // 64) * 64
        if off + e["bytes"] > limit and cur > 0:
            shard, off = shard + 1, 0
            sizes.append(0)
        e["shard"], e["offset"] = shard, off
        cur = off + e["bytes"]
        sizes[shard] = cur
    return sizes


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--double", type=int, default=1)
    ap.add_argument("--single", type=int, default=2)
    ap.add_argument("--shard-mb", type=int, default=1900)
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    (a.out / "sources").mkdir(parents=True, exist_ok=True)
    (a.out / "template").mkdir(parents=True, exist_ok=True)

    write_transformer(a.out / "sources" / "transformer.gguf", a.double, a.single, rng)
    t5 = gguf.GGUFWriter(str(a.out / "sources" / "t5.gguf"), "t5encoder")
    q8 = gguf.quants.quantize(rng.standard_normal((64, 64)).astype(np.float32), T.Q8_0)
    t5.add_tensor("enc.blk.0.attn_q.weight", q8, raw_shape=q8.shape, raw_dtype=T.Q8_0)
    t5.write_header_to_file(); t5.write_kv_data_to_file(); t5.write_tensors_to_file(); t5.close()
    save_file({"text_model.final_layer_norm.weight": rng.standard_normal(64).astype(np.float16)}, str(a.out / "sources" / "clip.safetensors"))
    save_file({"decoder.layers.0.weight": rng.standard_normal((4, 3, 3, 3)).astype(np.float32)}, str(a.out / "sources" / "decoder.safetensors"))

    from diffusers import FluxTransformer2DModel
    config = dict(patch_size=1, in_channels=64, num_layers=a.double, num_single_layers=a.single, attention_head_dim=128,
                  num_attention_heads=24, joint_attention_dim=4096, pooled_projection_dim=768, guidance_embeds=False)
    with torch.device("meta"):
        model = FluxTransformer2DModel(**config)
    flux = {k: list(v.shape) for k, v in model.state_dict().items()}
    layouts = {
        "transformer": entries_for("transformer", flux, lambda p, s: len(s) == 2 and not p.startswith(FLOAT_LINEARS)),
        "t5": [dict(name="q.qweight", param="encoder.block.0.layer.0.SelfAttention.q.weight", encoding="matmulnbits_b",
                    shape=[64, 2, 32], param_shape=[64, 64], bits=8, block_size=32, bytes=64 * 2 * 32),
               dict(name="q.scales", param="encoder.block.0.layer.0.SelfAttention.q.weight", encoding="matmulnbits_scales",
                    shape=[128], param_shape=[64, 64], bits=8, block_size=32, dtype="float32", bytes=128 * 4)],
        "clip": entries_for("clip", {"text_model.final_layer_norm.weight": [64]}, lambda p, s: False),
        "decoder": entries_for("decoder", {"decoder.layers.0.weight": [4, 3, 3, 3]}, lambda p, s: False),
    }
    components = {}
    for c, entries in layouts.items():
        sizes = place(entries, a.shard_mb * 1_000_000)
        graph = f"stand-in graph of {c}".encode()
        (a.out / "template" / f"{c}.onnx").write_bytes(graph)
        components[c] = {"graph": {"path": f"{c}.onnx", "bytes": len(graph), "sha256": sha256(graph)},
                         "external_data": [{"path": f"{c}.onnx.data.{i}", "bytes": n} for i, n in enumerate(sizes)],
                         "inputs": [], "outputs": [], "config": config if c == "transformer" else {}}
    tok = {}
    for t in ("clip", "t5"):
        (a.out / "template" / t).mkdir(exist_ok=True)
        data = json.dumps({"stand-in tokenizer": t}).encode()
        (a.out / "template" / t / "tokenizer.json").write_bytes(data)
        tok[t] = {"files": [{"path": f"{t}/tokenizer.json", "bytes": len(data), "sha256": sha256(data)}], "max_length": 77}
    manifest = {"format": "time-stream-bundle", "format_version": 1, "id": "bench-template", "display_name": "bench",
                "license": "none", "source": "", "precision": "q4", "components": components, "tokenizers": tok,
                "scheduler": {"num_train_timesteps": 1000, "shift": 1.0, "use_dynamic_shifting": False},
                "vae": {"scaling_factor": 1.0, "shift_factor": 0.0, "spatial_factor": 8, "latent_channels": 16},
                "defaults": {"width": 64, "height": 64, "max_sequence_length": 256}}
    (a.out / "template" / "template.json").write_text(json.dumps(
        {"format": "time-stream-template", "format_version": 1, "id": "bench-template", "manifest": manifest, "layouts":
         {c: {"tensors": e} for c, e in layouts.items()}}))
    naming = {"transformer": ("gguf", "flux-bfl"), "t5": ("gguf", "t5-llamacpp"), "clip": ("safetensors", "clip-hf"),
              "decoder": ("safetensors", "taesd-diffusers")}
    source = {"format": "time-stream-source", "format_version": 1, "id": "bench-assembled", "display_name": "Bench assembly",
              "template": "template/template.json", "license": {"name": "none", "url": "https://example.invalid", "summary": "random"},
              "gpu_memory_bytes": 0, "files": [],
              "components": {c: {"url": f"sources/{c}.{'gguf' if f == 'gguf' else 'safetensors'}", "format": f, "naming": n,
                                 "bytes": (a.out / "sources" / f"{c}.{'gguf' if f == 'gguf' else 'safetensors'}").stat().st_size,
                                 "sha256": None} for c, (f, n) in naming.items()}}
    (a.out / "source.json").write_text(json.dumps(source, indent=1))
    total = sum(p.stat().st_size for p in (a.out / "sources").iterdir())
    print(json.dumps({"out": str(a.out), "source_bytes": total, "shards": {c: [f["bytes"] for f in v["external_data"]] for c, v in components.items()}}))


if __name__ == "__main__":
    main()
