"""The assembler fixtures (tests/fixtures/assemble/tiny, docs/assembly.md): current, and the expected bundle
runs in onnxruntime and matches the PyTorch modules loaded with the weights the source files hold."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import REPO

FX = REPO / "tests" / "fixtures" / "assemble" / "tiny"


def _files(d: Path) -> dict[str, str]:
    from time_stream_export.assemble import sha256_file

    return {p.relative_to(d).as_posix(): sha256_file(p) for p in sorted(d.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    """sources + faults + fill rebuilt into a temporary folder from the seeded weights and the committed template."""
    from time_stream_export import assemble as A
    from time_stream_export import models as M
    from time_stream_export import tokenizers_build as tb

    out = tmp_path_factory.mktemp("fx")
    tok = out / "tok"
    tb.write_t5_tokenizer(tok)
    desc = A.write_sources(M.build_random("tiny", 0), out / "sources", tok, "sources/", log=lambda *_: None)
    committed = json.loads((FX / "source.json").read_text())
    src = dict(committed, components=desc["components"], files=desc["files"])  # URLs relative to out/
    (out / "source.json").write_text(json.dumps(src))
    A.write_fault_ggufs(out / "sources" / "transformer.gguf", out / "sources" / "faults", None)
    A.fill(FX / "template" / "template.json", out / "source.json", out / "expected", REPO, log=lambda *_: None)
    return out, desc


def test_fixture_sources_are_current(regenerated):
    out, desc = regenerated
    got = _files(out / "sources")
    want = {k: v for k, v in _files(FX / "sources").items() if k != "faults/index.json"}
    assert got == want
    committed = json.loads((FX / "source.json").read_text())
    for c, ws in desc["components"].items():
        assert (ws["bytes"], ws["sha256"]) == (committed["components"][c]["bytes"], committed["components"][c]["sha256"])


def test_fixture_expected_is_current(regenerated):
    out, _ = regenerated
    assert _files(out / "expected").keys() == _files(FX / "expected").keys()
    got, want = _files(out / "expected"), _files(FX / "expected")
    # manifest.json names the source URLs (different here); everything else is byte-identical
    assert {k: v for k, v in got.items() if k != "manifest.json"} == {k: v for k, v in want.items() if k != "manifest.json"}


def test_expected_manifest_is_a_complete_bundle():
    from time_stream_export.bundle import verify_bundle

    m = verify_bundle(FX / "expected")
    src = json.loads((FX / "source.json").read_text())
    assert m["id"] == src["id"]
    tpl = json.loads((FX / "template" / "template.json").read_text())
    for c, comp in m["components"].items():
        assert comp["graph"] == tpl["manifest"]["components"][c]["graph"]
        assert [f["bytes"] for f in comp["external_data"]] == [f["bytes"] for f in tpl["manifest"]["components"][c]["external_data"]]


# --------------------------------------------------------------------------------------------- parity


def _dequantised_modules():
    """The tiny modules with the weights exactly as the source files hold them (dequantised / fp16-rounded)."""
    import gguf

    from time_stream_export import assemble as A
    from time_stream_export import models as M

    comp = M.build_random("tiny", 0)

    def deq(t):
        if t.kind in ("Q4_0", "Q8_0"):
            return gguf.quants.dequantize(t.data, gguf.GGMLQuantizationType[t.kind]).astype(np.float32).reshape(t.shape)
        return A.to_float32(t, t.data).reshape(t.shape)

    bfl = A.read_gguf(FX / "sources" / "transformer.gguf")
    segs = A.flux_bfl_segments(dict(comp.transformer.config))
    sd = {}
    for p, parts in segs.items():
        sd[p] = torch.from_numpy(np.concatenate([deq(bfl[s])[a : a + n] for s, a, n in parts]))
    comp.transformer.load_state_dict(sd, strict=True)

    t5 = A.read_gguf(FX / "sources" / "t5.gguf")
    names = A.t5_llamacpp_names(comp.t5.config.num_layers)
    sd = {hf: torch.from_numpy(deq(t5[g]).copy()) for hf, g in names.items()}
    sd["encoder.embed_tokens.weight"] = sd["shared.weight"]
    comp.t5.load_state_dict(sd, strict=True)

    clip = A.read_safetensors(FX / "sources" / "clip.safetensors")
    sd = {k[len("text_model.") :]: torch.from_numpy(deq(t).copy()) for k, t in clip.items() if k.startswith("text_model.")}
    missing = comp.clip.load_state_dict(sd, strict=False)
    assert missing.missing_keys == [] or missing.missing_keys == ["embeddings.position_ids"], missing
    dec = A.read_safetensors(FX / "sources" / "decoder.safetensors")
    comp.decoder.load_state_dict({k: torch.from_numpy(deq(t).copy()) for k, t in dec.items()}, strict=True)
    return comp


@pytest.fixture(scope="module")
def dequantised():
    return _dequantised_modules()


def _session(name: str):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    return ort.InferenceSession(str(FX / "expected" / f"{name}.onnx"), so, providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("name", ["clip", "t5", "transformer", "decoder"])
def test_expected_bundle_matches_torch(dequantised, name):
    from time_stream_export import export_onnx as ex

    module = dequantised.modules()[name]
    wrapper = ex.wrap(name, module)
    args = ex.example_inputs(name, module, batch=2, gen=torch.Generator().manual_seed(5))
    if name == "clip":  # the dynamic S axis: a shorter sequence than 77
        args = (args[0][:, :20],)
    ins, _ = ex.component_io(name, module)
    with torch.no_grad(), (ex.float32_rope() if name == "transformer" else __import__("contextlib").nullcontext()):
        ref = wrapper(*args)
    ref = ref if isinstance(ref, tuple) else (ref,)
    got = _session(name).run(None, {i.name: a.numpy() for i, a in zip(ins, args)})
    for r, g in zip(ref, got):
        r = r.numpy()
        scale = float(np.abs(r).max())
        err = float(np.abs(r - g).max())
        print(f"{name}: max |torch - ort| = {err:.3g} (max |out| {scale:.3g})")
        assert err <= 1e-4 * max(1.0, scale), (name, err, scale)
        assert scale > 1e-3  # not a degenerate output


def test_matmulnbits_8bit_without_zero_points_means_128():
    """onnxruntime's MatMulNBits bits=8 with no zero_points input subtracts 128 (the Q8_0 XOR 0x80 repack)."""
    import gguf
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    from time_stream_export import assemble as A

    rng = np.random.default_rng(0)
    n, k = 16, 64
    w = rng.standard_normal((n, k)).astype(np.float32)
    q = gguf.quants.quantize(w, gguf.GGMLQuantizationType.Q8_0)
    b, s = A.q8_0_to_nbits(q)
    node = helper.make_node("MatMulNBits", ["a", "b", "s"], ["y"], domain="com.microsoft", K=k, N=n, bits=8, block_size=32)
    g = helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("a", TensorProto.FLOAT, [3, k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, n])],
        [numpy_helper.from_array(b.reshape(n, k // 32, 32), "b"), numpy_helper.from_array(s.astype(np.float32), "s")],
    )
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 18), helper.make_opsetid("com.microsoft", 1)])
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    a = rng.standard_normal((3, k)).astype(np.float32)
    y = sess.run(None, {"a": a})[0]
    ref = a @ gguf.quants.dequantize(q, gguf.GGMLQuantizationType.Q8_0).astype(np.float32).T
    assert np.abs(y - ref).max() < 1e-5


