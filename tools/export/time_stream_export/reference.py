"""Reference fixtures: diffusers' FluxPipeline (float32, CPU) run on the SAME torch modules a bundle was exported from,
doing the CLIP-slider job of the original Space (docs/bundle-format.md, "Reference fixtures")."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch

from . import models as M
from .data import MEDIUMS, SUBJECTS

DIRECTION_CASES = [
    # target = the 2nd state, opposite = the 1st state (as the Space calls find_latent_direction)
    {"name": "winter-summer", "opposite": "winter", "target": "summer", "iterations": 8, "seed": 0},
    {"name": "ko-emoji", "opposite": "겨울 ❄️", "target": "여름 ☀️🌻", "iterations": 4, "seed": 1},
]

GENERATION_CASES = [
    {"name": "tomato-3steps", "prompt": "a tomato", "width": 64, "height": 64, "steps": 3, "strength": 2.5,
     "frames": 3, "direction_case": "winter-summer", "noise_seed": 42},
    {"name": "tomato-1step", "prompt": "a tomato", "width": 64, "height": 64, "steps": 1, "strength": 2.5,
     "frames": 3, "direction_case": "winter-summer", "noise_seed": 42},
    {"name": "nonsquare-80x48-1step", "prompt": "a dog in the park", "width": 80, "height": 48, "steps": 1,
     "strength": 1.5, "frames": 3, "direction_case": "winter-summer", "noise_seed": 7},
    {"name": "ko-emoji-2steps", "prompt": "토마토 🍅", "width": 64, "height": 64, "steps": 2, "strength": 2.5,
     "frames": 3, "direction_case": "ko-emoji", "noise_seed": 3},
]

MAX_SEQUENCE_LENGTH = 512
GUIDANCE_SCALE = 3.5  # passed like the Space; schnell has no guidance embedding, so it has no effect


def pick_pairs(iterations: int, seed: int) -> list[list[int]]:
    """The template pairs (medium index, subject index), drawn with a seeded Python RNG (the Space's is unseeded)."""
    rng = random.Random(seed)
    return [[rng.randrange(len(MEDIUMS)), rng.randrange(len(SUBJECTS))] for _ in range(iterations)]


def template(medium: str, state: str, subject: str) -> str:
    return f"a {medium} of a {state} {subject}"


def frame_scales(strength: float, frames: int) -> list[float]:
    return [float(-strength + 2 * strength * i / (frames - 1)) for i in range(frames)]


class TensorWriter:
    def __init__(self, root: Path):
        self.root = root
        self.total = 0

    def __call__(self, rel: str, t: Any, dtype: str) -> dict:
        a = t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
        np_dtype = {"float32": "<f4", "int64": "<i8", "uint8": "u1"}[dtype]
        ext = {"float32": ".f32", "int64": ".i64", "uint8": ".u8"}[dtype]
        a = np.ascontiguousarray(a.astype(np_dtype))
        path = self.root / (rel + ext)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(a.tobytes())
        self.total += a.nbytes
        return {"file": (rel + ext), "dtype": dtype, "shape": list(a.shape)}


def load_components_for(bundle_dir: Path, weights: Path | None) -> tuple[M.Components, dict]:
    from . import bundle as B

    manifest = B.verify_bundle(bundle_dir)
    info = manifest.get("export", {})
    if weights is None:
        if not info.get("tiny"):
            raise SystemExit("this bundle was exported from real weights: pass --weights DIR")
        from .__main__ import random_weights_dir

        weights = random_weights_dir(info["size"], int(info["seed"]))
    comp = M.load_weights_dir(weights)
    want = info.get("weights_sha256", {})
    for name, mod in comp.modules().items():
        got = M.state_sha256(mod)
        if want.get(name) and want[name] != got:
            raise SystemExit(f"{name}: weights differ from the ones the bundle was exported from ({got[:12]} != {want[name][:12]})")
    return comp, manifest


def build_pipeline(comp: M.Components, bundle_dir: Path):
    from diffusers import FlowMatchEulerDiscreteScheduler, FluxPipeline
    from transformers import AutoTokenizer

    sched_cfg = {k: v for k, v in comp.scheduler_config.items() if not k.startswith("_")}
    scheduler = FlowMatchEulerDiscreteScheduler(**sched_cfg)
    clip_tok = AutoTokenizer.from_pretrained(bundle_dir / "clip", local_files_only=True)
    t5_tok = AutoTokenizer.from_pretrained(bundle_dir / "t5", local_files_only=True)
    pipe = FluxPipeline(
        scheduler=scheduler,
        vae=comp.decoder,
        text_encoder=comp.clip,
        tokenizer=clip_tok,
        text_encoder_2=comp.t5,
        tokenizer_2=t5_tok,
        transformer=comp.transformer,
    )
    pipe.to("cpu", torch.float32)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def clip_ids(pipe, prompts: list[str]) -> torch.Tensor:
    return pipe.tokenizer(
        prompts, padding="max_length", max_length=pipe.tokenizer_max_length, truncation=True, return_tensors="pt"
    ).input_ids


def t5_ids(pipe, prompt: str, max_len: int = MAX_SEQUENCE_LENGTH) -> torch.Tensor:
    return pipe.tokenizer_2(
        [prompt], padding="max_length", max_length=max_len, truncation=True, return_tensors="pt"
    ).input_ids


@torch.no_grad()
def direction_case(pipe, case: dict, w: TensorWriter) -> tuple[dict, torch.Tensor]:
    pairs = pick_pairs(case["iterations"], case["seed"])
    pos = [template(MEDIUMS[m], case["target"], SUBJECTS[s]) for m, s in pairs]
    neg = [template(MEDIUMS[m], case["opposite"], SUBJECTS[s]) for m, s in pairs]
    ids_pos, ids_neg = clip_ids(pipe, pos), clip_ids(pipe, neg)
    p_pos = pipe.text_encoder(ids_pos, output_hidden_states=False).pooler_output
    p_neg = pipe.text_encoder(ids_neg, output_hidden_states=False).pooler_output
    direction = (p_pos - p_neg).mean(0)
    n = case["name"]
    entry = {
        "name": n,
        "target": case["target"],
        "opposite": case["opposite"],
        "pairs": pairs,
        "prompts_pos": pos,
        "prompts_neg": neg,
        "clip_ids_pos": w(f"{n}/clip_ids_pos", ids_pos, "int64"),
        "clip_ids_neg": w(f"{n}/clip_ids_neg", ids_neg, "int64"),
        "pooled_pos": w(f"{n}/pooled_pos", p_pos, "float32"),
        "pooled_neg": w(f"{n}/pooled_neg", p_neg, "float32"),
        "direction": w(f"{n}/direction", direction, "float32"),
    }
    return entry, direction


@torch.no_grad()
def generation_case(pipe, case: dict, direction: torch.Tensor, w: TensorWriter) -> dict:
    from diffusers import FluxPipeline

    n = case["name"]
    H, Wd = case["height"], case["width"]
    prompt = case["prompt"]
    prompt_embeds, pooled, text_ids = pipe.encode_prompt(
        prompt=prompt, prompt_2=prompt, device=torch.device("cpu"), max_sequence_length=MAX_SEQUENCE_LENGTH
    )
    cids, tids = clip_ids(pipe, [prompt]), t5_ids(pipe, prompt)
    # the same injected noise for every frame: drawn unpacked [1,16,H/8,W/8] with torch's CPU RNG, then packed
    lc = pipe.transformer.config.in_channels // 4
    h8, w8 = H // 8, Wd // 8
    gen = torch.Generator().manual_seed(case["noise_seed"])
    noise_unpacked = torch.randn((1, lc, h8, w8), generator=gen, dtype=torch.float32)
    noise = FluxPipeline._pack_latents(noise_unpacked, 1, lc, h8, w8)
    scales = frame_scales(case["strength"], case["frames"])

    fed_t: list[float] = []
    velocities: list[torch.Tensor] = []
    dec_io: dict[str, torch.Tensor] = {}

    def pre_hook(_m, _args, kwargs):
        fed_t.append(float(kwargs["timestep"].reshape(-1)[0]))

    def post_hook(_m, _args, _kwargs, out):
        velocities.append(out[0].detach().clone())

    def dec_hook(_m, args, out):
        dec_io["input"] = args[0].detach().clone()
        dec_io["output"] = out.detach().clone()

    hs = [
        pipe.transformer.register_forward_pre_hook(pre_hook, with_kwargs=True),
        pipe.transformer.register_forward_hook(post_hook, with_kwargs=True),
        pipe.vae.decoder.register_forward_hook(dec_hook),
    ]
    frames = []
    sigmas = timesteps = None
    transformer_timesteps = None
    try:
        for fi, s in enumerate(scales):
            step_latents: list[torch.Tensor] = []
            fed_t.clear()
            velocities.clear()

            def cb(_pipe, _i, _t, kw):
                step_latents.append(kw["latents"].detach().clone())
                return {}

            pooled_i = pooled + s * direction[None, :]
            out = pipe(
                prompt_embeds=prompt_embeds,
                pooled_prompt_embeds=pooled_i,
                num_inference_steps=case["steps"],
                guidance_scale=GUIDANCE_SCALE,
                height=H,
                width=Wd,
                latents=noise.clone(),
                max_sequence_length=MAX_SEQUENCE_LENGTH,
                output_type="pil",
                callback_on_step_end=cb,
                callback_on_step_end_tensor_inputs=["latents"],
            )
            rgb = np.asarray(out.images[0].convert("RGB"), dtype=np.uint8)
            if sigmas is None:
                sigmas = [float(x) for x in pipe.scheduler.sigmas.to(torch.float32)]
                timesteps = [float(x) for x in pipe.scheduler.timesteps.to(torch.float32)]
                transformer_timesteps = list(fed_t)
            assert list(fed_t) == transformer_timesteps
            pre = f"{n}/frame{fi}"
            frames.append(
                {
                    "scale": s,
                    "pooled": w(f"{pre}_pooled", pooled_i, "float32"),
                    "step_velocities": [w(f"{pre}_v{j}", v, "float32") for j, v in enumerate(velocities)],
                    "step_latents": [w(f"{pre}_step{j}", x, "float32") for j, x in enumerate(step_latents)],
                    "decoder_input": w(f"{pre}_decoder_input", dec_io["input"], "float32"),
                    "image": w(f"{pre}_image", dec_io["output"], "float32"),
                    "rgb": w(f"{pre}_rgb", rgb, "uint8"),
                }
            )
    finally:
        for h in hs:
            h.remove()
    return {
        "name": n,
        "prompt": prompt,
        "width": Wd,
        "height": H,
        "steps": case["steps"],
        "max_sequence_length": MAX_SEQUENCE_LENGTH,
        "guidance_scale": GUIDANCE_SCALE,
        "strength": case["strength"],
        "frames_count": case["frames"],
        "direction_case": case["direction_case"],
        "noise_seed": case["noise_seed"],
        "clip_ids": w(f"{n}/clip_ids", cids, "int64"),
        "t5_ids": w(f"{n}/t5_ids", tids, "int64"),
        "pooled": w(f"{n}/pooled", pooled, "float32"),
        "t5_embeds": w(f"{n}/t5_embeds", prompt_embeds, "float32"),
        "txt_ids": w(f"{n}/txt_ids", text_ids, "float32"),
        "img_ids": w(f"{n}/img_ids", FluxPipeline._prepare_latent_image_ids(1, H // 16, Wd // 16, "cpu", torch.float32), "float32"),
        "noise_unpacked": w(f"{n}/noise_unpacked", noise_unpacked, "float32"),
        "noise": w(f"{n}/noise", noise, "float32"),
        "sigmas": sigmas,
        "timesteps": timesteps,
        "transformer_timesteps": transformer_timesteps,
        "scales": scales,
        "frames": frames,
    }


def write_reference(bundle_dir: Path, out_dir: Path, weights: Path | None = None, log=print) -> dict:
    bundle_dir, out_dir = Path(bundle_dir), Path(out_dir)
    comp, manifest = load_components_for(bundle_dir, weights)
    pipe = build_pipeline(comp, bundle_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    w = TensorWriter(out_dir)
    dirs, directions = [], {}
    for c in DIRECTION_CASES:
        entry, d = direction_case(pipe, c, w)
        dirs.append(entry)
        directions[c["name"]] = d
        log(f"  direction {c['name']}: {len(entry['pairs'])} pairs")
    gens = []
    for c in GENERATION_CASES:
        gens.append(generation_case(pipe, c, directions[c["direction_case"]], w))
        log(f"  generation {c['name']}: {c['frames']} frames x {c['steps']} steps at {c['width']}x{c['height']}")
    index = {
        "bundle": bundle_dir.name,
        "bundle_id": manifest["id"],
        "bundle_version": manifest["version"],
        "weights_sha256": manifest.get("export", {}).get("weights_sha256", {}),
        "generator": "diffusers FluxPipeline, float32, CPU (tools/export reference)",
        "direction_cases": dirs,
        "generation_cases": gens,
    }
    (out_dir / "index.json").write_text(json.dumps(index, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    log(f"  {w.total} bytes of tensors")
    return index
