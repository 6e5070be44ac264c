"""Measure a trained weights folder the way the app renders: diffusers' FluxPipeline (float32, CPU) on the
weights, T5 padded to 512, the CLIP-slider of the original Space (direction = mean pooled difference over
`iterations` template pairs "a {medium} of a {state} {subject}" drawn from the Space's lists; frame i gets
pooled + scale_i * direction; the same noise for every frame), judged by the ground-truth-only judge."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from . import judge as J
from . import world as W
from .train import held_out_mediums, set_threads

from time_stream_export import models as M  # noqa: E402
from time_stream_export.reference import frame_scales, pick_pairs, template  # noqa: E402
from time_stream_export.data import MEDIUMS, SUBJECTS  # noqa: E402

# (1st state, 2nd state) as the app's form takes them; the judged parameter rises from the 1st to the 2nd
WALK_PAIRS = [("super fresh", "rotten"), ("summer", "winter"), ("day", "night")]
FRAMES = 7
MONOTONE_TOL = 0.02  # a judged step back smaller than this still counts as monotone


def pipeline(weights: Path):
    from diffusers import FlowMatchEulerDiscreteScheduler, FluxPipeline

    comp = M.load_weights_dir(weights)
    sched = FlowMatchEulerDiscreteScheduler(**{k: v for k, v in comp.scheduler_config.items() if not k.startswith("_")})
    pipe = FluxPipeline(scheduler=sched, vae=comp.decoder, text_encoder=comp.clip, tokenizer=comp.clip_tokenizer,
                        text_encoder_2=comp.t5, tokenizer_2=comp.t5_tokenizer, transformer=comp.transformer)
    pipe.set_progress_bar_config(disable=True)
    return pipe


@torch.no_grad()
def pooled_of(pipe, texts: list[str]) -> torch.Tensor:
    ids = pipe.tokenizer(texts, padding="max_length", max_length=77, truncation=True, return_tensors="pt").input_ids
    return pipe.text_encoder(ids).pooler_output


def direction(pipe, state1: str, state2: str, iterations: int, seed: int = 0) -> torch.Tensor:
    pairs = pick_pairs(iterations, seed)
    pos = [template(MEDIUMS[m], state2, SUBJECTS[s]) for m, s in pairs]
    neg = [template(MEDIUMS[m], state1, SUBJECTS[s]) for m, s in pairs]
    return (pooled_of(pipe, pos) - pooled_of(pipe, neg)).mean(0)


@torch.no_grad()
def render(pipe, prompt: str, noise_seed: int, steps: int, pooled_offsets: list[torch.Tensor] | None = None):
    """uint8 frames [F, 64, 64, 3]: one per pooled offset (one frame without offsets), the same noise for all."""
    from diffusers import FluxPipeline

    pe, pooled, _ = pipe.encode_prompt(prompt=prompt, prompt_2=prompt, device=torch.device("cpu"),
                                       max_sequence_length=512)
    g = torch.Generator().manual_seed(noise_seed)
    h8 = W.SIZE // 8
    noise = FluxPipeline._pack_latents(torch.randn((1, 16, h8, h8), generator=g), 1, 16, h8, h8)
    frames = []
    for off in pooled_offsets or [torch.zeros_like(pooled[0])]:
        out = pipe(prompt_embeds=pe, pooled_prompt_embeds=pooled + off[None], num_inference_steps=steps,
                   guidance_scale=3.5, height=W.SIZE, width=W.SIZE, latents=noise.clone(), max_sequence_length=512,
                   output_type="np")
        frames.append(np.clip(out.images[0] * 255 + 0.5, 0, 255).astype(np.uint8))
    return np.stack(frames)


def gt_ranges(net, n: int = 1500) -> np.ndarray:
    """Per state parameter: the judge's mean on ground-truth pictures with the parameter >= 0.9 minus its mean on
    those with the parameter <= 0.1 (the ground-truth range between the two states, as the judge sees it)."""
    images, _, params = J.ground_truth(3, n)
    _, pp = J.judge(net, images)
    return np.array([pp[params[:, k] >= 0.9, k].mean() - pp[params[:, k] <= 0.1, k].mean() for k in range(3)])


def measure(weights: Path, judge_path: Path, steps: int = 3, strength: float = 2.0, iterations: int = 200,
            out: Path | None = None, seeds_per_caption: int = 4) -> dict:
    set_threads()
    pipe = pipeline(weights)
    net = J.load(judge_path)
    if out:
        out.mkdir(parents=True, exist_ok=True)

    # 1. subjects from held-out captions (medium + subject combinations training never showed), single frames
    right, total, samples = 0, 0, []
    for si, subj in enumerate(W.SUBJECTS):
        for med in held_out_mediums(si):
            for seed in range(seeds_per_caption):
                f = render(pipe, f"a {med} of a {subj}", 1000 + seed, steps)
                s, _ = J.judge(net, f)
                right += int(s[0] == si)
                total += 1
                samples.append(f[0])
    if out:
        W.save_grid(np.stack(samples), out / "held_out_subjects.png", cols=2 * seeds_per_caption)

    # 2. slider walks: every subject x every state pair, prompt "a {subject}", 7 frames
    ranges = gt_ranges(net)
    scales = frame_scales(strength, FRAMES)
    dirs = [direction(pipe, s1, s2, iterations) for s1, s2 in WALK_PAIRS]
    walks, strips = [], []
    for si, subj in enumerate(W.SUBJECTS):
        for k, (s1, s2) in enumerate(WALK_PAIRS):
            frames = render(pipe, f"a {subj}", 42 + si, steps, [s * dirs[k] for s in scales])
            subj_j, pp = J.judge(net, frames)
            a = pp[:, k]
            dist = np.sqrt(((frames[1:].astype(np.float64) - frames[:-1]) / 255.0) ** 2).mean(axis=(1, 2, 3))
            walks.append({
                "prompt": f"a {subj}", "state1": s1, "state2": s2, "judged": [round(float(v), 3) for v in a],
                "monotone": bool(np.all(np.diff(a) >= -MONOTONE_TOL)),
                "change_fraction": float((a[-1] - a[0]) / ranges[k]),
                "subject_kept": float((subj_j == si).mean()),
                "adjacent_cv": float(dist.std() / dist.mean()) if dist.mean() > 0 else float("nan"),
            })
            strips.append(frames)
    if out:
        W.save_grid(np.concatenate(strips), out / "walks.png", cols=FRAMES)
    result = {
        "weights": str(weights), "steps": steps, "strength": strength, "iterations": iterations,
        "held_out_subject_recognised": right / total, "held_out_frames": total,
        "walks": len(walks),
        "walks_monotone": sum(w["monotone"] for w in walks),
        "walks_monotone_and_half_range": sum(w["monotone"] and w["change_fraction"] >= 0.5 for w in walks),
        "mean_change_fraction": float(np.mean([w["change_fraction"] for w in walks])),
        "walk_subject_kept": float(np.mean([w["subject_kept"] for w in walks])),
        "mean_adjacent_cv": float(np.nanmean([w["adjacent_cv"] for w in walks])),
        "gt_ranges": [float(r) for r in ranges],
        "per_walk": walks,
    }
    if out:
        (out / "metrics.json").write_text(json.dumps(result, indent=1) + "\n")
    return result


def ort_walk(bundle: Path, prompt: str, state1: str, state2: str, strength: float, steps: int, noise_seed: int,
             iterations: int = 200) -> np.ndarray:
    """The same walk computed with onnxruntime (CPU) on an exported bundle's four graphs, following the app's
    engine: tokenizers from the bundle, CLIP padded to 77, T5 to 512, schnell's Euler schedule, the manifest's
    VAE scaling, pixel = round(clamp(x / 2 + 0.5, 0, 1) * 255)."""
    import onnxruntime as ort
    from diffusers import FluxPipeline
    from transformers import AutoTokenizer

    man = json.loads((bundle / "manifest.json").read_text())
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = {k: ort.InferenceSession(str(bundle / f"{k}.onnx"), so, providers=["CPUExecutionProvider"])
            for k in ("clip", "t5", "transformer", "decoder")}
    ctok = AutoTokenizer.from_pretrained(bundle / "clip")
    ttok = AutoTokenizer.from_pretrained(bundle / "t5")

    def pooled(texts):
        ids = ctok(texts, padding="max_length", max_length=77, truncation=True, return_tensors="np").input_ids
        return sess["clip"].run(["pooled"], {"input_ids": ids.astype(np.int64)})[0]

    pairs = pick_pairs(iterations, 0)
    d = (pooled([template(MEDIUMS[m], state2, SUBJECTS[s]) for m, s in pairs])
         - pooled([template(MEDIUMS[m], state1, SUBJECTS[s]) for m, s in pairs])).mean(0)
    p0 = pooled([prompt])
    tids = ttok([prompt], padding="max_length", max_length=512, truncation=True, return_tensors="np").input_ids
    emb = sess["t5"].run(None, {"input_ids": tids.astype(np.int64)})[0]
    h8 = W.SIZE // 8
    g = torch.Generator().manual_seed(noise_seed)
    noise = FluxPipeline._pack_latents(torch.randn((1, 16, h8, h8), generator=g), 1, 16, h8, h8).numpy()
    img_ids = FluxPipeline._prepare_latent_image_ids(1, h8 // 2, h8 // 2, "cpu", torch.float32).numpy()
    sigmas = list(np.linspace(1.0, 1.0 / steps, steps, dtype=np.float32)) + [0.0]
    vae = man["vae"]
    frames = []
    for s in frame_scales(strength, FRAMES):
        x = noise.copy()
        for i in range(steps):
            v = sess["transformer"].run(None, {
                "hidden_states": x, "encoder_hidden_states": emb, "pooled_projections": (p0 + s * d).astype(np.float32),
                "timestep": np.array([sigmas[i]], np.float32), "img_ids": img_ids,
                "txt_ids": np.zeros((512, 3), np.float32)})[0]
            x = x + (sigmas[i + 1] - sigmas[i]) * v
        lat = FluxPipeline._unpack_latents(torch.from_numpy(x), W.SIZE, W.SIZE, 8).numpy()
        lat = lat / vae["scaling_factor"] + vae["shift_factor"]
        img = sess["decoder"].run(None, {"latents": lat.astype(np.float32)})[0][0]
        frames.append(np.round(np.clip(img / 2 + 0.5, 0, 1) * 255).astype(np.uint8).transpose(1, 2, 0))
    return np.stack(frames)


def ort_check(bundle: Path, weights: Path, judge_path: Path, strength: float = 2.0, steps: int = 3) -> dict:
    """One walk per state pair ("a tomato") through the bundle in onnxruntime and through FluxPipeline in torch."""
    set_threads()
    pipe = pipeline(weights)
    net = J.load(judge_path)
    out = {}
    for k, (s1, s2) in enumerate(WALK_PAIRS):
        fo = ort_walk(bundle, "a tomato", s1, s2, strength, steps, 42)
        ft = render(pipe, "a tomato", 42, steps, [s * direction(pipe, s1, s2, 200) for s in frame_scales(strength, FRAMES)])
        out[f"{s1}->{s2}"] = {
            "max_pixel_diff": int(np.abs(fo.astype(int) - ft).max()),
            "judged_ort": [round(float(v), 3) for v in J.judge(net, fo)[1][:, k]],
            "judged_torch": [round(float(v), 3) for v in J.judge(net, ft)[1][:, k]],
        }
    return out
