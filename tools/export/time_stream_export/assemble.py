"""Public-format weight files and the Python assembler (docs/assembly.md).

* ``write_sources``: a component set's weights written the way the public files hold them: the transformer as a
  GGUF with BFL checkpoint names (city96's FLUX.1-schnell Q4_0: block matrices Q4_0, the in/out layers F16,
  vectors F32), T5 as a GGUF with llama.cpp names (city96's Q8_0: every matrix Q8_0 incl. the token
  embedding, attn_rel_b F16, norms F32), CLIP-L as fp16 safetensors with HF names, taef1 as fp32 safetensors
  with diffusers names (encoder included), plus a ``source.json`` describing them.
* ``fill``: template + sources -> a bundle, with the repacking rules of docs/assembly.md written
  independently of workers/assemble (the TypeScript assembler must produce byte-identical shards).
"""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .bundle import bundle_version, sha256_file

# --------------------------------------------------------------------------------------------- name tables


def flux_bfl_segments(cfg: dict) -> dict[str, list[tuple[str, int, int]]]:
    """diffusers FluxTransformer2DModel param -> [(BFL tensor, first row, row count), ...] concatenated on dim 0.
    Follows diffusers' convert_flux_transformer_checkpoint_to_diffusers (which hard-codes inner_dim 3072; this
    takes the config): fused qkv and linear1 split by rows, final_layer.adaLN_modulation.1's (shift, scale)
    halves swapped into norm_out.linear's (scale, shift)."""
    inner = cfg["num_attention_heads"] * cfg["attention_head_dim"]
    mlp = int(inner * cfg.get("mlp_ratio", 4.0))
    t: dict[str, list[tuple[str, int, int]]] = {}

    def whole(dst: str, src: str, rows: int, bias: bool = True) -> None:
        t[dst + ".weight"] = [(src + ".weight", 0, rows)]
        if bias:
            t[dst + ".bias"] = [(src + ".bias", 0, rows)]

    def part(dst: str, src: str, start: int, rows: int) -> None:
        t[dst + ".weight"] = [(src + ".weight", start, rows)]
        t[dst + ".bias"] = [(src + ".bias", start, rows)]

    whole("time_text_embed.timestep_embedder.linear_1", "time_in.in_layer", inner)
    whole("time_text_embed.timestep_embedder.linear_2", "time_in.out_layer", inner)
    whole("time_text_embed.text_embedder.linear_1", "vector_in.in_layer", inner)
    whole("time_text_embed.text_embedder.linear_2", "vector_in.out_layer", inner)
    whole("context_embedder", "txt_in", inner)
    whole("x_embedder", "img_in", inner)
    for i in range(cfg["num_layers"]):
        d, s = f"transformer_blocks.{i}.", f"double_blocks.{i}."
        whole(d + "norm1.linear", s + "img_mod.lin", 6 * inner)
        whole(d + "norm1_context.linear", s + "txt_mod.lin", 6 * inner)
        for k, q in enumerate("qkv"):
            part(d + f"attn.to_{q}", s + "img_attn.qkv", k * inner, inner)
            part(d + f"attn.add_{q}_proj", s + "txt_attn.qkv", k * inner, inner)
        head = cfg["attention_head_dim"]
        t[d + "attn.norm_q.weight"] = [(s + "img_attn.norm.query_norm.scale", 0, head)]
        t[d + "attn.norm_k.weight"] = [(s + "img_attn.norm.key_norm.scale", 0, head)]
        t[d + "attn.norm_added_q.weight"] = [(s + "txt_attn.norm.query_norm.scale", 0, head)]
        t[d + "attn.norm_added_k.weight"] = [(s + "txt_attn.norm.key_norm.scale", 0, head)]
        whole(d + "ff.net.0.proj", s + "img_mlp.0", mlp)
        whole(d + "ff.net.2", s + "img_mlp.2", inner)
        whole(d + "ff_context.net.0.proj", s + "txt_mlp.0", mlp)
        whole(d + "ff_context.net.2", s + "txt_mlp.2", inner)
        whole(d + "attn.to_out.0", s + "img_attn.proj", inner)
        whole(d + "attn.to_add_out", s + "txt_attn.proj", inner)
    for i in range(cfg["num_single_layers"]):
        d, s = f"single_transformer_blocks.{i}.", f"single_blocks.{i}."
        whole(d + "norm.linear", s + "modulation.lin", 3 * inner)
        for k, q in enumerate("qkv"):
            part(d + f"attn.to_{q}", s + "linear1", k * inner, inner)
        part(d + "proj_mlp", s + "linear1", 3 * inner, mlp)
        head = cfg["attention_head_dim"]
        t[d + "attn.norm_q.weight"] = [(s + "norm.query_norm.scale", 0, head)]
        t[d + "attn.norm_k.weight"] = [(s + "norm.key_norm.scale", 0, head)]
        whole(d + "proj_out", s + "linear2", inner)
    whole("proj_out", "final_layer.linear", cfg.get("out_channels") or cfg["in_channels"])
    for suffix in (".weight", ".bias"):
        src = "final_layer.adaLN_modulation.1" + suffix
        t["norm_out.linear" + suffix] = [(src, inner, inner), (src, 0, inner)]
    return t


