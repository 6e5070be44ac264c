"""Training: the taef1-architecture autoencoder first, then CLIP + T5 + FluxTransformer2DModel together with
FLUX.1-schnell's rectified-flow objective (x_t = (1 - t) x0 + t noise, the transformer predicts noise - x0 at
timestep t = sigma), deterministic from a seed, resumable from checkpoints.

How the app's inputs are reproduced cheaply but exactly:
* CLIP is causal and its pooled output is read at the first end-of-text token, so a caption padded to its own
  length gives the same pooled vector as one padded to 77.
* T5's self-attention output projections are zero (and kept zero), so T5 acts on each token alone: every pad
  token has the same output. In the transformer, txt_ids are zeros (no rotary offset between text tokens), so
  identical pad tokens stay identical and K copies of one act like one copy whose attention logit is raised by
  log K. Training pads to its own short length and adds that log-count to the pads' keys through the attention
  mask, which equals what the app computes with 512 (or 256) pad-filled T5 tokens.

States reach the model only through CLIP's pooled vector: T5's caption never has a state word. Part of each batch
is a slider sample: pooled(caption without that state) + a * direction, the direction computed as the app does
(mean pooled difference of "a {medium} of a {state} {subject}" template pairs over the Space's word lists), and
the picture's state parameter equal to 0.5 + a / 4 (a = -2 .. 2 spans the whole range).
"""

from __future__ import annotations

import copy
import json
import math
import os
import random
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from . import world as W

torch.set_num_threads(1)

from time_stream_export import models as M  # noqa: E402
from time_stream_export import tokenizers_build as tb  # noqa: E402
from time_stream_export.data import MEDIUMS as SPACE_MEDIUMS  # noqa: E402
from time_stream_export.data import SUBJECTS as SPACE_SUBJECTS  # noqa: E402

CONFIG = {
    "clip": dict(
        vocab_size=49408, hidden_size=32, intermediate_size=128, num_hidden_layers=3, num_attention_heads=2,
        max_position_embeddings=77, hidden_act="quick_gelu", layer_norm_eps=1e-5, projection_dim=32,
        bos_token_id=0, eos_token_id=2, pad_token_id=1,
    ),
    "t5": dict(
        d_model=64, d_ff=128, d_kv=32, num_heads=2, num_layers=2, feed_forward_proj="gated-gelu",
        relative_attention_num_buckets=32, relative_attention_max_distance=128, layer_norm_epsilon=1e-6,
        dropout_rate=0.0, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0, tie_word_embeddings=False,
        is_encoder_decoder=False, use_cache=False,
    ),
    "transformer": dict(
        patch_size=1, in_channels=64, num_layers=2, num_single_layers=2, attention_head_dim=32,
        num_attention_heads=4, joint_attention_dim=64, pooled_projection_dim=32, guidance_embeds=False,
        axes_dims_rope=(8, 12, 12),
    ),
    "vae": dict(
        in_channels=3, out_channels=3, encoder_block_out_channels=(16, 16, 16, 16),
        decoder_block_out_channels=(16, 16, 16, 16), act_fn="relu", upsample_fn="nearest", latent_channels=16,
        upsampling_scaling_factor=2, num_encoder_blocks=(1, 3, 3, 3), num_decoder_blocks=(3, 3, 3, 1),
        latent_magnitude=3, latent_shift=0.5, force_upcast=False, scaling_factor=1.0, shift_factor=0.0,
    ),
}
SCHNELL_SIGMAS = [1.0, 0.75, 2 / 3, 0.5, 1 / 3, 0.25]  # every sigma a 1-4 step schnell schedule visits
APP_T5_LENGTHS = [512, 256]  # the app's max_sequence_length choices
TRAIN_MEDIUMS = SPACE_MEDIUMS + W.PHOTO_MEDIUMS


def held_out_mediums(subject: int) -> list[str]:
    """Two (medium, subject) combinations per subject that training never shows: the measurement's captions."""
    return [TRAIN_MEDIUMS[(5 * subject + j * 7) % len(TRAIN_MEDIUMS)] for j in range(2)]


