"""Write a bundle folder: graphs + shards + tokenizers + manifest.json (docs/bundle-format.md)."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import onnx

from . import export_onnx as ex
from .models import Components, module_config, state_sha256

FORMAT = "time-stream-bundle"
FORMAT_VERSION = 1
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")
_DROP_TOKENIZER_KEYS = {"is_local", "local_files_only", "name_or_path", "_commit_hash", "auto_map"}


def sha256_file(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_entry(root: Path, p: Path) -> dict:
    return {"path": p.relative_to(root).as_posix(), "bytes": p.stat().st_size, "sha256": sha256_file(p)}


def bundle_version(file_hashes: list[str]) -> str:
    """sha256 of the sorted file sha256 hex digests joined with '\\n' (changes when any file changes)."""
    return hashlib.sha256("\n".join(sorted(file_hashes)).encode()).hexdigest()


def save_tokenizer(tok: Any, out_dir: Path, max_length: int) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as td:
        tok.save_pretrained(td)
        written = []
        for name in TOKENIZER_FILES:
            src = Path(td) / name
            if not src.exists():
                continue
            dst = out_dir / name
            if name == "tokenizer.json":
                shutil.copyfile(src, dst)
            else:
                obj = json.loads(src.read_text(encoding="utf-8"))
                for k in list(obj):
                    if k in _DROP_TOKENIZER_KEYS:
                        del obj[k]
                if name == "tokenizer_config.json":
                    obj["model_max_length"] = max_length
                dst.write_text(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
            written.append(dst)
    return written


DYNAMIC_SHIFT_KEYS = ("base_shift", "max_shift", "base_image_seq_len", "max_image_seq_len", "time_shift_type")


def write_bundle(
    comp: Components,
    out_dir: Path,
    *,
    bundle_id: str,
    display_name: str,
    license: str,
    source: str,
    precision: str = "fp32",
    shard_limit: int = ex.DEFAULT_SHARD_LIMIT,
    defaults: dict | None = None,
    limits: dict | None = None,
    export_info: dict | None = None,
    log=print,
    attention: str = "fused",
) -> dict:
    if precision not in ("fp32", "q4"):
        raise ValueError(f"precision {precision!r}: only fp32 and q4 are implemented")
    out_dir = Path(out_dir)
    if out_dir.exists():
        for p in out_dir.iterdir():  # only remove what a bundle consists of
            if p.is_dir() and p.name in ("clip", "t5"):
                shutil.rmtree(p)
            elif p.is_file() and (p.name == "manifest.json" or ".onnx" in p.name):
                p.unlink()
    out_dir.mkdir(parents=True, exist_ok=True)
    mods = comp.modules()
    components: dict[str, Any] = {}
    stats: dict[str, Any] = {}
    for name in ex.COMPONENTS:
        t0 = time.time()
        model = ex.export_torch(name, mods[name], attention=attention)
        t_export = time.time() - t0
        comp_precision = "fp32"
        if precision == "q4" and name in ex.QUANTIZED_COMPONENTS:
            model = ex.quantize_q4(model)
            comp_precision = "q4"
        graph, shards = ex.write_sharded(model, out_dir, name, shard_limit, copy=False)
        onnx.checker.check_model(str(graph))
        ins, outs = ex.component_io(name, mods[name])
        entry = {
            "graph": file_entry(out_dir, graph),
            "external_data": [file_entry(out_dir, s) for s in shards],
            "inputs": [{"name": i.name, "dtype": i.dtype, "shape": i.shape} for i in ins],
            "outputs": [{"name": o.name, "dtype": o.dtype, "shape": o.shape} for o in outs],
            "precision": comp_precision,
            "opset": ex.OPSET,
            "ops": ex.op_set(model),
            "config": module_config(name, mods[name]),
        }
        if comp_precision == "q4":
            entry["quantization"] = {"op": "com.microsoft.MatMulNBits", "bits": 4, "block_size": 32, "symmetric": True}
        components[name] = entry
        stats[name] = {"export_s": round(time.time() - t0, 2), "trace_s": round(t_export, 2), "ops": entry["ops"]}
        log(f"  {name}: {len(shards)} shard(s), {sum(s.stat().st_size for s in shards)} bytes, {time.time() - t0:.1f}s")

    clip_files = save_tokenizer(comp.clip_tokenizer, out_dir / "clip", 77)
    t5_files = save_tokenizer(comp.t5_tokenizer, out_dir / "t5", 512)
    dec_cfg = mods["decoder"].config
    sched = comp.scheduler_config
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "id": bundle_id,
        "version": "",
        "display_name": display_name,
        "license": license,
        "source": source,
        "precision": precision,
        "components": components,
        "tokenizers": {
            "clip": {"files": [file_entry(out_dir, p) for p in clip_files], "max_length": 77},
            "t5": {"files": [file_entry(out_dir, p) for p in t5_files], "max_length": 512},
        },
        "scheduler": {
            "num_train_timesteps": int(sched.get("num_train_timesteps", 1000)),
            "shift": float(sched.get("shift", 1.0)),
            "use_dynamic_shifting": bool(sched.get("use_dynamic_shifting", False)),
            # the resolution-dependent shift's settings, only where it is on (workers/pipeline/schedule.ts)
            **({k: sched[k] for k in DYNAMIC_SHIFT_KEYS if k in sched} if sched.get("use_dynamic_shifting") else {}),
        },
        "vae": {
            "scaling_factor": float(dec_cfg.scaling_factor),
            "shift_factor": float(dec_cfg.shift_factor or 0.0),
            "spatial_factor": 2 ** (len(dec_cfg.decoder_block_out_channels) - 1),
            "latent_channels": int(dec_cfg.latent_channels),
        },
        "defaults": defaults or {"width": 64, "height": 64, "max_sequence_length": 512},
        "limits": limits or {"min_size": 32, "max_size": 256},
    }
    info = dict(export_info or {})
    info["weights_sha256"] = {n: state_sha256(m) for n, m in mods.items()}
    manifest["export"] = info
    hashes = []
    for c in components.values():
        hashes.append(c["graph"]["sha256"])
        hashes += [s["sha256"] for s in c["external_data"]]
    for t in manifest["tokenizers"].values():
        hashes += [f["sha256"] for f in t["files"]]
    manifest["version"] = bundle_version(hashes)
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    manifest["_stats"] = stats
    return manifest


def all_files(manifest: dict) -> list[dict]:
    files = []
    for c in manifest["components"].values():
        files.append(c["graph"])
        files += c["external_data"]
    for t in manifest["tokenizers"].values():
        files += t["files"]
    return files


def verify_bundle(bundle_dir: Path) -> dict:
    """Check the manifest's sizes/sha256/version against the files; returns the manifest."""
    bundle_dir = Path(bundle_dir)
    m = json.loads((bundle_dir / "manifest.json").read_text(encoding="utf-8"))
    if m.get("format") != FORMAT or m.get("format_version") != FORMAT_VERSION:
        raise ValueError("not a time-stream-bundle v1 manifest")
    for f in all_files(m):
        p = bundle_dir / f["path"]
        if not p.is_file():
            raise ValueError(f"{f['path']}: missing")
        if p.stat().st_size != f["bytes"]:
            raise ValueError(f"{f['path']}: {p.stat().st_size} bytes, manifest says {f['bytes']}")
        if sha256_file(p) != f["sha256"]:
            raise ValueError(f"{f['path']}: sha256 mismatch")
    if bundle_version([f["sha256"] for f in all_files(m)]) != m["version"]:
        raise ValueError("version is not the hash of the file hashes")
    return m