def t5_llamacpp_names(num_layers: int) -> dict[str, str]:
    """HF T5EncoderModel param -> llama.cpp GGUF tensor name (weights.md §2)."""
    t = {"shared.weight": "token_embd.weight", "encoder.final_layer_norm.weight": "enc.output_norm.weight",
         "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight": "enc.blk.0.attn_rel_b.weight"}
    for i in range(num_layers):
        p, s = f"encoder.block.{i}.layer.", f"enc.blk.{i}."
        for q in "qkvo":
            t[p + f"0.SelfAttention.{q}.weight"] = s + f"attn_{q}.weight"
        t[p + "0.layer_norm.weight"] = s + "attn_norm.weight"
        t[p + "1.DenseReluDense.wi_0.weight"] = s + "ffn_gate.weight"
        t[p + "1.DenseReluDense.wi_1.weight"] = s + "ffn_up.weight"
        t[p + "1.DenseReluDense.wo.weight"] = s + "ffn_down.weight"
        t[p + "1.layer_norm.weight"] = s + "ffn_norm.weight"
    return t


# city96's convert.py keeps these BFL layers' weights in F16
FLUX_F16_PREFIXES = ("time_in.", "txt_in.", "vector_in.", "img_in.", "final_layer.", "guidance_in.")


# --------------------------------------------------------------------------------------------- raw tensors


class Tensor:
    """A source tensor as stored: ggml type name, PyTorch-order shape, and rows of raw bytes (numpy view)."""

    def __init__(self, name: str, kind: str, shape: list[int], data: np.ndarray):
        self.name, self.kind, self.shape, self.data = name, kind, shape, data

    def rows(self, start: int, count: int) -> np.ndarray:
        return self.data[start : start + count]


def read_gguf(path: Path) -> dict[str, Tensor]:
    import gguf

    r = gguf.GGUFReader(str(path))
    out = {}
    for t in r.tensors:
        shape = [int(x) for x in reversed(t.shape.tolist())]
        kind = gguf.GGMLQuantizationType(t.tensor_type).name
        data = np.asarray(t.data)
        if kind in ("Q4_0", "Q8_0"):
            data = data.reshape(shape[0] if len(shape) > 1 else 1, -1)  # rows of raw blocks
        elif kind == "BF16":
            data = data.view(np.uint16).reshape(shape)
        else:
            data = data.reshape(shape)
        out[t.name] = Tensor(t.name, kind, shape, data)
    return out


_ST_DTYPES = {"F32": ("F32", np.float32), "F16": ("F16", np.float16), "BF16": ("BF16", np.uint16)}


