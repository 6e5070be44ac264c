"""Real-size stand-ins of the four public FLUX.1-schnell source files, with RANDOM content, for
scripts/real-size-check.mjs (opt-in, never in CI; written to a scratch dir, never committed):

  OUT/sources/flux1-schnell-Q4_0.gguf            city96's layout: BFL names, 19 double + 38 single blocks,
                                                 304 Q4_0 block matrices, 8 F16 top-level linears, 464 F32
                                                 vectors (776 tensors), general.architecture "flux"
  OUT/sources/t5-v1_1-xxl-encoder-Q8_0.gguf      city96's layout: llama.cpp T5 names, 24 blocks, every matrix
                                                 Q8_0 incl. token_embd [32128, 4096], attn_rel_b F16, norms F32
  OUT/sources/clip_l.safetensors                 CLIP-L text model (HF CLIPTextModel, `text_model.` names), fp16
  OUT/sources/diffusion_pytorch_model.safetensors taef1 (diffusers AutoencoderTiny, encoder + decoder), fp32
  OUT/sources/t5/tokenizer.json, tokenizer_config.json
                                                 the T5 tokenizer stand-in of tests/fixtures/assemble/tiny (the
                                                 real tokenizer.json format: Unigram, ids < 32128)
  OUT/source.json                                a source description like public/models/sources.json's FLUX
                                                 entry, URLs relative to OUT (the check makes them absolute);
                                                 each weight file's sha256 is given (as the real entry does)

Names and shapes: BFL from make_fixtures.bfl_shapes (the same table the assembler's tests use), T5 from
time_stream_export.assemble.t5_llamacpp_names over transformers' T5EncoderModel (meta device), CLIP and taef1
from the template's own configs (public/models/flux1-schnell-q4/template.json) instantiated on the meta device.

Random but sane, so that activations stay finite through 19 + 38 FLUX blocks and 24 T5 blocks: quantised
matrices have random codes and per-block scales d = U(0.5, 1.5) / (sqrt(K) * std(codes)) (a weight std of
about 1/sqrt(K): Q4_0 d ~ 2e-3..6e-3 at K = 3072, Q8_0 d ~ 1e-4..3e-4 at K = 4096), float matrices
N(0, 1/K), biases N(0, 0.02), norm scales 1 + N(0, 0.02), embedding tables N(0, 0.02) (T5's token_embd
std ~1, it is RMS-normed).

Streamed: GGUF tensor infos are declared first (gguf-py add_tensor_info), then each tensor is generated,
written and dropped (at most one tensor, < 150 MB, in memory). A file already present with the expected
size is kept (reuse --dir across runs); the sha256s are cached in OUT/sha256.json.

Run: tools/export/.venv/bin/python tools/gguf-fixtures/make_real_size_sources.py OUT
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import shutil
import sys
import time
from pathlib import Path

import gguf
import numpy as np
import torch
from gguf import GGMLQuantizationType as T

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tools" / "export"))
from make_fixtures import bfl_shapes  # noqa: E402
from time_stream_export.assemble import FLUX_F16_PREFIXES, t5_llamacpp_names  # noqa: E402

TEMPLATE = ROOT / "public" / "models" / "flux1-schnell-q4" / "template.json"
T5_TOKENIZER = ROOT / "tests" / "fixtures" / "assemble" / "tiny" / "sources" / "t5"
NAMES = {
    "transformer": "flux1-schnell-Q4_0.gguf",
    "t5": "t5-v1_1-xxl-encoder-Q8_0.gguf",
    "clip": "clip_l.safetensors",
    "decoder": "diffusion_pytorch_model.safetensors",
}
Q4_STD = math.sqrt((16**2 - 1) / 12)  # codes 0..15 minus 8
Q8_STD = math.sqrt((256**2 - 1) / 12)  # int8 codes


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def quant_blocks(rng: np.random.Generator, rows: int, cols: int, qtype: T, weight_std: float) -> np.ndarray:
    """Random Q4_0 / Q8_0 blocks (ggml layout: fp16 d, then the codes) as uint8 [rows, cols/32 * block bytes]."""
    block, size = gguf.GGML_QUANT_SIZES[qtype]
    nb = cols // block
    data = np.frombuffer(rng.bytes(rows * nb * size), dtype=np.uint8).reshape(rows, nb, size).copy()
    code_std = Q4_STD if qtype == T.Q4_0 else Q8_STD
    d = (rng.uniform(0.5, 1.5, size=(rows, nb)) * weight_std / code_std).astype(np.float16)
    data[:, :, 0:2] = d.view(np.uint8).reshape(rows, nb, 2)
    return data.reshape(rows, nb * size)


def float_tensor(rng: np.random.Generator, name: str, shape: tuple[int, ...], dtype) -> np.ndarray:
    if len(shape) == 1 and "norm" in name and name.endswith(("weight", "scale")):
        x = 1 + 0.02 * rng.standard_normal(shape, dtype=np.float32)  # a norm's scale
    elif len(shape) == 1:
        x = 0.02 * rng.standard_normal(shape, dtype=np.float32)  # a bias
    elif "embedding" in name:
        x = 0.02 * rng.standard_normal(shape, dtype=np.float32)
    else:  # a matrix or conv kernel: fan-in = all but dim 0
        fan_in = int(np.prod(shape[1:]))
        x = rng.standard_normal(shape, dtype=np.float32) / math.sqrt(fan_in)
    return x.astype(dtype)


def write_gguf(path: Path, arch: str, file_type, tensors: list[tuple[str, tuple[int, ...], T]], make) -> None:
    """Declares every tensor, writes the header, then generates and writes one tensor at a time."""
    tmp = path.with_suffix(path.suffix + ".part")
    w = gguf.GGUFWriter(str(tmp), arch)
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    w.add_file_type(file_type)
    for name, shape, qtype in tensors:
        block, size = gguf.GGML_QUANT_SIZES[qtype]
        nbytes = int(np.prod(shape)) // block * size
        if qtype in (T.Q4_0, T.Q8_0):
            w.add_tensor_info(name, (shape[0], shape[1] // block * size), np.dtype(np.uint8), nbytes, raw_dtype=qtype)
        else:
            w.add_tensor_info(name, shape, np.dtype(np.float16 if qtype == T.F16 else np.float32), nbytes, raw_dtype=qtype)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    start = time.time()
    for i, (name, shape, qtype) in enumerate(tensors):
        w.write_tensor_data(make(name, shape, qtype))
        if i % 50 == 0:
            log(f"  {path.name}: {i}/{len(tensors)} tensors, {tmp.stat().st_size / 1e9:.2f} GB, {time.time() - start:.0f} s")
    w.close()
    tmp.rename(path)


def transformer_tensors() -> list[tuple[str, tuple[int, ...], T]]:
    out = []
    for name, shape in sorted(bfl_shapes(19, 38, 3072, 128).items()):
        if len(shape) == 2:
            out.append((name, shape, T.F16 if name.startswith(FLUX_F16_PREFIXES) else T.Q4_0))
        else:
            out.append((name, shape, T.F32))
    return out


def t5_tensors(config: dict) -> list[tuple[str, tuple[int, ...], T]]:
    from transformers import T5Config, T5EncoderModel

    cfg = T5Config(**{k: v for k, v in config.items() if not k.startswith("_")})
    with torch.device("meta"):
        model = T5EncoderModel(cfg)
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items() if k != "encoder.embed_tokens.weight"}
    names = t5_llamacpp_names(cfg.num_layers)
    assert set(names) == set(shapes), sorted(set(names) ^ set(shapes))[:5]
    out = []
    for hf, g in sorted(names.items(), key=lambda kv: kv[1]):
        shape = shapes[hf]
        out.append((g, shape, T.F16 if "attn_rel_b" in g else (T.Q8_0 if len(shape) == 2 else T.F32)))
    return out


def write_safetensors(path: Path, tensors: dict[str, np.ndarray]) -> None:
    from safetensors.numpy import save_file

    tmp = path.with_suffix(path.suffix + ".part")
    save_file(tensors, str(tmp))
    tmp.rename(path)


def clip_tensors(config: dict, rng: np.random.Generator) -> dict[str, np.ndarray]:
    from transformers import CLIPTextConfig, CLIPTextModel

    cfg = CLIPTextConfig(**{k: v for k, v in config.items() if not k.startswith("_")})
    with torch.device("meta"):
        model = CLIPTextModel(cfg)
    out = {}
    for k, v in model.state_dict().items():
        if k.endswith("position_ids"):
            continue
        name = k if k.startswith("text_model.") else "text_model." + k
        out[name] = float_tensor(rng, name, tuple(v.shape), np.float16)
    return out


def taef1_tensors(config: dict, rng: np.random.Generator) -> dict[str, np.ndarray]:
    from diffusers import AutoencoderTiny

    import inspect

    accepted = inspect.signature(AutoencoderTiny.__init__).parameters
    cfg = {k: v for k, v in config.items() if k in accepted}
    with torch.device("meta"):
        model = AutoencoderTiny(**cfg)
    return {k: float_tensor(rng, k, tuple(v.shape), np.float32) for k, v in model.state_dict().items()}


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(16 << 20):
            h.update(chunk)
    return h.hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    src = a.out / "sources"
    src.mkdir(parents=True, exist_ok=True)
    template = json.loads(TEMPLATE.read_text())
    configs = {c: v["config"] for c, v in template["manifest"]["components"].items()}
    cache_path = a.out / "sha256.json"
    cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    written = []

    def wanted(component: str) -> Path | None:
        path = src / NAMES[component]
        known = cache.get(NAMES[component])
        if path.exists() and known and known["bytes"] == path.stat().st_size:
            log(f"{path.name}: present ({known['bytes']} bytes), kept")
            return None
        return path

    # Each file has its own generator, so a rewritten file is the same whichever others were kept.
    if path := wanted("transformer"):
        rng = np.random.default_rng([a.seed, 1])

        def make_flux(name, shape, qtype):
            if qtype == T.Q4_0:
                return quant_blocks(rng, shape[0], shape[1], qtype, 1 / math.sqrt(shape[1]))
            return float_tensor(rng, name, shape, np.float16 if qtype == T.F16 else np.float32)

        write_gguf(path, "flux", gguf.LlamaFileType.MOSTLY_Q4_0, transformer_tensors(), make_flux)
        written.append(path)
    if path := wanted("t5"):
        rng = np.random.default_rng([a.seed, 2])

        def make_t5(name, shape, qtype):
            if qtype == T.Q8_0:
                # token_embd: values of std ~1 (the first RMSNorm rescales them); linears ~1/sqrt(K)
                std = 1.0 if name.startswith("token_embd") else 1 / math.sqrt(shape[1])
                return quant_blocks(rng, shape[0], shape[1], qtype, std)
            if "attn_rel_b" in name:
                return (0.1 * rng.standard_normal(shape, dtype=np.float32)).astype(np.float16)
            return float_tensor(rng, name, shape, np.float32)  # every F32 T5 tensor is a norm weight (…_norm.weight)

        write_gguf(path, "t5encoder", gguf.LlamaFileType.MOSTLY_Q8_0, t5_tensors(configs["t5"]), make_t5)
        written.append(path)
    if path := wanted("clip"):
        write_safetensors(path, clip_tensors(configs["clip"], np.random.default_rng([a.seed, 3])))
        written.append(path)
    if path := wanted("decoder"):
        write_safetensors(path, taef1_tensors(configs["decoder"], np.random.default_rng([a.seed, 4])))
        written.append(path)
    for path in written:
        start = time.time()
        cache[path.name] = {"bytes": path.stat().st_size, "sha256": sha256_file(path)}
        log(f"{path.name}: {cache[path.name]['bytes']} bytes, sha256 in {time.time() - start:.0f} s")
        cache_path.write_text(json.dumps(cache, indent=1))

    tok = src / "t5"
    tok.mkdir(exist_ok=True)
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(T5_TOKENIZER / f, tok / f)

    naming = {"transformer": ("gguf", "flux-bfl"), "t5": ("gguf", "t5-llamacpp"), "clip": ("safetensors", "clip-hf"),
              "decoder": ("safetensors", "taesd-diffusers")}
    source = {
        "format": "time-stream-source",
        "format_version": 1,
        "id": "flux1-schnell-q4-real-size-check",
        "display_name": "FLUX.1-schnell real-size check (random weights)",
        "template": "models/flux1-schnell-q4/template.json",
        "license": {"name": "none", "url": "https://example.invalid/", "summary": "random weights, real sizes"},
        "gpu_memory_bytes": 13700000000,
        "components": {c: {"url": f"sources/{NAMES[c]}", "format": f, "naming": n, "bytes": cache[NAMES[c]]["bytes"],
                           "sha256": cache[NAMES[c]]["sha256"]} for c, (f, n) in naming.items()},
        # As the real entry: the tokenizer files have no published size or hash (pinned on first fetch).
        "files": [{"path": f"t5/{f}", "url": f"sources/t5/{f}", "bytes": None, "sha256": None}
                  for f in ("tokenizer.json", "tokenizer_config.json")],
    }
    (a.out / "source.json").write_text(json.dumps(source, indent=1))
    print(json.dumps({"out": str(a.out), "files": {n: cache[n]["bytes"] for n in NAMES.values()}}))


if __name__ == "__main__":
    main()