def set_threads():
    os.environ["OMP_NUM_THREADS"] = "1"
    torch.set_num_threads(1)


# ------------------------------------------------------------------------------------------- models


def build_models(seed: int):
    from diffusers import AutoencoderTiny, FluxTransformer2DModel
    from transformers import CLIPTextConfig, CLIPTextModel, T5Config, T5EncoderModel

    torch.manual_seed(seed * 1000 + 1)
    ccfg = CLIPTextConfig(**CONFIG["clip"])
    ccfg._attn_implementation = "eager"
    clip = CLIPTextModel(ccfg)
    torch.manual_seed(seed * 1000 + 2)
    t5 = T5EncoderModel(T5Config(vocab_size=tb.T5_VOCAB_SIZE, **CONFIG["t5"]))
    zero_t5_attention(t5)
    torch.manual_seed(seed * 1000 + 3)
    transformer = FluxTransformer2DModel(**CONFIG["transformer"])
    torch.manual_seed(seed * 1000 + 4)
    vae = AutoencoderTiny(**CONFIG["vae"])
    return clip, t5, transformer, vae


def zero_t5_attention(t5) -> None:
    for block in t5.encoder.block:
        o = block.layer[0].SelfAttention.o
        with torch.no_grad():
            o.weight.zero_()
        o.weight.requires_grad_(False)


def tokenizers(out: Path):
    from transformers import AutoTokenizer

    cdir, tdir = out / "tokenizers" / "clip", out / "tokenizers" / "t5"
    if not (cdir / "tokenizer.json").is_file():
        tb.write_clip_tokenizer(cdir)
    if not (tdir / "tokenizer.json").is_file():
        tb.write_t5_tokenizer(tdir)
    return AutoTokenizer.from_pretrained(cdir), AutoTokenizer.from_pretrained(tdir), cdir, tdir


def clip_pooled(clip, clip_tok, texts: list[str]) -> torch.Tensor:
    """Pooled CLIP vectors, exactly as with padding to 77 (causal attention, pooled at the first end token)."""
    ids = clip_tok(texts, padding="longest", truncation=True, max_length=77, return_tensors="pt").input_ids
    return clip(ids).pooler_output


def t5_tokens(t5, t5_tok, texts: list[str], app_lengths: list[int]):
    """T5 outputs for the captions padded to (longest + 1) and the attention bias that makes the pad tokens
    count as many times as in the app (app_lengths[i] tokens)."""
    enc = t5_tok(texts, padding="longest", truncation=True, max_length=64, return_tensors="pt")
    ids = F.pad(enc.input_ids, (0, 1), value=t5_tok.pad_token_id)
    n = (ids != t5_tok.pad_token_id).sum(1)  # content tokens incl. </s>
    L = ids.shape[1]
    bias = torch.zeros(ids.shape, dtype=torch.float32)
    for i, la in enumerate(app_lengths):
        bias[i, n[i]:] = math.log((la - int(n[i])) / (L - int(n[i])))
    return t5(ids).last_hidden_state, bias


def transformer_forward(transformer, x, t, t5_out, pooled, text_bias, img_ids):
    """FluxTransformer2DModel as FluxPipeline calls it, with the pad-count bias on the text keys."""
    B, Lt = t5_out.shape[:2]
    mask = torch.cat([text_bias, torch.zeros(B, x.shape[1])], 1)[:, None, None, :]
    return transformer(
        hidden_states=x, encoder_hidden_states=t5_out, pooled_projections=pooled, timestep=t,
        img_ids=img_ids, txt_ids=torch.zeros(Lt, 3), joint_attention_kwargs={"attention_mask": mask},
        return_dict=False,
    )[0]


def pack(lat: torch.Tensor) -> torch.Tensor:
    from diffusers import FluxPipeline

    B, C, H, Wd = lat.shape
    return FluxPipeline._pack_latents(lat, B, C, H, Wd)


