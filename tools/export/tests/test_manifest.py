"""The committed bundles: manifest valid, sizes/sha256 match, graphs follow the contract of docs/bundle-format.md."""

import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto

from conftest import TINY, TINY_Q4
from time_stream_export import bundle as B
from time_stream_export.export_onnx import assert_no_float64, is_inline_constant, op_set

CONTRACT = {
    "clip": (["input_ids"], ["pooled", "last_hidden_state"]),
    "t5": (["input_ids"], ["last_hidden_state"]),
    "transformer": (
        ["hidden_states", "encoder_hidden_states", "pooled_projections", "timestep", "img_ids", "txt_ids"],
        ["out"],
    ),
    "decoder": (["latents"], ["image"]),
}
DTYPES = {TensorProto.FLOAT: "float32", TensorProto.INT64: "int64"}
BUNDLES = [TINY, TINY_Q4]


@pytest.mark.parametrize("bundle", BUNDLES, ids=lambda p: p.name)
def test_manifest_sizes_and_hashes(bundle):
    m = B.verify_bundle(bundle)  # raises on any size / sha256 / version mismatch
    assert m["format"] == "time-stream-bundle" and m["format_version"] == 1
    for key in ("id", "version", "display_name", "license", "source", "precision", "components", "tokenizers",
                "scheduler", "vae", "defaults", "limits"):
        assert key in m, key
    assert set(m["components"]) == set(CONTRACT)
    assert m["scheduler"] == {"num_train_timesteps": 1000, "shift": 1.0, "use_dynamic_shifting": False}
    assert m["vae"] == {"scaling_factor": 1.0, "shift_factor": 0.0, "spatial_factor": 8, "latent_channels": 16}
    assert m["tokenizers"]["clip"]["max_length"] == 77 and m["tokenizers"]["t5"]["max_length"] == 512
    assert "stand-in" in m["source"].lower() or "STAND-IN" in m["source"]
    total = sum(f["bytes"] for f in B.all_files(m))
    print(f"\n{bundle.name}: {total} bytes in {len(B.all_files(m))} files")


def test_manifest_detects_tampering(tmp_path):
    import shutil

    dst = tmp_path / "b"
    shutil.copytree(TINY, dst)
    with open(dst / "decoder.onnx.data.0", "r+b") as f:
        f.seek(100)
        b = f.read(1)
        f.seek(100)
        f.write(bytes([b[0] ^ 1]))
    with pytest.raises(ValueError, match="sha256"):
        B.verify_bundle(dst)


@pytest.mark.parametrize("bundle", BUNDLES, ids=lambda p: p.name)
@pytest.mark.parametrize("name", list(CONTRACT))
def test_graph_contract(bundle, name):
    m = B.verify_bundle(bundle)
    c = m["components"][name]
    path = bundle / c["graph"]["path"]
    onnx.checker.check_model(str(path))  # with external data beside it
    model = onnx.load(str(path), load_external_data=False)
    assert all(o.version >= 17 for o in model.opset_import if o.domain in ("", "ai.onnx"))
    ins, outs = CONTRACT[name]
    assert [i.name for i in model.graph.input] == ins == [i["name"] for i in c["inputs"]]
    assert [o.name for o in model.graph.output] == outs == [o["name"] for o in c["outputs"]]
    for vi, spec in zip(list(model.graph.input) + list(model.graph.output), c["inputs"] + c["outputs"]):
        assert DTYPES[vi.type.tensor_type.elem_type] == spec["dtype"]
        dims = [d.dim_param or d.dim_value for d in vi.type.tensor_type.shape.dim]
        assert dims == spec["shape"], (vi.name, dims, spec["shape"])
        if name != "clip" and spec["name"] != "input_ids":
            assert spec["dtype"] == "float32"
    # every initializer lives in the listed shards; locations are basenames
    shard_names = {os.path.basename(f["path"]) for f in c["external_data"]}
    assert all(f["path"] == os.path.basename(f["path"]) for f in c["external_data"])
    used = set()
    for t in model.graph.initializer:
        if t.data_location != TensorProto.EXTERNAL:
            assert is_inline_constant(t), t.name  # only small integer shape constants stay inline
            continue
        loc = {e.key: e.value for e in t.external_data}["location"]
        used.add(loc)
    assert used <= shard_names
    assert all(f["bytes"] <= 1_900_000_000 for f in c["external_data"])
    assert_no_float64(model)
    ops = op_set(model)
    assert ops == c["ops"]
    print(f"\n{bundle.name}/{name} ops: {' '.join(ops)}")
    if c["precision"] == "q4":
        assert name in ("transformer", "t5")
        assert "com.microsoft.MatMulNBits" in ops
        inits = {t.name for t in model.graph.initializer}
        for n in model.graph.node:
            assert not (n.op_type == "MatMul" and n.input[1] in inits), "unquantized constant MatMul"
            if n.op_type == "MatMulNBits":
                a = {x.name: onnx.helper.get_attribute_value(x) for x in n.attribute}
                assert a["bits"] == 4 and a["block_size"] == 32
                assert len(n.input) < 4 or not n.input[3], "symmetric: no zero points"
    else:
        assert "com.microsoft.MatMulNBits" not in ops
    assert "Gemm" not in ops
    if name == "transformer":  # fused attention: one MultiHeadAttention per block, its present outputs declared
        cfg = c["config"]
        mha = [n for n in model.graph.node if n.op_type == "MultiHeadAttention"]
        assert len(mha) == cfg["num_layers"] + cfg["num_single_layers"] and "Softmax" not in ops
        for n in mha:
            assert n.domain == "com.microsoft" and len(n.output) == 3  # WebGPU's flash path needs present_key/value
            assert onnx.helper.get_attribute_value(n.attribute[0]) == cfg["num_attention_heads"]


