"""Write the small GGUF / FLUX-name fixtures used by tests/unit/assemble-*.test.ts.

Run from the repo root:

    tools/export/.venv/bin/python tools/gguf-fixtures/make_fixtures.py

Everything is deterministic (fixed seeds), so rerunning rewrites identical files. Output:
tests/fixtures/gguf/

* tiny.gguf            GGUF v3, default alignment 32: metadata of every value type (incl. arrays,
                       a nested array, a u64 above 2^53, a key longer than 64 bytes) and tensors of
                       type Q4_0, Q8_0, F16, F32, BF16, Q4_1, Q4_K (some odd sizes for padding).
* aligned64_v2.gguf    GGUF v2 (version field patched: v2 and v3 share the layout), alignment 64.
* <tensor>.f32         for every tensor of tiny.gguf: gguf.quants.dequantize(...) as raw
                       little-endian float32, row-major in PyTorch order (ne reversed).
* index.json           what the files hold (expected header, metadata and tensor table).
* f32_to_f16.f32/.f16  float32 inputs and numpy's round-to-nearest-even float16 bits.
* flux_convert_map.json   diffusers' convert_flux_transformer_checkpoint_to_diffusers run on a fake
                          BFL checkpoint whose values are row indices, full FLUX.1-schnell config:
                          for every diffusers tensor, the BFL source and the source rows it took.
* flux_diffusers_shapes.json  FluxTransformer2DModel state-dict shapes for the full config
                              (meta device) and for a small config (2 double, 2 single, inner 64).
"""

from __future__ import annotations

import json
from pathlib import Path

import gguf
import numpy as np
import torch
from gguf import GGMLQuantizationType as T
from gguf import GGUFValueType as V

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "fixtures" / "gguf"

LONG_KEY = "time_stream.fixture." + "a_key_name_that_is_longer_than_sixty_four_bytes_" * 2
LONG_TENSOR = "single_blocks.0." + "tensor_name_longer_than_sixty_four_bytes_" * 2 + "weight"


def safe(name: str) -> str:
    return name.replace("/", "_")