def img_ids_for(size: int = W.SIZE) -> torch.Tensor:
    from diffusers import FluxPipeline

    return FluxPipeline._prepare_latent_image_ids(1, size // 16, size // 16, "cpu", torch.float32)


# ------------------------------------------------------------------------------------------- checkpoints


def save_ckpt(path: Path, obj: dict) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def lr_at(step: int, total: int, base: float, warmup: int = 300) -> float:
    if step < warmup:
        return base * (step + 1) / warmup
    p = (step - warmup) / max(1, total - warmup)
    return base * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, p))))


# ------------------------------------------------------------------------------------------- stage 1: autoencoder


def train_autoencoder(vae, out: Path, seed: int, steps: int, batch: int = 32, log=print):
    ck = out / "ae.ckpt"
    opt = torch.optim.AdamW(vae.parameters(), lr=2e-3, weight_decay=0.0)
    start = 0
    if ck.is_file():
        s = torch.load(ck, weights_only=False)
        vae.load_state_dict(s["vae"])
        opt.load_state_dict(s["opt"])
        start = s["step"]
        log(f"autoencoder: resumed at step {start}")
    vae.train()
    t0 = time.time()
    for step in range(start, steps):
        for gr in opt.param_groups:
            gr["lr"] = lr_at(step, steps, 2e-3, 100)
        sc = W.scenes(seed * 7919 + step, batch)
        x = torch.from_numpy(W.draw_many(sc)).permute(0, 3, 1, 2).float() / 127.5 - 1
        g = torch.Generator().manual_seed(seed * 7919 + step)
        z = vae.encoder(x)
        zn = z + 0.1 * torch.randn(z.shape, generator=g)  # the decoder must take imperfect latents
        y = vae.decoder(zn)
        loss = F.mse_loss(y, x) + 0.5 * F.l1_loss(y, x) + 1e-3 * z.pow(2).mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        opt.step()
        if (step + 1) % 50 == 0:
            log(f"autoencoder step {step + 1}/{steps} loss {float(loss.detach()):.5f} ({time.time() - t0:.0f} s)")
        if (step + 1) % 250 == 0 or step + 1 == steps:
            save_ckpt(ck, {"vae": vae.state_dict(), "opt": opt.state_dict(), "step": step + 1})
    vae.eval()


@torch.no_grad()
def encode_pool(vae, scenes: list[W.Scene], chunk: int = 256) -> torch.Tensor:
    out = []
    for i in range(0, len(scenes), chunk):
        x = torch.from_numpy(W.draw_many(scenes[i:i + chunk])).permute(0, 3, 1, 2).float() / 127.5 - 1
        out.append(vae.encoder(x))
    return torch.cat(out)


# ------------------------------------------------------------------------------------------- stage 2: flow model


def make_batch(pool: list[W.Scene], rng: random.Random, batch: int, slider_frac: float):
    """Indices, CLIP captions, T5 captions and per-sample slider (pair index, a) or None."""
    idx, clip_caps, t5_caps, slider = [], [], [], []
    for _ in range(batch):
        i = rng.randrange(len(pool))
        s = pool[i]
        subj = W.SUBJECTS[s.subject]
        medium = None
        if rng.random() < 0.55:
            medium = rng.choice([m for m in TRAIN_MEDIUMS if m not in held_out_mediums(s.subject)])
        if rng.random() < slider_frac:
            k = rng.randrange(len(W.PAIRS))
            p = getattr(s, W.PARAMS[k])
            if p < 0.05:
                a = -rng.uniform(1.8, 3.5)
            elif p > 0.95:
                a = rng.uniform(1.8, 3.5)
            else:
                a = 4 * (p - 0.5)
            words = [w for w in W.state_words(s, rng) if w not in W.PAIRS[k][1] + W.PAIRS[k][2]]
            slider.append((k, a))
        else:
            words = W.state_words(s, rng)
            slider.append(None)
        cap = W.caption(subj, words, medium)
        idx.append(i)
        clip_caps.append(cap)
        t5_caps.append(W.strip_states(cap))
    return idx, clip_caps, t5_caps, slider