def test_precision_fields(tiny_manifest, tiny_q4_manifest):
    assert tiny_manifest["precision"] == "fp32"
    assert tiny_q4_manifest["precision"] == "q4"
    assert {n: c["precision"] for n, c in tiny_q4_manifest["components"].items()} == {
        "clip": "fp32", "t5": "q4", "transformer": "q4", "decoder": "fp32"}


# The engine runs each text encoder's token-embedding Gather on the CPU under WebGPU, naming the node
# (workers/pipeline/sessions.ts CPU_NODES): the graphs must keep that name. In the templates, T5's table is Q8_0
# (int8 codes + scales, template.Q8_GATHER_SUFFIXES): every node of its dequantising Gather is named too.
ENGINE_CPU_NODES = {"clip": "node_embedding", "t5": "node_embedding"}
TEMPLATES = [TINY.parents[2] / "tests" / "fixtures" / "assemble" / "tiny" / "template", TINY.parent / "flux1-schnell-q4"]
SESSIONS_TS = TINY.parents[2] / "workers" / "pipeline" / "sessions.ts"


@pytest.mark.parametrize("folder", BUNDLES + TEMPLATES, ids=lambda p: p.name)
@pytest.mark.parametrize("name", sorted(ENGINE_CPU_NODES))
def test_token_embedding_node_name(folder, name):
    graph = onnx.load(str(folder / f"{name}.onnx"), load_external_data=False)
    node = next((n for n in graph.graph.node if n.name == ENGINE_CPU_NODES[name]), None)
    assert node is not None and node.op_type == "Gather", f"{folder.name}/{name}.onnx has no Gather named {ENGINE_CPU_NODES[name]}"
    if folder in TEMPLATES and name == "t5":
        assert node.input[0] == "shared.weight.codes", node.input[0]
        scales = next(n for n in graph.graph.node if n.name == ENGINE_CPU_NODES[name] + "_scales")
        assert scales.op_type == "Gather" and scales.input == ["shared.weight.scales", node.input[1]]
    else:
        assert node.input[0].endswith("embed_tokens.weight" if name == "t5" else "token_embedding.weight"), node.input[0]


@pytest.mark.parametrize("folder", TEMPLATES, ids=lambda p: p.name)
def test_q8_token_table_nodes_are_named_for_the_engine(folder):
    """Every node that reads T5's Q8_0 table (codes and scales), up to the float32 embedding, is one the engine
    keeps on the CPU: the names in the graph = template.Q8_GATHER_SUFFIXES = sessions.ts CPU_NODES.t5."""
    import re

    from time_stream_export import template as T

    graph = onnx.load(str(folder / "t5.onnx"), load_external_data=False)
    want = {"node_embedding" + s for s in T.Q8_GATHER_SUFFIXES}
    g = graph.graph
    reads = {"shared.weight.codes", "shared.weight.scales"}
    chain, frontier = set(), set(reads)
    for n in g.node:  # topological order: the nodes downstream of the table, up to the float32 embedding
        if set(n.input) & frontier:
            chain.add(n.name)
            if n.name != "node_embedding_join":
                frontier.update(n.output)
    assert chain == want, sorted(chain ^ want)
    m = re.search(r"t5: \[([^\]]*)\]", SESSIONS_TS.read_text(encoding="utf-8"))
    assert m is not None, "CPU_NODES.t5 not found in sessions.ts"
    assert set(re.findall(r"'([^']+)'", m.group(1))) == want
