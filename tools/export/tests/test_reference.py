"""The committed reference fixtures: well-formed, tied to the committed bundle, and reproduced by the bundle's ONNX
graphs run as the app will run them (tokenise -> CLIP/T5 -> Euler loop -> decoder -> uint8)."""

import json

import numpy as np
import pytest
from transformers import AutoTokenizer

from conftest import REF, TINY, TINY_Q4, ort_session
from time_stream_export.data import MEDIUMS, SUBJECTS

DT = {"float32": "<f4", "int64": "<i8", "uint8": "u1"}


@pytest.fixture(scope="module")
def index():
    return json.loads((REF / "index.json").read_text(encoding="utf-8"))


def load(t):
    a = np.fromfile(REF / t["file"], dtype=DT[t["dtype"]])
    return a.reshape(t["shape"])


def tensors(obj):
    if isinstance(obj, dict):
        if set(obj) == {"file", "dtype", "shape"}:
            yield obj
        else:
            for v in obj.values():
                yield from tensors(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from tensors(v)


def test_index_well_formed(index, tiny_manifest):
    assert index["bundle"] == "tiny"
    assert index["bundle_version"] == tiny_manifest["version"]
    total = 0
    for t in tensors(index):
        n = (REF / t["file"]).stat().st_size
        assert n == int(np.prod(t["shape"])) * np.dtype(DT[t["dtype"]]).itemsize, t
        total += n
    print(f"\nreference fixtures: {total} bytes")
    assert total < 5_000_000
    names = {d["name"] for d in index["direction_cases"]}
    for g in index["generation_cases"]:
        assert g["direction_case"] in names
        n = g["steps"]
        assert len(g["sigmas"]) == n + 1 and g["sigmas"][-1] == 0.0
        assert len(g["transformer_timesteps"]) == n and len(g["frames"]) == len(g["scales"])
        s = g["strength"]
        k = len(g["scales"])
        assert g["scales"] == pytest.approx([-s + 2 * s * i / (k - 1) for i in range(k)])


def test_direction_cases(index):
    clip = ort_session(TINY / "clip.onnx")
    tok = AutoTokenizer.from_pretrained(TINY / "clip", local_files_only=True)
    worst = 0.0
    for d in index["direction_cases"]:
        pos = [f"a {MEDIUMS[m]} of a {d['target']} {SUBJECTS[s]}" for m, s in d["pairs"]]
        neg = [f"a {MEDIUMS[m]} of a {d['opposite']} {SUBJECTS[s]}" for m, s in d["pairs"]]
        ids_pos = tok(pos, padding="max_length", max_length=77, truncation=True, return_tensors="np").input_ids
        ids_neg = tok(neg, padding="max_length", max_length=77, truncation=True, return_tensors="np").input_ids
        assert np.array_equal(ids_pos, load(d["clip_ids_pos"])) and np.array_equal(ids_neg, load(d["clip_ids_neg"]))
        pp = clip.run(["pooled"], {"input_ids": ids_pos.astype(np.int64)})[0]
        pn = clip.run(["pooled"], {"input_ids": ids_neg.astype(np.int64)})[0]
        worst = max(worst, float(np.abs((pp - pn).mean(0) - load(d["direction"])).max()))
    print(f"\ndirection max|diff| = {worst:.3g}")
    assert worst <= 1e-4


def onnx_generate(bundle, g, direction, frames=None):
    """The whole job with the bundle's graphs (what the JS engine does), fed the fixture's noise."""
    clip = ort_session(bundle / "clip.onnx")
    t5 = ort_session(bundle / "t5.onnx")
    tr = ort_session(bundle / "transformer.onnx")
    dec = ort_session(bundle / "decoder.onnx")
    ctok = AutoTokenizer.from_pretrained(bundle / "clip", local_files_only=True)
    ttok = AutoTokenizer.from_pretrained(bundle / "t5", local_files_only=True)
    cids = ctok([g["prompt"]], padding="max_length", max_length=77, truncation=True, return_tensors="np").input_ids
    tids = ttok([g["prompt"]], padding="max_length", max_length=g["max_sequence_length"], truncation=True,
                return_tensors="np").input_ids
    pooled = clip.run(["pooled"], {"input_ids": cids.astype(np.int64)})[0]
    emb = t5.run(None, {"input_ids": tids.astype(np.int64)})[0]
    H, W = g["height"], g["width"]
    h, w = H // 16, W // 16
    img_ids = np.zeros((h, w, 3), np.float32)
    img_ids[..., 1] = np.arange(h)[:, None]
    img_ids[..., 2] = np.arange(w)[None, :]
    img_ids = img_ids.reshape(h * w, 3)
    txt_ids = np.zeros((emb.shape[1], 3), np.float32)
    sig = np.asarray(g["sigmas"], np.float32)
    out = {"clip_ids": cids, "t5_ids": tids, "pooled": pooled, "t5_embeds": emb, "img_ids": img_ids, "frames": []}
    for fi, s in enumerate(g["scales"]):
        if frames is not None and fi not in frames:
            out["frames"].append(None)
            continue
        p = (pooled + np.float32(s) * direction[None, :]).astype(np.float32)
        x = load(g["noise"]).copy()
        steps = []
        for i, t in enumerate(g["transformer_timesteps"]):
            v = tr.run(None, {"hidden_states": x, "encoder_hidden_states": emb, "pooled_projections": p,
                              "timestep": np.array([t], np.float32), "img_ids": img_ids, "txt_ids": txt_ids})[0]
            x = (x + (sig[i + 1] - sig[i]) * v).astype(np.float32)
            steps.append(x)
        z = x.reshape(1, h, w, 16, 2, 2).transpose(0, 3, 1, 4, 2, 5).reshape(1, 16, 2 * h, 2 * w)
        image = dec.run(None, {"latents": z})[0]
        rgb = np.round(np.clip(image[0] / 2 + 0.5, 0, 1).transpose(1, 2, 0) * 255).astype(np.uint8)
        out["frames"].append({"steps": steps, "decoder_input": z, "image": image, "rgb": rgb})
    return out


def test_generation_cases_fp32(index):
    dirs = {d["name"]: load(d["direction"]) for d in index["direction_cases"]}
    worst = {"embeds": 0.0, "latents": 0.0, "image": 0.0, "rgb": 0}
    for g in index["generation_cases"]:
        o = onnx_generate(TINY, g, dirs[g["direction_case"]])
        assert np.array_equal(o["clip_ids"], load(g["clip_ids"]))
        assert np.array_equal(o["t5_ids"], load(g["t5_ids"]))
        assert np.array_equal(o["img_ids"], load(g["img_ids"]))
        worst["embeds"] = max(worst["embeds"], float(np.abs(o["pooled"] - load(g["pooled"])).max()),
                              float(np.abs(o["t5_embeds"] - load(g["t5_embeds"])).max()))
        for f, ref in zip(o["frames"], g["frames"]):
            for x, r in zip(f["steps"], ref["step_latents"]):
                worst["latents"] = max(worst["latents"], float(np.abs(x - load(r)).max()))
            assert np.abs(f["decoder_input"] - load(ref["decoder_input"])).max() <= 1e-4
            worst["image"] = max(worst["image"], float(np.abs(f["image"] - load(ref["image"])).max()))
            worst["rgb"] = max(worst["rgb"], int(np.abs(f["rgb"].astype(int) - load(ref["rgb"]).astype(int)).max()))
    print(f"\nONNX fp32 pipeline vs FluxPipeline: {worst}")
    assert worst["embeds"] <= 1e-4 and worst["latents"] <= 1e-4 and worst["image"] <= 1e-4 and worst["rgb"] <= 1


def test_generation_q4_close(index):
    dirs = {d["name"]: load(d["direction"]) for d in index["direction_cases"]}
    g = index["generation_cases"][0]
    o = onnx_generate(TINY_Q4, g, dirs[g["direction_case"]], frames={1})
    f, ref = o["frames"][1], g["frames"][1]
    x, r = f["steps"][-1].ravel().astype(np.float64), load(ref["step_latents"][-1]).ravel().astype(np.float64)
    cos = float(x @ r / np.linalg.norm(x) / np.linalg.norm(r))
    mad = float(np.abs(f["rgb"].astype(int) - load(ref["rgb"]).astype(int)).mean())
    print(f"\nq4 bundle, {g['name']} frame 1: final latent cosine {cos:.5f}, mean |rgb diff| {mad:.2f}")
    assert cos >= 0.99