def template_directions(clip, clip_tok, rng: random.Random, pairs_per_state: int = 8) -> torch.Tensor:
    """[3, D]: for each state pair, the app's direction: mean over random (Space medium, Space subject) of
    pooled("a M of a {high} S") - pooled("a M of a {low} S")."""
    texts = []
    for _, lo, hi in W.PAIRS:
        ms = [(rng.choice(SPACE_MEDIUMS), rng.choice(SPACE_SUBJECTS + W.SUBJECTS)) for _ in range(pairs_per_state)]
        texts += [f"a {m} of a {rng.choice(hi)} {s}" for m, s in ms]
        texts += [f"a {m} of a {rng.choice(lo)} {s}" for m, s in ms]
    p = clip_pooled(clip, clip_tok, texts).view(len(W.PAIRS), 2, pairs_per_state, -1)
    return (p[:, 0] - p[:, 1]).mean(1)


def sample_t(g: torch.Generator, n: int) -> torch.Tensor:
    t = torch.sigmoid(torch.randn(n, generator=g))
    pick = torch.rand(n, generator=g) < 0.35
    disc = torch.tensor(SCHNELL_SIGMAS)[torch.randint(len(SCHNELL_SIGMAS), (n,), generator=g)]
    return torch.where(pick, disc, t)