def test_flux_segments_equal_diffusers_converter():
    """flux_bfl_segments (config-driven) == diffusers' convert_flux_transformer_checkpoint_to_diffusers at the
    real config (the converter hard-codes inner_dim 3072): each BFL tensor's rows tagged with (tensor, row)."""
    from diffusers.loaders.single_file_utils import convert_flux_transformer_checkpoint_to_diffusers

    from time_stream_export import assemble as A
    from time_stream_export import template as T

    segs = A.flux_bfl_segments(T.FULL["transformer"])
    rows: dict[str, int] = {}
    for parts in segs.values():
        for s, a, n in parts:
            rows[s] = max(rows.get(s, 0), a + n)
    names = sorted(rows)
    ckpt = {s: torch.arange(rows[s], dtype=torch.float64) + i * 1e6 for i, s in enumerate(names)}
    conv = convert_flux_transformer_checkpoint_to_diffusers(dict(ckpt))
    assert set(conv) == set(segs)
    for p, parts in segs.items():
        want = torch.cat([ckpt[s][a : a + n] for s, a, n in parts])
        assert torch.equal(conv[p].reshape(-1), want), p


def test_q8_token_table_encodings():
    """q8_codes / q8_scales: a Q8_0 table as the file holds it (codes as stored, d widened exactly); an F16/F32
    table is refused, not quantised (the assembler never re-quantises)."""
    import gguf

    from time_stream_export import assemble as A

    rng = np.random.default_rng(0)
    w = rng.standard_normal((5, 64)).astype(np.float32)
    q = gguf.quants.quantize(w, gguf.GGMLQuantizationType.Q8_0)
    t = A.Tensor("token_embd.weight", "Q8_0", [5, 64], q.reshape(5, -1))
    codes = np.frombuffer(A.encode({"encoding": "q8_codes"}, [(t, t.data)]), np.int8).reshape(5, 64)
    scales = np.frombuffer(A.encode({"encoding": "q8_scales", "dtype": "float32"}, [(t, t.data)]), np.float32).reshape(5, 2)
    deq = gguf.quants.dequantize(q, gguf.GGMLQuantizationType.Q8_0).astype(np.float32)
    got = (codes.astype(np.float32).reshape(5, 2, 32) * scales[:, :, None]).reshape(5, 64)
    assert np.array_equal(got.view(np.uint32), deq.view(np.uint32))
    f16 = A.Tensor("token_embd.weight", "F16", [5, 64], w.astype(np.float16))
    with pytest.raises(ValueError, match="token_embd.weight: type F16, the graph needs Q8_0"):
        A.encode({"encoding": "q8_codes"}, [(f16, f16.data)])
