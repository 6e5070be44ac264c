"""fp16-activation vs fp32 parity of the assembled transformer (issue 15, item 2), onnxruntime CPU.

``python -m time_stream_export fp16-check --size tiny|mid`` writes the fp32 and the fp16 template of the size
(``template.write_template``), the seeded random sources (the ``sources`` subcommand), fills both bundles with the
Python assembler (``assemble.fill``) and then, with onnxruntime's CPU provider, runs what the app's wasm path runs
(workers/pipeline/frames.ts, schedule.ts, latents.ts, decode.ts):

- prompts tokenised with the filled bundle's own tokenizers (``clip/``, ``t5/``; padded to 77 and to the
  manifest's ``max_sequence_length``, as diffusers' FluxPipeline does), encoded by the bundle's CLIP (``pooled``)
  and T5 (``last_hidden_state``) graphs;
- per frame the pooled vector shifted along a seeded random unit direction, ``pooled + scale * direction``
  (scales ``linspace(0, 4, frames)``, float32 like slider.ts);
- the FLUX.1-schnell loop: packed latents from the app's documented noise (rng.ts gaussianNoise, ported here
  bit for bit), sigmas = float32(linspace(1, 1/steps, steps)) then 0 (schnell: shift 1, no dynamic shifting),
  timestep input fp32(fp32(sigma * 1000) / 1000) = sigma, Euler ``x += fp32(sigma_next - sigma) * v`` in float32,
  img_ids (0, row, col) and zero txt_ids as FluxPipeline builds them;
- unpack, ``/ scaling_factor + shift_factor`` (the manifest's vae), the taef1 decoder -> image in [-1, 1].

Two trajectories per frame start from the same noise: the fp32 transformer's and the fp16 transformer's (what an
fp16 run of the app would render). At every step of the fp32 trajectory the fp16 graph is also fed the fp32
trajectory's exact inputs, so the transformer cosine compares the two graphs on identical inputs (no drift); the
frames compare the two independent trajectories, decoded by the same (fp32) decoder. PSNR is measured on the
decoded images clamped to [-1, 1] (what the app displays), with peak-to-peak 2: 10·log10(2² / MSE).

Caveat: onnxruntime's CPU MatMulNBits with float16 input computes in float32 on x86 (it rounds the activations to
fp16 at the Casts around each quantised linear, not inside the dot products); a GPU with shader-f16 may also
accumulate in fp16. This is the CPU half of the measurement issue 15 asks for, not the GPU half.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

EXPORT_ROOT = Path(__file__).resolve().parent.parent
REPO = EXPORT_ROOT.parents[1]

COSINE_MIN = 0.999
PSNR_MIN_DB = 35.0
MAX_SCALE = 4.0
PROMPTS = (
    "a photo of a red fox sitting in fresh snow, morning light",
    "an oil painting of a lighthouse on a cliff at dusk",
    "a bowl of ramen on a wooden table, studio lighting",
)
COMPONENTS = ("clip", "t5", "transformer", "decoder")


def default_work(size: str, seed: int) -> Path:
    """Outside the repository (nothing to ignore): <tmp>/time-stream-fp16-check/<size>-seed<seed>."""
    return Path(tempfile.gettempdir()) / "time-stream-fp16-check" / f"{size}-seed{seed}"


# --------------------------------------------------------------------------------------------- the app's noise


class Xoshiro128:
    """workers/pipeline/rng.ts, bit for bit: SplitMix32 seeding, xoshiro128** (uint32 arithmetic)."""

    def __init__(self, seed: int, stream: int = 0):
        m = 0xFFFFFFFF
        x = (seed & m) ^ ((stream & m) * 0x9E3779B9 & m)

        def nxt() -> int:
            nonlocal x
            x = (x + 0x9E3779B9) & m
            z = x
            z = ((z ^ (z >> 16)) * 0x85EBCA6B) & m
            z = ((z ^ (z >> 13)) * 0xC2B2AE35) & m
            return (z ^ (z >> 16)) & m

        self.s = [nxt(), nxt(), nxt(), nxt()]

    @staticmethod
    def _rotl(x: int, k: int) -> int:
        return ((x << k) | (x >> (32 - k))) & 0xFFFFFFFF

    def next_uint32(self) -> int:
        m = 0xFFFFFFFF
        s = self.s
        result = (self._rotl((s[1] * 5) & m, 7) * 9) & m
        t = (s[1] << 9) & m
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self._rotl(s[3], 11)
        return result

    def next_uniform(self) -> float:
        return (self.next_uint32() + 0.5) / 4294967296


def gaussian_noise(seed: int, count: int) -> np.ndarray:
    """rng.ts gaussianNoise: Box-Muller in float64 on consecutive uniform pairs (stream 0), rounded to float32."""
    rng = Xoshiro128(seed, 0)
    out = np.empty(count, dtype=np.float32)
    for i in range(0, count, 2):
        r = math.sqrt(-2 * math.log(rng.next_uniform()))
        theta = 2 * math.pi * rng.next_uniform()
        out[i] = r * math.cos(theta)
        if i + 1 < count:
            out[i + 1] = r * math.sin(theta)
    return out


# --------------------------------------------------------------------------------------------- latents, schedule


def pack(unpacked: np.ndarray, c: int, rows: int, cols: int) -> np.ndarray:
    """FluxPipeline._pack_latents (batch 1): [C, H, W] -> [(H/2)(W/2), C*4], features (c, dy, dx)."""
    return unpacked.reshape(c, rows // 2, 2, cols // 2, 2).transpose(1, 3, 0, 2, 4).reshape((rows // 2) * (cols // 2), c * 4)


def unpack(packed: np.ndarray, c: int, rows: int, cols: int) -> np.ndarray:
    """FluxPipeline._unpack_latents (batch 1): the inverse of pack -> [1, C, H, W]."""
    return packed.reshape(rows // 2, cols // 2, c, 2, 2).transpose(2, 0, 3, 1, 4).reshape(1, c, rows, cols)


def image_ids(rows: int, cols: int) -> np.ndarray:
    """img_ids [N, 3] = (0, row, col) over the token grid (latent rows/cols / 2), row-major."""
    r, c = np.meshgrid(np.arange(rows // 2), np.arange(cols // 2), indexing="ij")
    return np.stack([np.zeros_like(r), r, c], axis=-1).reshape(-1, 3).astype(np.float32)


def schnell_schedule(steps: int, scheduler: dict) -> tuple[np.ndarray, np.ndarray]:
    """schedule.ts fluxSchedule for a static shift: (sigmas [steps + 1] with the terminal 0, timestep inputs)."""
    if scheduler.get("use_dynamic_shifting"):
        raise ValueError("this check implements FLUX.1-schnell's static shift only (use_dynamic_shifting is set)")
    shift = np.float32(scheduler.get("shift", 1.0))
    n_train = np.float32(scheduler.get("num_train_timesteps", 1000))
    lin = np.linspace(1.0, 1.0 / steps, steps).astype(np.float32)
    sig = lin if shift == 1 else (shift * lin / (1 + (shift - 1) * lin)).astype(np.float32)
    sigmas = np.concatenate([sig, np.zeros(1, np.float32)]).astype(np.float32)
    return sigmas, ((sig * n_train).astype(np.float32) / n_train).astype(np.float32)


# --------------------------------------------------------------------------------------------- metrics


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def psnr(a: np.ndarray, b: np.ndarray, peak_to_peak: float = 2.0, clamp: bool = True) -> float:
    """PSNR of two images in [-1, 1] (both clamped to it first unless ``clamp`` is false), peak-to-peak 2."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    if clamp:
        a, b = np.clip(a, -1, 1), np.clip(b, -1, 1)
    mse = float(np.mean((a - b) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(peak_to_peak**2 / mse)


# --------------------------------------------------------------------------------------------- bundles


def prepare(size: str, seed: int, work: Path, log: Callable[..., None] = print) -> tuple[Path, Path, dict]:
    """fp32 + fp16 templates, the random sources, both bundles filled by the Python assembler. Returns the two
    bundle folders and per-phase seconds."""
    from . import assemble as A
    from . import template as T
    from .__main__ import cmd_sources

    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    times: dict[str, float] = {}
    for act in ("fp32", "fp16"):
        t0 = time.time()
        log(f"template {size} --activations {act} -> {work / f'template-{act}'}")
        T.write_template(size, work / f"template-{act}", activations=act, log=lambda *a: log(*a))
        times[f"template_{act}_s"] = time.time() - t0
    t0 = time.time()
    log(f"sources {size} seed {seed} -> {work / 'sources'}")
    rc = cmd_sources(["--size", size, "--seed", str(seed), "--out", str(work / "sources"), "--url-prefix", "sources/",
                      "--template-url", "template-fp32/template.json", "--description", str(work / "source.json")])
    if rc:
        raise RuntimeError(f"sources failed ({rc})")
    times["sources_s"] = time.time() - t0
    t0 = time.time()
    for act in ("fp32", "fp16"):
        A.fill(work / f"template-{act}" / "template.json", work / "source.json", work / f"bundle-{act}", REPO,
               log=lambda *a: None)
    times["fill_s"] = time.time() - t0
    return work / "bundle-fp32", work / "bundle-fp16", times


def _session(path: Path):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def _component_bytes(bundle: Path, name: str, manifest: dict) -> str:
    h = hashlib.sha256()
    c = manifest["components"][name]
    for f in [c["graph"]["path"]] + [e["path"] for e in c["external_data"]]:
        h.update((bundle / f).read_bytes())
    return h.hexdigest()


# --------------------------------------------------------------------------------------------- measurement


def measure(bundle32: Path, bundle16: Path, *, steps: int = 4, frames: int = 4, seed: int = 0,
            prompts: tuple[str, ...] | list[str] = PROMPTS, width: int | None = None, height: int | None = None,
            log: Callable[..., None] = print) -> dict[str, Any]:
    """Run the app's frame loop with both transformers (onnxruntime CPU, one thread) and compare."""
    from transformers import AutoTokenizer

    if not 1 <= steps <= 4:
        raise ValueError(f"steps {steps}: FLUX.1-schnell runs 1..4")
    if frames < 1:
        raise ValueError("frames must be >= 1")
    bundle32, bundle16 = Path(bundle32), Path(bundle16)
    m32 = json.loads((bundle32 / "manifest.json").read_text(encoding="utf-8"))
    m16 = json.loads((bundle16 / "manifest.json").read_text(encoding="utf-8"))
    if m16["components"]["transformer"].get("activations") != "float16":
        raise ValueError(f"{bundle16}: the transformer is not the fp16-activation variant")
    if m32["components"]["transformer"].get("activations", "float32") != "float32":
        raise ValueError(f"{bundle32}: the transformer is not the fp32 variant")
    # CLIP, T5 and the decoder do not depend on the activations: the same bytes in both bundles (checked), so the
    # fp32 bundle's copies serve both runs and only the transformer differs.
    same = {c: _component_bytes(bundle32, c, m32) == _component_bytes(bundle16, c, m16) for c in ("clip", "t5", "decoder")}
    if not all(same.values()):
        raise ValueError(f"the bundles' non-transformer components differ: {same}")

    width = width or m32["defaults"]["width"]
    height = height or m32["defaults"]["height"]
    vae = m32["vae"]
    sf = int(vae["spatial_factor"])
    ch = int(vae["latent_channels"])
    if width % (2 * sf) or height % (2 * sf):
        raise ValueError(f"size {width}x{height} must be a multiple of {2 * sf}")
    rows, cols = height // sf, width // sf
    tokens = (rows // 2) * (cols // 2)
    t5_len = min(int(m32["defaults"]["max_sequence_length"]), int(m32["tokenizers"]["t5"]["max_length"]))
    clip_len = int(m32["tokenizers"]["clip"]["max_length"])

    clip_tok = AutoTokenizer.from_pretrained(bundle32 / "clip", local_files_only=True)
    t5_tok = AutoTokenizer.from_pretrained(bundle32 / "t5", local_files_only=True)
    clip_ids = clip_tok(list(prompts), padding="max_length", max_length=clip_len, truncation=True, return_tensors="np").input_ids.astype(np.int64)
    t5_ids = t5_tok(list(prompts), padding="max_length", max_length=t5_len, truncation=True, return_tensors="np").input_ids.astype(np.int64)

    t0 = time.time()
    clip = _session(bundle32 / "clip.onnx")
    t5 = _session(bundle32 / "t5.onnx")
    dec = _session(bundle32 / "decoder.onnx")
    tr32 = _session(bundle32 / "transformer.onnx")
    tr16 = _session(bundle16 / "transformer.onnx")
    t_sessions = time.time() - t0

    pooled_all = clip.run(["pooled"], {"input_ids": clip_ids})[0].astype(np.float32)
    t5_all = [t5.run(["last_hidden_state"], {"input_ids": t5_ids[i : i + 1]})[0].astype(np.float32) for i in range(len(prompts))]
    dim = pooled_all.shape[1]
    d = np.random.default_rng(seed + 15).standard_normal(dim)
    direction = (d / np.linalg.norm(d)).astype(np.float32)
    scales = np.linspace(0.0, MAX_SCALE, frames).astype(np.float32)

    sigmas, ts_in = schnell_schedule(steps, m32["scheduler"])
    noise = pack(gaussian_noise(seed, tokens * 64).reshape(ch, rows, cols), ch, rows, cols)[None].astype(np.float32)
    img = image_ids(rows, cols)
    txt = np.zeros((t5_len, 3), np.float32)
    scaling, shift = np.float32(vae["scaling_factor"]), np.float32(vae["shift_factor"])

    def decode(x: np.ndarray) -> np.ndarray:
        lat = ((unpack(x[0], ch, rows, cols) / scaling).astype(np.float32) + shift).astype(np.float32)
        return dec.run(["image"], {"latents": lat})[0]

    cos_same: list[float] = []  # fp32 vs fp16 graph on the fp32 trajectory's inputs (identical inputs)
    cos_traj: list[float] = []  # each graph on its own trajectory (drift included)
    rel_diff: list[float] = []  # max |v32 - v16| / max |v32| on identical inputs
    nonfinite = 0
    psnrs: list[float] = []
    psnrs_raw: list[float] = []  # the decoder's raw output, not clamped (the random decoder overshoots [-1, 1])
    per_frame: list[dict] = []
    t_tr = 0.0
    t0 = time.time()
    for p in range(len(prompts)):
        for k, scale in enumerate(scales):
            pooled = (pooled_all[p] + (direction * scale).astype(np.float32)).astype(np.float32)[None]
            x32 = noise.copy()
            x16 = noise.copy()
            fc: list[float] = []
            for i in range(steps):
                base = {"encoder_hidden_states": t5_all[p], "pooled_projections": pooled,
                        "timestep": ts_in[i : i + 1], "img_ids": img, "txt_ids": txt}
                t1 = time.time()
                v32 = tr32.run(["out"], {**base, "hidden_states": x32})[0]
                v16_same = tr16.run(["out"], {**base, "hidden_states": x32})[0]
                v16 = tr16.run(["out"], {**base, "hidden_states": x16})[0]
                t_tr += time.time() - t1
                if not (np.isfinite(v32).all() and np.isfinite(v16_same).all() and np.isfinite(v16).all()):
                    nonfinite += 1  # its cosine is NaN (never >= the threshold), so the check fails
                    log(f"non-finite transformer output (prompt {p}, frame {k}, step {i})")
                fc.append(cosine(v32, v16_same))
                rel_diff.append(float(np.abs(v32 - v16_same).max() / np.abs(v32).max()))
                cos_traj.append(cosine(v32, v16))
                dt = np.float32(sigmas[i + 1] - sigmas[i])
                x32 = (x32 + (dt * v32).astype(np.float32)).astype(np.float32)
                x16 = (x16 + (dt * v16).astype(np.float32)).astype(np.float32)
            cos_same += fc
            a, b = decode(x32), decode(x16)
            q = psnr(a, b)
            psnrs.append(q)
            psnrs_raw.append(psnr(a, b, clamp=False))
            per_frame.append({"prompt": p, "frame": k, "scale": float(scale), "psnr_db": q, "psnr_raw_db": psnrs_raw[-1],
                              "min_cosine": min(fc), "image_range": [float(a.min()), float(a.max())],
                              "clamped_fraction": float(np.mean(np.abs(a) > 1))})
    t_loop = time.time() - t0

    c = np.array(cos_same)
    q = np.array(psnrs)
    ok_c = bool(np.isfinite(c).all() and c.min() >= COSINE_MIN)
    ok_q = bool(not np.isnan(q).any() and q.min() >= PSNR_MIN_DB)
    return {
        "bundles": {"fp32": str(bundle32), "fp16": str(bundle16)},
        "transformer_config": m32["components"]["transformer"]["config"],
        "width": width, "height": height, "image_tokens": tokens, "t5_length": t5_len, "steps": steps,
        "frames": frames, "prompts": list(prompts), "scales": [float(s) for s in scales], "seed": seed,
        "ids": "tokenised with the bundle's CLIP and T5 tokenizers (padded to max_length)",
        "direction": f"random unit vector (numpy default_rng({seed + 15}), {dim} dims), pooled + scale * direction",
        "transformer_calls": int(c.size),
        "nonfinite_calls": nonfinite,
        "cosine": {"min": float(c.min()), "median": float(np.median(c)), "threshold": COSINE_MIN, "pass": ok_c},
        "cosine_own_trajectory": {"min": float(min(cos_traj)), "median": float(np.median(cos_traj))},
        "max_rel_diff": {"max": float(max(rel_diff)), "median": float(np.median(rel_diff))},
        "psnr_db": {"min": float(q.min()), "median": float(np.median(q)), "threshold": PSNR_MIN_DB, "pass": ok_q},
        "psnr_raw_db": {"min": float(min(psnrs_raw)), "median": float(np.median(psnrs_raw))},
        "clamped_fraction": float(np.mean([f["clamped_fraction"] for f in per_frame])),
        "pass": ok_c and ok_q,
        "frames_detail": per_frame,
        "seconds": {"sessions": t_sessions, "loop": t_loop, "transformer_runs": t_tr},
    }


def report(size: str, r: dict) -> str:
    c, q = r["cosine"], r["psnr_db"]
    word = lambda ok: "PASS" if ok else "FAIL"  # noqa: E731
    return "\n".join([
        f"fp16 vs fp32 activations, {size} bundle, onnxruntime CPU (1 thread): {r['width']}x{r['height']} "
        f"({r['image_tokens']} image tokens, T5 length {r['t5_length']}), {len(r['prompts'])} prompts x {r['frames']} "
        f"frames (scale 0..{MAX_SCALE:g} x unit direction) x {r['steps']} steps = {r['transformer_calls']} transformer calls",
        f"  transformer output cosine (identical inputs): min {c['min']:.7f}  median {c['median']:.7f}  "
        f">= {c['threshold']}: {word(c['pass'])}  (1 - cosine: max {1 - c['min']:.2e}, median {1 - c['median']:.2e}; "
        f"max |v32 - v16| / max |v32|: max {r['max_rel_diff']['max']:.2e}, median {r['max_rel_diff']['median']:.2e})",
        f"  (each on its own trajectory: min {r['cosine_own_trajectory']['min']:.7f}  "
        f"median {r['cosine_own_trajectory']['median']:.7f})",
        f"  decoded frames PSNR (images clamped to [-1, 1], peak-to-peak 2): min {q['min']:.2f} dB  "
        f"median {q['median']:.2f} dB  >= {q['threshold']:g} dB: {word(q['pass'])}",
        f"  (not clamped: min {r['psnr_raw_db']['min']:.2f} dB  median {r['psnr_raw_db']['median']:.2f} dB; "
        f"{100 * r['clamped_fraction']:.1f} % of the fp32 frames' values lie outside [-1, 1])",
        *([f"  {r['nonfinite_calls']} transformer call(s) gave non-finite outputs"] if r.get("nonfinite_calls") else []),
        f"  {size}: {word(r['pass'])}",
    ])


def run(size: str, *, seed: int = 0, work: Path | None = None, steps: int = 4, frames: int = 4,
        width: int | None = None, height: int | None = None, log: Callable[..., None] = print) -> dict:
    t0 = time.time()
    work = Path(work) if work else default_work(size, seed)
    b32, b16, times = prepare(size, seed, work, log=log)
    r = measure(b32, b16, steps=steps, frames=frames, seed=seed, width=width, height=height, log=log)
    r["seconds"].update(times)
    r["seconds"]["total"] = time.time() - t0
    r["size"] = size
    (work / "result.json").write_text(json.dumps(r, indent=1) + "\n", encoding="utf-8")
    return r


def main(argv: list[str]) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m time_stream_export fp16-check",
                                description="fp16-activation vs fp32 transformer parity (issue 15), onnxruntime CPU.")
    p.add_argument("--size", choices=["tiny", "mid"], required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--work", type=Path, default=None,
                   help="work folder (templates, sources, bundles, result.json); default <tmp>/time-stream-fp16-check/SIZE-seedN")
    p.add_argument("--steps", type=int, choices=[1, 2, 3, 4], default=4)
    p.add_argument("--frames", type=int, default=4, help="frames per prompt, scales linspace(0, 4, frames)")
    p.add_argument("--width", type=int, default=None, help="default: the manifest's (64)")
    p.add_argument("--height", type=int, default=None, help="default: the manifest's (64)")
    a = p.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if a.frames < 1:
        p.error("--frames must be >= 1")
    r = run(a.size, seed=a.seed, work=a.work, steps=a.steps, frames=a.frames, width=a.width, height=a.height)
    print(report(a.size, r))
    s = r["seconds"]
    print(f"  time: {s['total']:.1f}s total (templates {s['template_fp32_s']:.1f}s + {s['template_fp16_s']:.1f}s, "
          f"sources {s['sources_s']:.1f}s, fill {s['fill_s']:.1f}s, frame loop {s['loop']:.1f}s); "
          f"result.json in {Path(a.work) if a.work else default_work(a.size, a.seed)}")
    return 0 if r["pass"] else 1