def train_flow(out: Path, seed: int = 0, ae_steps: int = 1500, steps: int = 8000, batch: int = 64,
               pool_size: int = 20000, slider_frac: float = 0.35, lr: float = 1e-3, log=print) -> Path:
    set_threads()
    out.mkdir(parents=True, exist_ok=True)
    clip, t5, transformer, vae = build_models(seed)
    clip_tok, t5_tok, cdir, tdir = tokenizers(out)
    t_start = time.time()
    train_autoencoder(vae, out, seed, ae_steps, log=log)
    for p in vae.parameters():
        p.requires_grad_(False)

    pool = W.scenes(seed * 104729 + 5, pool_size)
    lat_file = out / "latents.pt"
    if lat_file.is_file():
        z = torch.load(lat_file, weights_only=True)
    else:
        z = encode_pool(vae, pool)
        torch.save(z, lat_file)
        log(f"encoded {len(pool)} pictures to latents {tuple(z.shape[1:])}")
    shift, std = float(z.mean()), float(z.std())
    vae.register_to_config(scaling_factor=1.0 / std, shift_factor=shift)
    x0_all = pack((z - shift) / std)

    modules = {"clip": clip, "t5": t5, "transformer": transformer}
    params = [p for m in modules.values() for p in m.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    ema = {k: copy.deepcopy(m).eval() for k, m in modules.items()}
    for m in ema.values():
        for p in m.parameters():
            p.requires_grad_(False)
    ck = out / "flow.ckpt"
    start = 0
    if ck.is_file():
        s = torch.load(ck, weights_only=False)
        for k, m in modules.items():
            m.load_state_dict(s[k])
            ema[k].load_state_dict(s["ema_" + k])
        opt.load_state_dict(s["opt"])
        start = s["step"]
        log(f"flow: resumed at step {start}")
    for m in modules.values():
        m.train()
    img_ids = img_ids_for()
    t0 = time.time()
    run_loss = 0.0
    for step in range(start, steps):
        for gr in opt.param_groups:
            gr["lr"] = lr_at(step, steps, lr)
        rng = random.Random(seed * 1_000_003 + step)
        g = torch.Generator().manual_seed(seed * 1_000_003 + step)
        idx, clip_caps, t5_caps, slider = make_batch(pool, rng, batch, slider_frac)
        x0 = x0_all[idx]
        pooled = clip_pooled(clip, clip_tok, clip_caps)
        if any(s is not None for s in slider):
            dirs = template_directions(clip, clip_tok, rng)
            add = torch.stack([a * dirs[k] if s is not None else torch.zeros_like(dirs[0])
                               for s in slider for k, a in [s or (0, 0.0)]])
            pooled = pooled + add
        t5_out, bias = t5_tokens(t5, t5_tok, t5_caps, [rng.choice(APP_T5_LENGTHS) for _ in t5_caps])
        t = sample_t(g, batch)
        noise = torch.randn(x0.shape, generator=g)
        xt = (1 - t[:, None, None]) * x0 + t[:, None, None] * noise
        v = transformer_forward(transformer, xt, t, t5_out, pooled, bias, img_ids)
        loss = F.mse_loss(v, noise - x0)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        with torch.no_grad():
            d = min(0.999, (1 + step) / (10 + step))
            for k, m in modules.items():
                for pe, pm in zip(ema[k].parameters(), m.parameters()):
                    pe.mul_(d).add_(pm.detach(), alpha=1 - d)
        run_loss += float(loss.detach())
        if (step + 1) % 50 == 0:
            log(f"flow step {step + 1}/{steps} loss {run_loss / 50:.4f} lr {opt.param_groups[0]['lr']:.2e} "
                f"({time.time() - t0:.0f} s)")
            run_loss = 0.0
        if (step + 1) % 200 == 0 or step + 1 == steps:
            save_ckpt(ck, {**{k: m.state_dict() for k, m in modules.items()},
                           **{"ema_" + k: m.state_dict() for k, m in ema.items()},
                           "opt": opt.state_dict(), "step": step + 1})
    weights = out / "weights"
    write_weights(ema["clip"], ema["t5"], ema["transformer"], vae, weights, cdir, tdir,
                  f"trained by tools/train-tiny (seed {seed}, {ae_steps} autoencoder + {steps} flow steps, batch "
                  f"{batch}) on the procedural world of tools/train-tiny/train_tiny/world.py: six subjects drawn as "
                  "shapes, three state pairs. Real classes at small widths; CLIP tokenizer: the real CLIP BPE "
                  "vocabulary; T5 tokenizer: the stand-in SentencePiece vocabulary of tools/export.")
    (out / "train_info.json").write_text(json.dumps(
        {"seed": seed, "ae_steps": ae_steps, "steps": steps, "batch": batch, "pool_size": pool_size,
         "slider_frac": slider_frac, "threads": torch.get_num_threads(),
         "seconds_this_run": round(time.time() - t_start, 1)}, indent=1) + "\n")
    log(f"weights written to {weights}")
    return weights


def write_weights(clip, t5, transformer, vae, out: Path, cdir: Path, tdir: Path, source: str) -> None:
    comp = M.Components(clip.eval(), t5.eval(), transformer.eval(), vae.eval(), source=source)
    M.save_weights_dir(comp, out, cdir, tdir)


def weights_from_checkpoint(run: Path, dest: Path, seed: int = 0) -> int:
    """Write the EMA weights of a run's latest checkpoints as a diffusers-layout folder (to measure a run while it
    trains, or to finish an interrupted one by hand); returns the flow step of the checkpoint."""
    clip, t5, transformer, vae = build_models(seed)
    _, _, cdir, tdir = tokenizers(run)
    vae.load_state_dict(torch.load(run / "ae.ckpt", weights_only=False)["vae"])
    z = torch.load(run / "latents.pt", weights_only=True)
    vae.register_to_config(scaling_factor=1.0 / float(z.std()), shift_factor=float(z.mean()))
    s = torch.load(run / "flow.ckpt", weights_only=False)
    for k, m in {"clip": clip, "t5": t5, "transformer": transformer}.items():
        m.load_state_dict(s["ema_" + k])
    write_weights(clip, t5, transformer, vae, dest, cdir, tdir,
                  f"tools/train-tiny checkpoint of {run.name} at flow step {s['step']} (EMA weights)")
    return int(s["step"])