def read_safetensors(path: Path) -> dict[str, Tensor]:
    """Plain reader (8-byte header length, JSON header, data), as the browser reads it."""
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    base = 8 + n
    out = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        kind, dt = _ST_DTYPES[h["dtype"]]
        a, b = h["data_offsets"]
        out[name] = Tensor(name, kind, list(h["shape"]), np.frombuffer(raw, dt, (b - a) // np.dtype(dt).itemsize, base + a).reshape(h["shape"]))
    return out


# --------------------------------------------------------------------------------------------- encodings


def q4_0_to_nbits(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Q4_0 blocks (18 B: fp16 d, qs[16], byte j = elements j | j+16 << 4) -> MatMulNBits bytes (byte i = elements
    2i | 2i+1 << 4) and the fp16 scales."""
    b = blocks.reshape(-1, 18)
    d = b[:, :2].copy().view(np.float16).reshape(-1)
    qs = b[:, 2:]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1)  # the 32 codes in element order
    packed = (q[:, 0::2] | (q[:, 1::2] << 4)).astype(np.uint8)
    return packed, d


def q8_0_to_nbits(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Q8_0 blocks (34 B: fp16 d, int8 qs[32]) -> unsigned codes (q + 128 = q XOR 0x80) and the fp16 scales."""
    b = blocks.reshape(-1, 34)
    return (b[:, 2:] ^ 0x80).astype(np.uint8), b[:, :2].copy().view(np.float16).reshape(-1)


def to_float32(t: Tensor, rows: np.ndarray) -> np.ndarray:
    import gguf

    if t.kind == "F32":
        return rows.astype(np.float32)
    if t.kind == "F16":
        return rows.astype(np.float32)
    if t.kind == "BF16":
        return (rows.astype(np.uint32) << 16).view(np.float32)
    if t.kind in ("Q8_0", "Q4_0"):  # Gather tables only (a lossless decode, no re-quantisation)
        return gguf.quants.dequantize(rows, gguf.GGMLQuantizationType[t.kind]).astype(np.float32)
    raise ValueError(f"tensor {t.name}: type {t.kind} cannot be converted to float32")


def encode(entry: dict, parts: list[tuple[Tensor, np.ndarray]]) -> bytes:
    """One layout entry's bytes from its source rows (concatenated in order)."""
    enc = entry["encoding"]
    if enc in ("matmulnbits_b", "matmulnbits_scales"):
        want = {4: "Q4_0", 8: "Q8_0"}[entry["bits"]]
        bs, ss = [], []
        for t, rows in parts:
            if t.kind != want:
                raise ValueError(f"tensor {t.name}: type {t.kind}, the graph needs {want} (MatMulNBits bits {entry['bits']})")
            b, s = (q4_0_to_nbits if want == "Q4_0" else q8_0_to_nbits)(rows)
            bs.append(b)
            ss.append(s)
        if enc == "matmulnbits_b":
            return np.concatenate(bs).tobytes()
        s = np.concatenate(ss)
        return (s if entry["dtype"] == "float16" else s.astype(np.float32)).tobytes()
    if enc in ("q8_codes", "q8_scales"):  # a Gather table kept as the Q8_0 file holds it (T5's token_embd)
        out = []
        for t, rows in parts:
            if t.kind != "Q8_0":
                raise ValueError(f"tensor {t.name}: type {t.kind}, the graph needs Q8_0 (int8 codes + scales of a "
                                 f"Q8_0 token table); it is not quantised here")
            b = rows.reshape(-1, 34)
            if enc == "q8_codes":
                out.append(b[:, 2:].copy())  # int8 codes, as stored
            else:
                d = b[:, :2].copy().view(np.float16).reshape(-1)
                out.append(d if entry["dtype"] == "float16" else d.astype(np.float32))
        return np.concatenate(out).tobytes()
    arr = np.concatenate([to_float32(t, rows) for t, rows in parts]).reshape(entry["param_shape"])
    if entry.get("transpose"):
        arr = np.ascontiguousarray(arr.T)
    if enc == "float16":
        return arr.astype("<f2").tobytes()
    if enc == "float32":
        return arr.astype("<f4").tobytes()
    raise ValueError(f"unknown encoding {enc}")


# --------------------------------------------------------------------------------------------- fill


def resolve(url: str, base: Path, root: Path) -> Path:
    """A source URL on this disk: '/x' = root/x (the test server serves the repository), else relative to base."""
    if "://" in url:
        raise ValueError(f"{url}: only local paths are read here")
    return root / url.lstrip("/") if url.startswith("/") else base / url


def source_map(naming: str, template: dict, component: str, tensors: dict[str, Tensor]) -> Callable[[str], list[tuple[str, int, int]]]:
    """param -> [(source tensor, first row, rows)] for one naming table."""
    cfg = template["manifest"]["components"][component]["config"]
    if naming == "flux-bfl":
        segs = flux_bfl_segments(cfg)
        return lambda p: segs[p]
    if naming == "t5-llamacpp":
        names = t5_llamacpp_names(cfg["num_layers"])
        return lambda p: [(names[p], 0, -1)]
    if naming == "clip-hf":
        return lambda p: [(("text_model." + p) if ("text_model." + p) in tensors else p, 0, -1)]
    if naming == "taesd-diffusers":
        return lambda p: [(p, 0, -1)]
    raise ValueError(f"unknown naming {naming}")


def fill(template_path: Path, source_path: Path, out_dir: Path, root: Path, log=print) -> dict:
    """Write the bundle the assembler must write: the template's graphs, shards filled from the sources,
    tokenizer files, and the completed manifest."""
    template_path, source_path, out_dir = Path(template_path), Path(source_path), Path(out_dir)
    tpl = json.loads(template_path.read_text(encoding="utf-8"))
    src = json.loads(source_path.read_text(encoding="utf-8"))
    tdir = template_path.parent
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    manifest = json.loads(json.dumps(tpl["manifest"]))
    for comp, layout in tpl["layouts"].items():
        ws = src["components"][comp]
        path = resolve(ws["url"], source_path.parent, root)
        tensors = read_gguf(path) if ws["format"] == "gguf" else read_safetensors(path)
        where = source_map(ws["naming"], tpl, comp, tensors)
        c = manifest["components"][comp]
        shutil.copyfile(tdir / c["graph"]["path"], out_dir / c["graph"]["path"])
        files = [open(out_dir / f["path"], "wb") for f in c["external_data"]]
        try:
            for e in layout["tensors"]:
                parts = []
                for sname, start, count in where(e["param"]):
                    if sname not in tensors:
                        raise ValueError(f"{comp}: tensor {sname} (for {e['param']}) is missing from {path.name}")
                    t = tensors[sname]
                    parts.append((t, t.rows(start, count) if count >= 0 else t.data))
                data = encode(e, parts)
                if len(data) != e["bytes"]:
                    raise ValueError(f"{comp}: {e['name']} from {[p[0].name for p in parts]}: {len(data)} bytes, layout says {e['bytes']}")
                f = files[e["shard"]]
                f.write(b"\0" * (e["offset"] - f.tell()))  # offsets only grow within a shard
                f.write(data)
        finally:
            for f in files:
                f.close()
        for f in c["external_data"]:
            p = out_dir / f["path"]
            if p.stat().st_size != f["bytes"]:
                raise ValueError(f"{f['path']}: {p.stat().st_size} bytes, template says {f['bytes']}")
            f["sha256"] = sha256_file(p)
        log(f"  {comp}: {sum(f['bytes'] for f in c['external_data'])} bytes from {path.name}")
    # tokenizers: the template's own files (with sha256) are copied from beside template.json, the rest from the
    # source description's files
    by_path = {f["path"]: f for f in src.get("files", [])}
    for tok in manifest["tokenizers"].values():
        for f in tok["files"]:
            dst = out_dir / f["path"]
            dst.parent.mkdir(parents=True, exist_ok=True)
            if "sha256" in f:
                shutil.copyfile(tdir / f["path"], dst)
            else:
                sf = by_path[f["path"]]
                shutil.copyfile(resolve(sf["url"], source_path.parent, root), dst)
                f["bytes"], f["sha256"] = sf["bytes"], sf["sha256"]
            if sha256_file(dst) != f["sha256"] or dst.stat().st_size != f["bytes"]:
                raise ValueError(f"{f['path']}: bytes or sha256 differ from the listing")
    manifest["id"] = src["id"]
    manifest["display_name"] = src["display_name"]
    manifest["license"] = src["license"]["name"]
    manifest["source"] = "assembled from " + ", ".join(f"{k}: {v['url']}" for k, v in src["components"].items())
    hashes = []
    for c in manifest["components"].values():
        hashes += [c["graph"]["sha256"]] + [f["sha256"] for f in c["external_data"]]
    for tok in manifest["tokenizers"].values():
        hashes += [f["sha256"] for f in tok["files"]]
    manifest["version"] = bundle_version(hashes)
    ordered = {k: manifest[k] for k in ("format", "format_version", "id", "version")}
    ordered.update({k: v for k, v in manifest.items() if k not in ordered})
    (out_dir / "manifest.json").write_text(json.dumps(ordered, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return ordered


# --------------------------------------------------------------------------------------------- sources


def _f32(t: Any) -> np.ndarray:
    return t.detach().to(dtype=__import__("torch").float32).contiguous().numpy()


def write_sources(comp: Any, out_dir: Path, t5_tokenizer_dir: Path, url_prefix: str, log=print) -> dict:
    """Write transformer.gguf, t5.gguf, clip.safetensors, decoder.safetensors, t5/ tokenizer files and return
    the source description (urls = url_prefix + file name)."""
    import gguf
    import torch
    from gguf import GGMLQuantizationType as Q
    from safetensors.numpy import save_file

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    mods = comp.modules()

    # transformer: diffusers params -> BFL tensors (rows placed back where the converter takes them from)
    tr = mods["transformer"]
    sd = {k: _f32(v) for k, v in tr.state_dict().items()}
    segs = flux_bfl_segments(dict(tr.config))
    assert set(segs) == set(sd), sorted(set(segs) ^ set(sd))[:5]
    bfl: dict[str, list[tuple[int, np.ndarray]]] = {}
    for dname, parts in segs.items():
        r = 0
        for sname, start, count in parts:
            bfl.setdefault(sname, []).append((start, sd[dname][r : r + count]))
            r += count
    w = gguf.GGUFWriter(str(out_dir / "transformer.gguf"), "flux")
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_Q4_0)
    for name in sorted(bfl):
        pieces = sorted(bfl[name], key=lambda x: x[0])
        x = np.concatenate([p for _, p in pieces])
        if x.ndim == 2 and name.startswith(FLUX_F16_PREFIXES):
            qt = Q.F16
        elif x.ndim == 2:
            qt = Q.Q4_0
        else:
            qt = Q.F32
        _add(w, name, x, qt)
    _close(w)

    # T5: llama.cpp names
    t5 = mods["t5"]
    names = t5_llamacpp_names(t5.config.num_layers)
    sd = {k: _f32(v) for k, v in t5.state_dict().items() if k != "encoder.embed_tokens.weight"}  # tied to shared
    assert set(names) == set(sd), sorted(set(names) ^ set(sd))[:5]
    w = gguf.GGUFWriter(str(out_dir / "t5.gguf"), "t5encoder")
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0)
    for hf, g in sorted(names.items(), key=lambda kv: kv[1]):
        x = sd[hf]
        qt = Q.F16 if "attn_rel_b" in g else (Q.Q8_0 if x.ndim == 2 else Q.F32)
        _add(w, g, x, qt)
    _close(w)

    # CLIP-L: fp16, HF names (text_model. prefix, as clip_l.safetensors), plus a text_projection the graph ignores
    clip = mods["clip"]
    st = {"text_model." + k: _f32(v).astype(np.float16) for k, v in clip.state_dict().items() if not k.endswith("position_ids")}
    g = torch.Generator().manual_seed(7)
    h = clip.config.hidden_size
    st["text_projection.weight"] = (torch.randn(clip.config.projection_dim, h, generator=g) * 0.02).numpy().astype(np.float16)
    save_file(st, str(out_dir / "clip.safetensors"))

    # taef1: fp32, diffusers AutoencoderTiny names, encoder included (the assembler skips it)
    save_file({k: _f32(v) for k, v in mods["decoder"].state_dict().items()}, str(out_dir / "decoder.safetensors"))

    tok_out = out_dir / "t5"
    if tok_out.exists():
        shutil.rmtree(tok_out)
    shutil.copytree(t5_tokenizer_dir, tok_out)

    def ws(file: str, fmt: str, naming: str) -> dict:
        p = out_dir / file
        return {"url": url_prefix + file, "format": fmt, "naming": naming, "bytes": p.stat().st_size, "sha256": sha256_file(p)}

    files = [{"path": f"t5/{p.name}", "url": f"{url_prefix}t5/{p.name}", "bytes": p.stat().st_size, "sha256": sha256_file(p)}
             for p in sorted(tok_out.iterdir())]
    for f in ("transformer.gguf", "t5.gguf", "clip.safetensors", "decoder.safetensors"):
        log(f"  {f}: {(out_dir / f).stat().st_size} bytes")
    return {
        "components": {
            "transformer": ws("transformer.gguf", "gguf", "flux-bfl"),
            "t5": ws("t5.gguf", "gguf", "t5-llamacpp"),
            "clip": ws("clip.safetensors", "safetensors", "clip-hf"),
            "decoder": ws("decoder.safetensors", "safetensors", "taesd-diffusers"),
        },
        "files": files,
    }


def _add(w: Any, name: str, x: np.ndarray, qt: Any) -> None:
    import gguf

    data = gguf.quants.quantize(np.ascontiguousarray(x, dtype=np.float32), qt)
    w.add_tensor(name, data, raw_shape=data.shape, raw_dtype=qt)


def _close(w: Any) -> None:
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


# --------------------------------------------------------------------------------------------- fault files


def _tensor_info_at(raw: bytes, name: str) -> int:
    """Offset of a tensor-info record's name in a GGUF header (u64 length + bytes)."""
    key = struct.pack("<Q", len(name)) + name.encode()
    i = raw.find(key)
    if i < 0 or raw.find(key, i + 1) >= 0:
        raise ValueError(f"{name}: not found exactly once")
    return i


def write_fault_ggufs(good: Path, out_dir: Path, comp: Any) -> dict[str, str]:
    """From a good transformer GGUF: an unknown type code on one tensor, a truncated file, one tensor of the wrong
    shape. Returns {file: what is wrong} (the assembler must name it)."""
    import gguf
    from gguf import GGMLQuantizationType as Q

    out_dir.mkdir(parents=True, exist_ok=True)
    raw = bytearray(good.read_bytes())
    name = "double_blocks.0.img_attn.proj.weight"
    i = _tensor_info_at(raw, name) + 8 + len(name)
    (n_dims,) = struct.unpack_from("<I", raw, i)
    type_at = i + 4 + 8 * n_dims
    assert struct.unpack_from("<I", raw, type_at)[0] == int(Q.Q4_0)
    bad = bytearray(raw)
    struct.pack_into("<I", bad, type_at, 99)
    (out_dir / "unknown-type.gguf").write_bytes(bytes(bad))
    (out_dir / "truncated.gguf").write_bytes(bytes(raw[: len(raw) * 2 // 3]))
    # wrong shape: the same tensors with img_attn.proj one row short
    r = read_gguf(good)
    w = gguf.GGUFWriter(str(out_dir / "wrong-shape.gguf"), "flux")
    for t in r.values():
        data = t.data[:-1] if t.name == name else t.data
        w.add_tensor(t.name, np.ascontiguousarray(data), raw_shape=data.shape, raw_dtype=Q[t.kind])
    _close(w)
    shape = r[name].shape
    return {
        "unknown-type.gguf": f"tensor {name} has ggml type code 99 (unknown)",
        "truncated.gguf": f"the file is cut to {len(raw) * 2 // 3} of {len(raw)} bytes",
        "wrong-shape.gguf": f"tensor {name} is [{shape[0] - 1}, {shape[1]}] instead of {shape}",
    }
