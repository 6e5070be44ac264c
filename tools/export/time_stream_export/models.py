"""The four FLUX.1-schnell components, built with the real classes.

* ``build_random(size, seed)``: random weights from small configs of the SAME classes (transformers
  ``CLIPTextModel``/``T5EncoderModel``, diffusers ``FluxTransformer2DModel``/``AutoencoderTiny``), seeded.
* ``save_weights_dir`` writes them as a diffusers-layout folder; ``load_weights_dir`` reads such a folder
  (real weights or the saved random ones) without ever downloading, after ``check_weights_dir`` has verified
  that every needed file is present and complete.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import torch  # noqa: E402

try:  # no progress bars in logs
    import diffusers.utils.logging as _dl
    import transformers.utils.logging as _tl

    _dl.disable_progress_bar()
    _tl.disable_progress_bar()
except Exception:  # pragma: no cover
    pass

SCHNELL_SCHEDULER = {
    "_class_name": "FlowMatchEulerDiscreteScheduler",
    "base_image_seq_len": 256,
    "base_shift": 0.5,
    "max_image_seq_len": 4096,
    "max_shift": 1.15,
    "num_train_timesteps": 1000,
    "shift": 1.0,
    "use_dynamic_shifting": False,
}

# --------------------------------------------------------------------------------------------- configs

SIZES: dict[str, dict[str, dict[str, Any]]] = {
    "tiny": {
        "clip": dict(
            vocab_size=49408, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
            max_position_embeddings=77, hidden_act="quick_gelu", layer_norm_eps=1e-5, projection_dim=32,
            bos_token_id=0, eos_token_id=2, pad_token_id=1,
        ),
        "t5": dict(
            d_model=32, d_ff=64, d_kv=16, num_heads=2, num_layers=2, feed_forward_proj="gated-gelu",
            relative_attention_num_buckets=32, relative_attention_max_distance=128, layer_norm_epsilon=1e-6,
            dropout_rate=0.0, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0, tie_word_embeddings=False,
            is_encoder_decoder=False, use_cache=False,
        ),
        "transformer": dict(
            patch_size=1, in_channels=64, num_layers=1, num_single_layers=2, attention_head_dim=16,
            num_attention_heads=2, joint_attention_dim=32, pooled_projection_dim=32, guidance_embeds=False,
            axes_dims_rope=(4, 6, 6),
        ),
        "decoder": dict(
            in_channels=3, out_channels=3, encoder_block_out_channels=(16, 16, 16, 16),
            decoder_block_out_channels=(16, 16, 16, 16), act_fn="relu", upsample_fn="nearest", latent_channels=16,
            upsampling_scaling_factor=2, num_encoder_blocks=(1, 3, 3, 3), num_decoder_blocks=(3, 3, 3, 1),
            latent_magnitude=3, latent_shift=0.5, force_upcast=False, scaling_factor=1.0, shift_factor=0.0,
        ),
    },
    "mid": {
        "clip": dict(
            vocab_size=49408, hidden_size=256, intermediate_size=1024, num_hidden_layers=4, num_attention_heads=4,
            max_position_embeddings=77, hidden_act="quick_gelu", layer_norm_eps=1e-5, projection_dim=256,
            bos_token_id=0, eos_token_id=2, pad_token_id=1,
        ),
        "t5": dict(
            d_model=256, d_ff=640, d_kv=64, num_heads=4, num_layers=4, feed_forward_proj="gated-gelu",
            relative_attention_num_buckets=32, relative_attention_max_distance=128, layer_norm_epsilon=1e-6,
            dropout_rate=0.0, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0, tie_word_embeddings=False,
            is_encoder_decoder=False, use_cache=False,
        ),
        "transformer": dict(
            patch_size=1, in_channels=64, num_layers=2, num_single_layers=4, attention_head_dim=64,
            num_attention_heads=4, joint_attention_dim=256, pooled_projection_dim=256, guidance_embeds=False,
            axes_dims_rope=(16, 24, 24),
        ),
        # the real taef1 decoder architecture (64 channels)
        "decoder": dict(
            in_channels=3, out_channels=3, encoder_block_out_channels=(64, 64, 64, 64),
            decoder_block_out_channels=(64, 64, 64, 64), act_fn="relu", upsample_fn="nearest", latent_channels=16,
            upsampling_scaling_factor=2, num_encoder_blocks=(1, 3, 3, 3), num_decoder_blocks=(3, 3, 3, 1),
            latent_magnitude=3, latent_shift=0.5, force_upcast=False, scaling_factor=1.0, shift_factor=0.0,
        ),
    },
}

# diffusers-layout sub-folders of each component
SUBFOLDERS = {"clip": "text_encoder", "t5": "text_encoder_2", "transformer": "transformer", "decoder": "vae"}
WEIGHT_NAMES = {
    "clip": "model.safetensors",
    "t5": "model.safetensors",
    "transformer": "diffusion_pytorch_model.safetensors",
    "decoder": "diffusion_pytorch_model.safetensors",
}


@dataclass
class Components:
    clip: Any
    t5: Any
    transformer: Any
    decoder: Any  # AutoencoderTiny (the whole module; only its decoder is exported)
    clip_tokenizer: Any = None
    t5_tokenizer: Any = None
    scheduler_config: dict = field(default_factory=lambda: dict(SCHNELL_SCHEDULER))
    source: str = ""

    def modules(self) -> dict[str, torch.nn.Module]:
        return {"clip": self.clip, "t5": self.t5, "transformer": self.transformer, "decoder": self.decoder}


def build_random(size: str = "tiny", seed: int = 0, t5_vocab_size: int | None = None) -> Components:
    from diffusers import AutoencoderTiny, FluxTransformer2DModel
    from transformers import CLIPTextConfig, CLIPTextModel, T5Config, T5EncoderModel

    from . import tokenizers_build as tb

    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; choose one of {sorted(SIZES)}")
    cfg = copy.deepcopy(SIZES[size])
    if t5_vocab_size is None:
        t5_vocab_size = tb.T5_VOCAB_SIZE
    cfg["t5"]["vocab_size"] = t5_vocab_size

    # one seeded generator stream per component, so changing one config leaves the others' weights alone
    def seeded(k: int):
        torch.manual_seed(seed * 1000 + k)

    seeded(1)
    clip_cfg = CLIPTextConfig(**cfg["clip"])
    clip_cfg._attn_implementation = "eager"
    clip = CLIPTextModel(clip_cfg).eval()
    seeded(2)
    t5_cfg = T5Config(**cfg["t5"])
    t5 = T5EncoderModel(t5_cfg).eval()
    seeded(3)
    transformer = FluxTransformer2DModel(**cfg["transformer"]).eval()
    _randomize_zero_inits(transformer, seed)
    seeded(4)
    decoder = AutoencoderTiny(**cfg["decoder"]).eval()
    _calibrate_decoder(decoder, seed)
    return Components(clip, t5, transformer, decoder, source=f"random weights, tools/export --size {size} --seed {seed}")


def _calibrate_decoder(vae: torch.nn.Module, seed: int) -> None:
    """Rescale the random decoder's last conv so its raw output spans about 0.5 +- 0.3 per channel on unit-normal
    latents (default init gives a nearly black image, which makes the RGB fixtures uninformative)."""
    last = vae.decoder.layers[-1]
    assert isinstance(last, torch.nn.Conv2d), type(last)
    g = torch.Generator().manual_seed(seed * 1000 + 98)
    z = torch.randn(4, vae.config.latent_channels, 8, 8, generator=g)
    with torch.no_grad():
        # Measured in float64 on a copy: in float32 one channel's factor sits 1 ulp from a rounding boundary
        # (23502.5019), and convolution sums that differ in the last bit between runs flipped the weights.
        raw = (copy.deepcopy(vae.decoder).double()(z.double()) + 1) / 2
        mu64 = raw.mean(dim=(0, 2, 3))
        sd64 = raw.std(dim=(0, 2, 3)).clamp_min(1e-6)
        # rounded to thousandths, then the same float32 division as before (the committed weights are unchanged)
        k = torch.round(0.3 / sd64 * 1000).float() / 1000
        mu = torch.round(mu64 * 1000).float() / 1000
        last.weight.mul_(k[:, None, None, None])
        last.bias.copy_((last.bias - mu) * k + 0.5)


def _randomize_zero_inits(module: torch.nn.Module, seed: int) -> None:
    """Nothing in diffusers' Flux init is zero today; kept as a hook so random models never degenerate to a
    constant output (a zero-initialised final projection would make every parity check trivially pass)."""
    g = torch.Generator().manual_seed(seed * 1000 + 99)
    with torch.no_grad():
        for name, p in module.named_parameters():
            if p.dim() >= 1 and p.numel() > 0 and torch.count_nonzero(p) == 0 and not name.endswith("bias"):
                p.copy_(torch.randn(p.shape, generator=g) * 0.02)


# --------------------------------------------------------------------------------------------- save / load


def save_weights_dir(comp: Components, out: Path, clip_tok_dir: Path | None = None, t5_tok_dir: Path | None = None) -> Path:
    """Write a diffusers-layout folder (model_index.json, scheduler/, text_encoder/, tokenizer/, ...)."""
    import shutil

    out.mkdir(parents=True, exist_ok=True)
    comp.clip.save_pretrained(out / "text_encoder", safe_serialization=True)
    comp.t5.save_pretrained(out / "text_encoder_2", safe_serialization=True)
    comp.transformer.save_pretrained(out / "transformer", safe_serialization=True)
    comp.decoder.save_pretrained(out / "vae", safe_serialization=True)
    (out / "scheduler").mkdir(exist_ok=True)
    (out / "scheduler" / "scheduler_config.json").write_text(json.dumps(comp.scheduler_config, indent=2) + "\n")
    for src, name in ((clip_tok_dir, "tokenizer"), (t5_tok_dir, "tokenizer_2")):
        if src is not None:
            dst = out / name
            dst.mkdir(exist_ok=True)
            for f in Path(src).iterdir():
                shutil.copyfile(f, dst / f.name)
    index = {
        "_class_name": "FluxPipeline",
        "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
        "text_encoder": ["transformers", "CLIPTextModel"],
        "text_encoder_2": ["transformers", "T5EncoderModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"],
        "tokenizer_2": ["transformers", "T5TokenizerFast"],
        "transformer": ["diffusers", "FluxTransformer2DModel"],
        "vae": ["diffusers", "AutoencoderTiny"],
    }
    (out / "model_index.json").write_text(json.dumps(index, indent=2) + "\n")
    (out / "SOURCE.txt").write_text(comp.source + "\n")
    return out


class WeightsError(Exception):
    """A weights folder is missing files or has incomplete ones."""


def _check_safetensors(path: Path, rel: str) -> str | None:
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                return f"{rel}: truncated safetensors file ({size} bytes, no header)"
            (n,) = struct.unpack("<Q", head)
            if n > size - 8:
                return f"{rel}: truncated safetensors file ({size} bytes, header alone needs {8 + n})"
            header = json.loads(f.read(n))
    except (OSError, ValueError) as e:
        return f"{rel}: unreadable safetensors file ({e})"
    end = 0
    for k, v in header.items():
        if k == "__metadata__":
            continue
        end = max(end, int(v["data_offsets"][1]))
    need = 8 + n + end
    if size < need:
        return f"{rel}: truncated safetensors file ({size} bytes, its header needs {need})"
    return None


def _check_component_weights(root: Path, sub: str, single: str) -> list[str]:
    problems: list[str] = []
    d = root / sub
    if not (d / "config.json").is_file():
        problems.append(f"{sub}/config.json")
    index = d / (single + ".index.json")
    if (d / single).is_file():
        p = _check_safetensors(d / single, f"{sub}/{single}")
        if p:
            problems.append(p)
    elif index.is_file():
        try:
            wm = json.loads(index.read_text())["weight_map"]
        except (ValueError, KeyError) as e:
            return problems + [f"{sub}/{index.name}: unreadable index ({e})"]
        for shard in sorted(set(wm.values())):
            sp = d / shard
            if not sp.is_file():
                problems.append(f"{sub}/{shard} (listed in {index.name})")
            else:
                p = _check_safetensors(sp, f"{sub}/{shard}")
                if p:
                    problems.append(p)
    else:
        problems.append(f"{sub}/{single} (or {sub}/{index.name})")
    return problems


def find_vae_folder(root: Path) -> str:
    """taef1 lives in taef1/ (madebyollin/taef1 as downloaded) or in vae/ when that is an AutoencoderTiny."""
    for sub in ("taef1", "vae"):
        cfg = root / sub / "config.json"
        if cfg.is_file():
            try:
                cls = json.loads(cfg.read_text()).get("_class_name")
            except ValueError:
                cls = None
            if cls == "AutoencoderTiny":
                return sub
    return "taef1"


def check_weights_dir(root: Path) -> None:
    """Raise WeightsError naming every missing or incomplete file."""
    root = Path(root)
    if not root.is_dir():
        raise WeightsError(f"weights folder {root} does not exist")
    problems: list[str] = []
    for comp in ("clip", "t5", "transformer"):
        problems += _check_component_weights(root, SUBFOLDERS[comp], WEIGHT_NAMES[comp])
    vae_sub = find_vae_folder(root)
    vp = _check_component_weights(root, vae_sub, WEIGHT_NAMES["decoder"])
    if vae_sub == "taef1" and not (root / "taef1").is_dir() and (root / "vae" / "config.json").is_file():
        vp = [
            "taef1/config.json + taef1/diffusion_pytorch_model.safetensors (vae/ is not an AutoencoderTiny: "
            "put madebyollin/taef1 in taef1/)"
        ]
    problems += vp
    tok = root / "tokenizer"
    if not ((tok / "tokenizer.json").is_file() or ((tok / "vocab.json").is_file() and (tok / "merges.txt").is_file())):
        problems.append("tokenizer/tokenizer.json (or tokenizer/vocab.json + tokenizer/merges.txt)")
    tok2 = root / "tokenizer_2"
    if not ((tok2 / "tokenizer.json").is_file() or (tok2 / "spiece.model").is_file()):
        problems.append("tokenizer_2/tokenizer.json (or tokenizer_2/spiece.model)")
    if problems:
        raise WeightsError(
            f"weights folder {root} is incomplete; missing or broken:\n  - " + "\n  - ".join(problems)
        )


def load_weights_dir(root: Path) -> Components:
    from diffusers import AutoencoderTiny, FluxTransformer2DModel
    from transformers import AutoTokenizer, CLIPTextModel, T5EncoderModel

    root = Path(root)
    check_weights_dir(root)
    kw = dict(local_files_only=True, torch_dtype=torch.float32)
    clip = CLIPTextModel.from_pretrained(root / "text_encoder", attn_implementation="eager", **kw).eval()
    t5 = T5EncoderModel.from_pretrained(root / "text_encoder_2", **kw).eval()
    transformer = FluxTransformer2DModel.from_pretrained(root / "transformer", **kw).eval()
    decoder = AutoencoderTiny.from_pretrained(root / find_vae_folder(root), **kw).eval()
    clip_tok = AutoTokenizer.from_pretrained(root / "tokenizer", local_files_only=True)
    t5_tok = AutoTokenizer.from_pretrained(root / "tokenizer_2", local_files_only=True)
    sched = dict(SCHNELL_SCHEDULER)
    sc = root / "scheduler" / "scheduler_config.json"
    if sc.is_file():
        sched.update({k: v for k, v in json.loads(sc.read_text()).items() if not k.startswith("_diffusers")})
    src_file = root / "SOURCE.txt"
    source = src_file.read_text().strip() if src_file.is_file() else f"weights folder {root.name}"
    return Components(clip, t5, transformer, decoder, clip_tok, t5_tok, sched, source)


def state_sha256(module: torch.nn.Module) -> str:
    """Hash of a module's state (names, dtypes, shapes, bytes): identifies the exact weights exported."""
    h = hashlib.sha256()
    for name, t in sorted(module.state_dict().items()):
        t = t.detach().contiguous().cpu()
        h.update(name.encode())
        h.update(str(t.dtype).encode())
        h.update(str(tuple(t.shape)).encode())
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def module_config(name: str, module: Any) -> dict:
    """JSON-able config of a component (transformers to_dict / diffusers config)."""
    if name in ("clip", "t5"):
        d = module.config.to_dict()
    else:
        d = dict(module.config)
    out = {}
    for k, v in d.items():
        if k.startswith("_") and k not in ("_class_name",):
            continue
        if k in ("transformers_version", "torch_dtype", "dtype", "architectures", "id2label", "label2id"):
            continue
        try:
            json.dumps(v)
        except TypeError:
            v = list(v) if isinstance(v, tuple) else str(v)
        out[k] = list(v) if isinstance(v, tuple) else v
    out["_class_name"] = type(module).__name__
    return dict(sorted(out.items()))