def weights(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Normal weights with a different scale per row, some outliers, a zero row and a tie block."""
    x = rng.standard_normal(shape).astype(np.float32)
    x *= np.exp(rng.uniform(-6, 3, size=(shape[0],) + (1,) * (len(shape) - 1))).astype(np.float32)
    if shape[0] > 3 and len(shape) == 2 and shape[1] >= 32:
        x[1] = 0.0  # d == 0 blocks
        x[2, :32] = np.linspace(-1, 1, 32, dtype=np.float32)  # evenly spread block
        x[3, 5] = 1e4  # outlier dominating its block
    return x


def tensor_entry(name: str, qtype: T, shape: tuple[int, ...], data: np.ndarray) -> dict:
    ref = gguf.quants.dequantize(data, qtype).astype(np.float32).reshape(shape)
    ref_file = safe(name) + ".f32"
    (OUT / ref_file).write_bytes(ref.astype("<f4").tobytes())
    block, type_size = gguf.GGML_QUANT_SIZES[qtype]
    return {
        "name": name,
        "type": int(qtype),
        "type_name": qtype.name,
        "shape": list(shape),  # PyTorch order
        "dims": list(reversed(shape)),  # GGUF ne order, ne[0] innermost
        "bytes": int(np.prod(shape)) // block * type_size,
        "reference": ref_file,
    }


def add_metadata(w: gguf.GGUFWriter) -> dict:
    meta: dict = {"general.architecture": ["STRING", "flux"]}

    def add(key: str, vtype: V, value, sub_type: V | None = None, json_value=None):
        w.add_key_value(key, value, vtype, sub_type=sub_type)
        meta[key] = [vtype.name, value if json_value is None else json_value]

    add("general.name", V.STRING, "Time Stream GGUF fixture ✓ (utf-8: äöü, 日本)")
    add("fixture.u8", V.UINT8, 250)
    add("fixture.i8", V.INT8, -120)
    add("fixture.u16", V.UINT16, 65000)
    add("fixture.i16", V.INT16, -32000)
    add("fixture.u32", V.UINT32, 4_000_000_000)
    add("fixture.i32", V.INT32, -2_000_000_000)
    add("fixture.f32", V.FLOAT32, 0.15625)
    add("fixture.u64", V.UINT64, 2**63 + 5, json_value=str(2**63 + 5))
    add("fixture.u64_small", V.UINT64, 123456789)
    add("fixture.i64", V.INT64, -(2**40) - 7)
    add("fixture.f64", V.FLOAT64, 3.141592653589793)
    add("fixture.true", V.BOOL, True)
    add("fixture.false", V.BOOL, False)
    add("fixture.empty_string", V.STRING, "")
    add(LONG_KEY, V.STRING, "long key ok")
    add("fixture.arr_i32", V.ARRAY, [1, -2, 3, 2_000_000_000], sub_type=V.INT32)
    add("fixture.arr_f32", V.ARRAY, [0.5, -1.25, 1e-3], sub_type=V.FLOAT32)
    add("fixture.arr_u8", V.ARRAY, [0, 7, 255], sub_type=V.UINT8)
    add("fixture.arr_u64", V.ARRAY, [1, 2**53 + 1], sub_type=V.UINT64, json_value=["1", str(2**53 + 1)])
    add("fixture.arr_bool", V.ARRAY, [True, False, True], sub_type=V.BOOL)
    add("fixture.arr_str", V.ARRAY, ["a", "", "tokens ▁x", "z" * 100], sub_type=V.STRING)
    add("fixture.arr_nested", V.ARRAY, [[1, 2], [3]], sub_type=V.ARRAY)
    return meta


def build_tiny(rng: np.random.Generator) -> dict:
    path = OUT / "tiny.gguf"
    w = gguf.GGUFWriter(str(path), "flux")
    meta = add_metadata(w)
    tensors = []

    def add_quant(name: str, qtype: T, shape: tuple[int, ...], x: np.ndarray):
        data = gguf.quants.quantize(x, qtype)
        w.add_tensor(name, data, raw_shape=data.shape, raw_dtype=qtype)
        tensors.append(tensor_entry(name, qtype, shape, data))

    add_quant("double_blocks.0.img_attn.qkv.weight", T.Q4_0, (48, 96), weights(rng, (48, 96)))
    add_quant("txt_in.q8.weight", T.Q8_0, (40, 64), weights(rng, (40, 64)))
    add_quant("img_in.weight", T.F16, (8, 24), weights(rng, (8, 24)).clip(-6e4, 6e4).astype(np.float16).astype(np.float32))
    add_quant("final_layer.linear.bias", T.F32, (17,), rng.standard_normal(17).astype(np.float32))
    add_quant("bf16.weight", T.BF16, (4, 32), weights(rng, (4, 32)))
    add_quant("three_d.f32", T.F32, (2, 3, 5), rng.standard_normal((2, 3, 5)).astype(np.float32))
    add_quant(LONG_TENSOR, T.F32, (4,), np.arange(4, dtype=np.float32))
    add_quant("q4_1.weight", T.Q4_1, (4, 32), weights(rng, (4, 32)))
    # gguf-py cannot quantise K-quants: random Q4_K blocks (size 144 per 256) with sane d / dmin
    q4k = rng.integers(0, 256, size=(2, 144), dtype=np.uint8)
    q4k[:, 0:4] = np.array([0.01, 0.001], dtype=np.float16).view(np.uint8)
    w.add_tensor("q4_k.weight", q4k, raw_shape=q4k.shape, raw_dtype=T.Q4_K)
    tensors.append(tensor_entry("q4_k.weight", T.Q4_K, (2, 256), q4k))

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    raw = path.read_bytes()
    reader = gguf.GGUFReader(str(path))
    offsets = {t.name: int(t.data_offset) for t in reader.tensors}
    for t in tensors:
        t["abs_offset"] = offsets[t["name"]]
    return {
        "file": path.name,
        "size": len(raw),
        "version": 3,
        "alignment": 32,
        "data_offset": int(reader.data_offset),
        "metadata": meta,
        "tensors": tensors,
    }


def build_v2_aligned(rng: np.random.Generator) -> dict:
    path = OUT / "aligned64_v2.gguf"
    w = gguf.GGUFWriter(str(path), "flux")
    w.add_custom_alignment(64)
    tensors = []
    for name, qtype, shape in [
        ("a.f32", T.F32, (3,)),
        ("b.q8_0", T.Q8_0, (2, 32)),
        ("c.f16", T.F16, (5,)),
        ("d.q4_0", T.Q4_0, (3, 64)),
    ]:
        x = rng.standard_normal(shape).astype(np.float32)
        if qtype == T.F16:
            x = x.astype(np.float16).astype(np.float32)
        data = gguf.quants.quantize(x, qtype)
        w.add_tensor(name, data, raw_shape=data.shape, raw_dtype=qtype)
        entry = tensor_entry(name, qtype, shape, data)
        (OUT / entry["reference"]).unlink()  # tiny.gguf references cover the values
        del entry["reference"]
        tensors.append(entry)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    raw = bytearray(path.read_bytes())
    raw[4:8] = (2).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    reader = gguf.GGUFReader(str(path))
    offsets = {t.name: int(t.data_offset) for t in reader.tensors}
    for t in tensors:
        t["abs_offset"] = offsets[t["name"]]
    return {
        "file": path.name,
        "size": len(raw),
        "version": 2,
        "alignment": 64,
        "data_offset": int(reader.data_offset),
        "tensors": tensors,
    }


def build_f16_cases(rng: np.random.Generator) -> None:
    specials = [0.0, -0.0, 1.0, -1.0, 65504.0, 65519.99, 65520.0, -65520.0, 1e10, np.inf, -np.inf,
                2.0**-24, 2.0**-25, 1.5 * 2.0**-25, 2.0**-26, 2.0**-14, 2.0**-14 - 2.0**-24,
                1 + 2.0**-11, 1 + 3 * 2.0**-11, 1 + 2.0**-11 + 2.0**-20, 0.1, 1 / 3, 3.14159]
    # random bit patterns over the whole exponent range around fp16's, plus ties
    bits = rng.integers(0, 2**32, size=4000, dtype=np.uint64).astype(np.uint32)
    exps = rng.integers(127 - 30, 127 + 20, size=4000).astype(np.uint32)
    bits = (bits & np.uint32(0x807FFFFF)) | (exps << np.uint32(23))
    ties = (rng.integers(0, 2**32, size=500, dtype=np.uint64).astype(np.uint32) & np.uint32(0xC7FFE000)) | np.uint32(0x1000)
    x = np.concatenate([np.array(specials, dtype=np.float32), bits.view(np.float32), ties.view(np.float32)])
    x = x[~np.isnan(x)]
    (OUT / "f32_to_f16.f32").write_bytes(x.astype("<f4").tobytes())
    with np.errstate(over="ignore"):  # values above 65504 round to inf on purpose
        (OUT / "f32_to_f16.f16").write_bytes(x.astype("<f2").tobytes())


# --- FLUX names ------------------------------------------------------------------------------


def bfl_shapes(layers: int, single: int, inner: int, head: int, in_ch=64, ctx=4096, vec=768,
               mlp_ratio=4.0, guidance=False) -> dict[str, tuple[int, ...]]:
    """Original BFL (black-forest-labs/flux) parameter shapes, written independently of the TS table."""
    mlp = int(inner * mlp_ratio)
    s: dict[str, tuple[int, ...]] = {}

    def lin(name, out, inp):
        s[name + ".weight"] = (out, inp)
        s[name + ".bias"] = (out,)

    lin("img_in", inner, in_ch)
    lin("txt_in", inner, ctx)
    lin("time_in.in_layer", inner, 256)
    lin("time_in.out_layer", inner, inner)
    lin("vector_in.in_layer", inner, vec)
    lin("vector_in.out_layer", inner, inner)
    if guidance:
        lin("guidance_in.in_layer", inner, 256)
        lin("guidance_in.out_layer", inner, inner)
    for i in range(layers):
        for side in ("img", "txt"):
            p = f"double_blocks.{i}.{side}_"
            lin(p + "mod.lin", 6 * inner, inner)
            lin(p + "attn.qkv", 3 * inner, inner)
            s[p + "attn.norm.query_norm.scale"] = (head,)
            s[p + "attn.norm.key_norm.scale"] = (head,)
            lin(p + "attn.proj", inner, inner)
            lin(p + "mlp.0", mlp, inner)
            lin(p + "mlp.2", inner, mlp)
    for i in range(single):
        p = f"single_blocks.{i}."
        lin(p + "linear1", 3 * inner + mlp, inner)
        lin(p + "linear2", inner, inner + mlp)
        s[p + "norm.query_norm.scale"] = (head,)
        s[p + "norm.key_norm.scale"] = (head,)
        lin(p + "modulation.lin", 3 * inner, inner)
    lin("final_layer.linear", in_ch, inner)
    lin("final_layer.adaLN_modulation.1", 2 * inner, inner)
    return s


def build_convert_map() -> None:
    from diffusers.loaders.single_file_utils import convert_flux_transformer_checkpoint_to_diffusers

    shapes = bfl_shapes(19, 38, 3072, 128)
    # one column per weight; values = source row index (exact in float64)
    ckpt = {name: torch.arange(shape[0], dtype=torch.float64).reshape(shape[0], *([1] if len(shape) == 2 else []))
            for name, shape in shapes.items()}
    sources = dict(ckpt)
    converted = convert_flux_transformer_checkpoint_to_diffusers(ckpt)
    assert not ckpt, f"converter left BFL tensors unused: {sorted(ckpt)[:5]}"
    out = {}
    for name, t in converted.items():
        rows = t.reshape(t.shape[0], -1)[:, 0].to(torch.int64).tolist()
        src = _PROBE[name]
        # compress rows into runs [start, count]
        runs: list[list[int]] = []
        for r in rows:
            if runs and runs[-1][0] + runs[-1][1] == r:
                runs[-1][1] += 1
            else:
                runs.append([r, 1])
        out[name] = {"source": src, "runs": runs, "source_rows": sources[src].shape[0]}
    (OUT / "flux_convert_map.json").write_text(json.dumps(out, indent=0, sort_keys=True) + "\n")


_PROBE: dict[str, str] = {}


def probe_sources() -> None:
    """For each BFL tensor, mark it with a unique value offset and see which diffusers tensors carry it."""
    from diffusers.loaders.single_file_utils import convert_flux_transformer_checkpoint_to_diffusers

    shapes = bfl_shapes(19, 38, 3072, 128)
    names = sorted(shapes)
    ckpt = {}
    for k, name in enumerate(names):
        shape = shapes[name]
        ckpt[name] = torch.full((shape[0],) + ((1,) if len(shape) == 2 else ()), float(k), dtype=torch.float64)
    converted = convert_flux_transformer_checkpoint_to_diffusers(ckpt)
    for dname, t in converted.items():
        vals = set(t.flatten().tolist())
        assert len(vals) == 1, dname
        _PROBE[dname] = names[int(vals.pop())]


def build_diffusers_shapes() -> None:
    from diffusers import FluxTransformer2DModel

    def shapes(model) -> dict[str, list[int]]:
        return {k: list(v.shape) for k, v in model.state_dict().items()}

    with torch.device("meta"):
        full = FluxTransformer2DModel(num_layers=19, num_single_layers=38, attention_head_dim=128,
                                      num_attention_heads=24, joint_attention_dim=4096,
                                      pooled_projection_dim=768, in_channels=64, guidance_embeds=False)
    small = FluxTransformer2DModel(num_layers=2, num_single_layers=2, attention_head_dim=32,
                                   num_attention_heads=2, joint_attention_dim=48,
                                   pooled_projection_dim=40, in_channels=16, guidance_embeds=False)
    data = {
        "full": {"config": {"num_layers": 19, "num_single_layers": 38, "attention_head_dim": 128,
                            "num_attention_heads": 24, "joint_attention_dim": 4096,
                            "pooled_projection_dim": 768, "in_channels": 64},
                 "diffusers": shapes(full),
                 "bfl": {k: list(v) for k, v in bfl_shapes(19, 38, 3072, 128).items()}},
        "small": {"config": {"num_layers": 2, "num_single_layers": 2, "attention_head_dim": 32,
                             "num_attention_heads": 2, "joint_attention_dim": 48,
                             "pooled_projection_dim": 40, "in_channels": 16},
                  "diffusers": shapes(small),
                  "bfl": {k: list(v) for k, v in bfl_shapes(2, 2, 64, 32, in_ch=16, ctx=48, vec=40).items()}},
    }
    (OUT / "flux_diffusers_shapes.json").write_text(json.dumps(data, indent=0, sort_keys=True) + "\n")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for p in OUT.iterdir():
        if not p.name.startswith("."):  # keep .gitattributes
            p.unlink()
    rng = np.random.default_rng(20240815)
    index = {"files": [build_tiny(rng), build_v2_aligned(rng)], "long_key": LONG_KEY, "long_tensor": LONG_TENSOR}
    (OUT / "index.json").write_text(json.dumps(index, indent=1, ensure_ascii=False) + "\n")
    build_f16_cases(rng)
    probe_sources()
    build_convert_map()
    build_diffusers_shapes()
    files = [p for p in OUT.iterdir() if not p.name.startswith(".")]
    total = sum(p.stat().st_size for p in files)
    print(f"wrote {len(files)} files, {total} bytes, to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
