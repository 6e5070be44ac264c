"""Each exported component vs its PyTorch module, in onnxruntime (CPU), on random inputs."""

import numpy as np
import pytest
import torch

from conftest import TINY, TINY_Q4, ort_session
from time_stream_export import models as M
from time_stream_export.export_onnx import image_ids

TOL = 1e-4


def maxdiff(a, b) -> float:
    return float(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)).max())


def cosine(a, b) -> float:
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def clip_ids(batch, eos_positions, gen):
    ids = torch.randint(1, 49406, (batch, 77), generator=gen)
    ids[:, 0] = 49406
    for b, p in enumerate(eos_positions):
        ids[b, p:] = 49407
    return ids


def test_weights_are_the_exported_ones(tiny_components, tiny_manifest, tiny_q4_manifest):
    for name, mod in tiny_components.modules().items():
        h = M.state_sha256(mod)
        assert tiny_manifest["export"]["weights_sha256"][name] == h, name
        assert tiny_q4_manifest["export"]["weights_sha256"][name] == h, name


def test_clip_parity(tiny_components):
    s = ort_session(TINY / "clip.onnx")
    g = torch.Generator().manual_seed(0)
    worst = 0.0
    for batch, eos in ((3, [1, 9, 76]), (1, [40])):
        ids = clip_ids(batch, eos, g)
        with torch.no_grad():
            ref = tiny_components.clip(input_ids=ids)
        pooled, hidden = s.run(None, {"input_ids": ids.numpy()})
        worst = max(worst, maxdiff(pooled, ref.pooler_output), maxdiff(hidden, ref.last_hidden_state))
    print(f"\nclip fp32 max|diff| = {worst:.3g}")
    assert worst <= TOL


def test_t5_parity(tiny_components):
    s = ort_session(TINY / "t5.onnx")
    g = torch.Generator().manual_seed(1)
    worst = 0.0
    for batch, L in ((1, 512), (2, 7)):
        ids = torch.randint(0, tiny_components.t5.config.vocab_size, (batch, L), generator=g)
        with torch.no_grad():
            ref = tiny_components.t5(input_ids=ids).last_hidden_state
        (out,) = s.run(None, {"input_ids": ids.numpy()})
        worst = max(worst, maxdiff(out, ref))
    print(f"\nt5 fp32 max|diff| = {worst:.3g}")
    assert worst <= TOL


def transformer_inputs(tr, batch, h, w, L, gen):
    c = tr.config
    N = h * w
    return {
        "hidden_states": torch.randn(batch, N, c.in_channels, generator=gen),
        "encoder_hidden_states": torch.randn(batch, L, c.joint_attention_dim, generator=gen),
        "pooled_projections": torch.randn(batch, c.pooled_projection_dim, generator=gen),
        "timestep": torch.rand(batch, generator=gen),
        "img_ids": image_ids(h, w),
        "txt_ids": torch.zeros(L, 3),
    }


def run_transformer_torch(tr, inp):
    with torch.no_grad():
        return tr(**inp, guidance=None, return_dict=False)[0]


TRANSFORMER_CASES = [(1, 4, 4, 512), (2, 3, 5, 7), (1, 16, 16, 64), (1, 2, 2, 512)]  # (B, H/16, W/16, L)


def test_transformer_parity(tiny_components):
    s = ort_session(TINY / "transformer.onnx")
    g = torch.Generator().manual_seed(2)
    worst = 0.0
    for b, h, w, L in TRANSFORMER_CASES:
        inp = transformer_inputs(tiny_components.transformer, b, h, w, L, g)
        ref = run_transformer_torch(tiny_components.transformer, inp)  # diffusers' own float64 RoPE
        (out,) = s.run(None, {k: v.numpy() for k, v in inp.items()})
        assert out.shape == tuple(ref.shape)
        worst = max(worst, maxdiff(out, ref))
    print(f"\ntransformer fp32 max|diff| = {worst:.3g}")
    assert worst <= TOL


def test_decoder_parity(tiny_components):
    s = ort_session(TINY / "decoder.onnx")
    g = torch.Generator().manual_seed(3)
    worst = 0.0
    for b, h, w in ((1, 4, 4), (1, 32, 32), (2, 6, 10)):  # 32x32, 256x256, 48x80 pixels
        z = torch.randn(b, 16, h, w, generator=g) * 1.5
        with torch.no_grad():
            ref = tiny_components.decoder.decode(z, return_dict=False)[0]
        (out,) = s.run(None, {"latents": z.numpy()})
        assert out.shape == (b, 3, 8 * h, 8 * w)
        worst = max(worst, maxdiff(out, ref))
    print(f"\ndecoder fp32 max|diff| = {worst:.3g}")
    assert worst <= TOL


def test_q4_transformer_cosine(tiny_components):
    s = ort_session(TINY_Q4 / "transformer.onnx")
    g = torch.Generator().manual_seed(4)
    worst_cos, worst_diff = 1.0, 0.0
    for b, h, w, L in TRANSFORMER_CASES:
        inp = transformer_inputs(tiny_components.transformer, b, h, w, L, g)
        ref = run_transformer_torch(tiny_components.transformer, inp)
        (out,) = s.run(None, {k: v.numpy() for k, v in inp.items()})
        worst_cos = min(worst_cos, cosine(out, ref))
        worst_diff = max(worst_diff, maxdiff(out, ref))
    print(f"\ntransformer q4 cosine = {worst_cos:.5f} (max|diff| {worst_diff:.3g})")
    assert worst_cos >= 0.99


def test_q4_t5_cosine(tiny_components):
    s = ort_session(TINY_Q4 / "t5.onnx")
    g = torch.Generator().manual_seed(5)
    ids = torch.randint(0, tiny_components.t5.config.vocab_size, (2, 512), generator=g)
    with torch.no_grad():
        ref = tiny_components.t5(input_ids=ids).last_hidden_state
    (out,) = s.run(None, {"input_ids": ids.numpy()})
    c = cosine(out, ref)
    print(f"\nt5 q4 cosine = {c:.5f} (max|diff| {maxdiff(out, ref):.3g})")
    assert c >= 0.99


@pytest.mark.parametrize("name", ["clip", "decoder"])
def test_q4_bundle_keeps_fp32_components(tiny_manifest, tiny_q4_manifest, name):
    a = tiny_manifest["components"][name]
    b = tiny_q4_manifest["components"][name]
    assert a["graph"]["sha256"] == b["graph"]["sha256"]
    assert [x["sha256"] for x in a["external_data"]] == [x["sha256"] for x in b["external_data"]]
