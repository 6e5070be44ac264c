"""Templates (docs/assembly.md): the four graphs at a given size WITHOUT weights, plus a layout saying where
each weight goes in the external-data shards. The browser's assembler fills the shards from public weight
files (GGUF, safetensors); ``fill`` here does the same in Python and is the assembler's byte-for-byte oracle.

The graphs come from the real classes built on the meta device (no weight is ever materialised, so the
12 B FLUX.1-schnell exports on a laptop): traced with the dynamo exporter like export_onnx.py does, with every
parameter turned into a graph input before onnxscript's optimiser runs (so nothing weight-dependent is
folded), then turned back into external initializers by ``_rewrite``:

* a linear layer (``Gemm`` with transB, or ``MatMul`` of a ``Transpose`` of the weight) in a quantised
  component becomes ``com.microsoft.MatMulNBits`` (B = the nn.Linear weight [N, K] itself, symmetric, no
  zero points) + ``Add`` for the bias; transformer bits 4 (GGUF Q4_0), T5 bits 8 (GGUF Q8_0);
* a linear layer kept in float (CLIP, and the transformer layers city96's GGUF keeps in F16) becomes
  ``MatMul`` with the transposed weight as initializer (``transpose: true`` in the layout);
* T5's token-embedding table (a Gather of a component whose source is GGUF Q8_0) stays Q8_0 as the file holds
  it: int8 codes [V, D] + float32 scales [V, D/32] (GGUF's fp16 ``d`` widened exactly), dequantised after the
  Gather (``_q8_gather``): bit-identical to a float32 table, 28 % of its bytes in the wasm heap;
* every other parameter is a plain float32 initializer (embedding tables, norms, biases, convolutions).
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper

from . import export_onnx as ex
from .bundle import sha256_file
from . import models as M

FORMAT = "time-stream-template"
FORMAT_VERSION = 1
ALIGN = 64
BLOCK = 32

# FLUX.1-schnell's real configs (HF config.json of each component; taef1 = the "mid" decoder, which is taef1's
# architecture). T5-v1.1-XXL encoder, CLIP-L text model.
FULL: dict[str, dict[str, Any]] = {
    "clip": dict(
        vocab_size=49408, hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
        max_position_embeddings=77, hidden_act="quick_gelu", layer_norm_eps=1e-5, projection_dim=768,
        bos_token_id=0, eos_token_id=2, pad_token_id=1,
    ),
    "t5": dict(
        vocab_size=32128, d_model=4096, d_ff=10240, d_kv=64, num_heads=64, num_layers=24,
        feed_forward_proj="gated-gelu", relative_attention_num_buckets=32, relative_attention_max_distance=128,
        layer_norm_epsilon=1e-6, dropout_rate=0.0, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0,
        tie_word_embeddings=False, is_encoder_decoder=False, use_cache=False,
    ),
    "transformer": dict(
        patch_size=1, in_channels=64, num_layers=19, num_single_layers=38, attention_head_dim=128,
        num_attention_heads=24, joint_attention_dim=4096, pooled_projection_dim=768, guidance_embeds=False,
        axes_dims_rope=(16, 56, 56),
    ),
    "decoder": M.SIZES["mid"]["decoder"],
}

# How each component's linear layers are stored (what the public files hold).
QUANT = {"transformer": {"bits": 4, "source": "Q4_0"}, "t5": {"bits": 8, "source": "Q8_0"}}
# city96's FLUX GGUF keeps these layers' weights in F16 (BFL time_in, vector_in, txt_in, img_in, final_layer):
# they stay float MatMuls, since the assembler never re-quantises.
FLUX_FLOAT_LINEARS = ("time_text_embed.", "context_embedder.", "x_embedder.", "norm_out.", "proj_out.")

TEMPLATE_IDS = {"full": "flux1-schnell-q4", "tiny": "tiny-random-flux-schnell-q4"}


# --------------------------------------------------------------------------------------------- modules


def configs(size: str) -> dict[str, dict[str, Any]]:
    if size == "full":
        return copy.deepcopy(FULL)
    from . import tokenizers_build as tb

    cfg = copy.deepcopy(M.SIZES[size])
    cfg["t5"]["vocab_size"] = tb.T5_VOCAB_SIZE  # as build_random
    return cfg


def build_meta(size: str) -> dict[str, torch.nn.Module]:
    """The four modules on the meta device (shapes only). Same classes and settings as models.build_random."""
    from diffusers import AutoencoderTiny, FluxTransformer2DModel
    from transformers import CLIPTextConfig, CLIPTextModel, T5Config, T5EncoderModel

    cfg = configs(size)
    with torch.device("meta"):
        clip_cfg = CLIPTextConfig(**cfg["clip"])
        clip_cfg._attn_implementation = "eager"
        mods = {
            "clip": CLIPTextModel(clip_cfg),
            "t5": T5EncoderModel(T5Config(**cfg["t5"])),
            "transformer": FluxTransformer2DModel(**cfg["transformer"]),
            "decoder": AutoencoderTiny(**cfg["decoder"]),
        }
    for m in mods.values():
        m.eval()
        _materialise_buffers(m)
    return mods


def _materialise_buffers(module: torch.nn.Module) -> None:
    """Buffers are not weights (no source file has them): give them their real values (they stay in the graph)."""
    for name, buf in list(module.named_buffers()):
        if not buf.is_meta:
            continue
        if name.endswith("position_ids"):  # CLIP: arange(max_position) as [1, P]
            owner = module.get_submodule(name.rsplit(".", 1)[0])
            owner.register_buffer("position_ids", torch.arange(buf.shape[-1]).expand(buf.shape), persistent=False)
        else:
            raise ValueError(f"meta buffer {name}: no rule to build its value")


def canonical_params(module: torch.nn.Module) -> dict[str, str]:
    """Every parameter name (tied aliases included, e.g. T5's encoder.embed_tokens) -> its first state-dict name
    (T5: shared.weight)."""
    first: dict[int, str] = {}
    out: dict[str, str] = {}
    for name, p in module.named_parameters(remove_duplicate=False):
        first.setdefault(id(p), name)
        out[name] = first[id(p)]
    return out


# --------------------------------------------------------------------------------------------- export


def export_weightless(name: str, module: torch.nn.Module, attention: str = "fused") -> tuple[onnx.ModelProto, dict[str, tuple[list[int], int]]]:
    """Trace a meta module; returns the optimised graph in which every parameter is a graph input, and
    {input name: (shape, onnx dtype)} of those inputs."""
    import onnx_ir as ir
    from torch.onnx._internal._lazy_import import onnxscript_apis

    wrapper = ex.wrap(name, module)
    args = tuple(a.to("meta") for a in ex.example_inputs(name, module))
    ins, outs = ex.component_io(name, module)
    dyn = tuple({ax: torch.export.Dim.DYNAMIC for ax in d} for d in ex._DYNAMIC[name])
    ctx = ex.transformer_tracing(attention) if name == "transformer" else contextlib.nullcontext()
    with ctx as translations, torch.no_grad(), contextlib.redirect_stdout(io.StringIO()):
        prog = torch.onnx.export(
            wrapper, args, f=None, dynamo=True, opset_version=ex.OPSET,
            input_names=[i.name for i in ins], output_names=[o.name for o in outs],
            dynamic_shapes=dyn, verbose=False, optimize=False, custom_translation_table=translations,
        )
    model = prog.model
    g = model.graph
    weights: dict[str, tuple[list[int], int]] = {}
    for iname in list(g.initializers):
        v = g.initializers[iname]
        raw = getattr(v.const_value, "raw", None)
        if isinstance(raw, torch.Tensor) and raw.is_meta:
            g.initializers.pop(iname)
            v.const_value = None
            g.inputs.append(v)
            weights[iname] = ([int(d) for d in v.shape], int(v.dtype.value))
    onnxscript_apis.optimize(model)
    proto = ir.serde.serialize_model(model)
    return proto, weights


# --------------------------------------------------------------------------------------------- depth


STITCH_DEPTH = 3  # blocks of each kind traced (first, middle, last); the rest are copies of the middle one


def export_transformer(module: torch.nn.Module) -> tuple[onnx.ModelProto, dict[str, tuple[list[int], int]]]:
    """The transformer traced with at most STITCH_DEPTH double and single blocks, then extended to its real depth
    (extend_depth). Why: torch.export's symbolic tracing and onnxscript's rewriter grow faster than linearly with
    depth (6 blocks: ~4 min on this 2-core machine; 57 blocks did not finish in 20 min)."""
    from diffusers import FluxTransformer2DModel

    cfg = dict(module.config)
    want = {"transformer_blocks": cfg["num_layers"], "single_transformer_blocks": cfg["num_single_layers"]}
    if max(want.values()) <= STITCH_DEPTH:
        return export_weightless("transformer", module)
    small_cfg = {k: v for k, v in cfg.items() if not k.startswith("_")}
    small_cfg.update(num_layers=min(STITCH_DEPTH, want["transformer_blocks"]),
                     num_single_layers=min(STITCH_DEPTH, want["single_transformer_blocks"]))
    with torch.device("meta"):
        small = FluxTransformer2DModel(**small_cfg).eval()
    proto, weights = export_weightless("transformer", small)
    for prefix, n in want.items():
        if n > STITCH_DEPTH:
            extend_depth(proto, weights, prefix, n)
    return proto, weights


def _block_of(node: onnx.NodeProto, prefix: str) -> int | None:
    import ast
    import re

    md = {p.key: p.value for p in node.metadata_props}
    scopes = md.get("pkg.torch.onnx.name_scopes")
    if not scopes:
        return None
    for sc in ast.literal_eval(scopes):
        m = re.fullmatch(rf"m\.{re.escape(prefix)}\.(\d+)", sc)
        if m:
            return int(m.group(1))
    return -1


def _scope_key(node: onnx.NodeProto, prefix: str) -> tuple:
    import ast
    import re

    md = {p.key: p.value for p in node.metadata_props}
    scopes = ast.literal_eval(md.get("pkg.torch.onnx.name_scopes", "[]"))
    path = re.sub(rf"m\.{re.escape(prefix)}\.\d+", "B", ".".join(scopes[:-1]))
    return path, node.op_type


def extend_depth(model: onnx.ModelProto, weights: dict, prefix: str, want: int) -> None:
    """Graph traced with blocks 0, 1, 2 of `prefix` -> the same graph with blocks 0..want-1: the middle block's
    nodes are copied (values renamed, parameters re-indexed) between block 1 and the last block, each copy
    taking the hidden states the previous block hands on; the traced block 2 becomes block want-1 (the last
    block differs: the optimiser removed what nothing reads after it). Block membership comes from the
    exporter's name scopes (node metadata); nodes the optimiser made without metadata belong to the block of
    their first input."""
    g = model.graph
    nodes = list(g.node)
    producer = {o: n for n in nodes for o in n.output}
    member: dict[int, int] = {}
    for n in nodes:
        b = _block_of(n, prefix)
        if b is None:
            src = producer.get(n.input[0]) if n.input else None
            b = member.get(id(src), -1) if src is not None else -1
        member[id(n)] = b
    blocks = {k: [n for n in nodes if member[id(n)] == k] for k in (0, 1, 2)}
    assert all(blocks.values()) and all(member[id(n)] in (-1, 0, 1, 2) for n in nodes), prefix
    p0, p1, p2 = (f"m.{prefix}.{k}." for k in (0, 1, 2))
    # values of block 0 that depend on its parameters: what block 0 hands on to block 1
    dep0 = {w for w in weights if w.startswith(p0)}
    for n in blocks[0]:
        if any(i in dep0 for i in n.input):
            dep0.update(n.output)
    made1 = {o for n in blocks[1] for o in n.output}
    chained = sorted({i for n in blocks[1] for i in n.input if i and i not in made1 and i in dep0})
    # block 1's matching outputs: the same node (scope path + op, counted from the block's end), same index
    hand_on: dict[str, str] = {}
    for c in chained:
        n0 = producer[c]
        key = _scope_key(n0, prefix)
        same0 = [n for n in blocks[0] if _scope_key(n, prefix) == key]
        same1 = [n for n in blocks[1] if _scope_key(n, prefix) == key]
        j = same0.index(n0) - len(same0)  # CSE may have merged some of block 1's earlier nodes into block 0's
        o = same1[j].output[list(n0.output).index(c)] if len(same1) >= -j else None
        if o is None or not any(o in n.input for n in blocks[2]):
            raise ValueError(f"{prefix}: cannot match {c} ({key}) between blocks 0 and 1")
        hand_on[c] = o
    if len(set(hand_on.values())) != len(hand_on):
        raise ValueError(f"{prefix}: ambiguous hand-on values {hand_on}")
    last1 = max(i for i, n in enumerate(nodes) if member[id(n)] == 1)
    after = nodes[last1 + 1 :]
    # the traced last block becomes block want-1
    last = f"m.{prefix}.{want - 1}."
    for w in [w for w in weights if w.startswith(p2)]:
        weights[last + w[len(p2):]] = weights.pop(w)
    for n in after:
        for i, x in enumerate(n.input):
            if x.startswith(p2) and last + x[len(p2):] in weights:
                n.input[i] = last + x[len(p2):]
    copies: list[onnx.NodeProto] = []
    prev = {o: o for o in hand_on.values()}  # block 1's hand-on value -> its name in the latest block
    for k in range(2, want - 1):
        rename = {o: f"{o}__{prefix}{k}" for o in made1}
        for n in blocks[1]:
            c = onnx.NodeProto()
            c.CopyFrom(n)
            del c.metadata_props[:]
            c.name = f"{n.name}__{prefix}{k}"
            for i, x in enumerate(c.input):
                if x in hand_on:
                    c.input[i] = prev[hand_on[x]]
                elif x in rename:
                    c.input[i] = rename[x]
                elif x.startswith(p1) and x in weights:
                    w = f"m.{prefix}.{k}." + x[len(p1):]
                    weights[w] = weights[x]
                    c.input[i] = w
            for i, x in enumerate(c.output):
                c.output[i] = rename[x]
            copies.append(c)
        prev = {o: rename[o] for o in hand_on.values()}
    for n in after:  # the last block (and everything after it) reads the last copy's hand-on values
        for i, x in enumerate(n.input):
            if x in prev:
                n.input[i] = prev[x]
    assert not any(o.name in prev for o in g.output), prefix
    del g.node[:]
    g.node.extend(nodes[: last1 + 1] + copies + after)
    keep = [i for i in g.input if not i.name.startswith(p2) or i.name in weights]
    del g.input[:]
    g.input.extend(keep)
    have = {i.name for i in g.input}
    for w, (shape, dtype) in weights.items():
        if w not in have:
            g.input.append(helper.make_tensor_value_info(w, dtype, shape))


@dataclass
class Entry:
    """One external initializer of a template graph (docs/assembly.md, layouts)."""

    name: str
    param: str
    encoding: str  # matmulnbits_b | matmulnbits_scales | q8_codes | q8_scales | float32 | float16
    shape: list[int]
    param_shape: list[int]
    bits: int | None = None
    dtype: str | None = None  # scales only
    transpose: bool = False

    @property
    def nbytes(self) -> int:
        n = int(np.prod(self.shape)) if self.shape else 1
        if self.encoding in ("matmulnbits_b", "q8_codes"):
            return n
        if self.encoding in ("matmulnbits_scales", "q8_scales"):
            return n * (2 if self.dtype == "float16" else 4)
        return n * (2 if self.encoding == "float16" else 4)


def _is_quantised_linear(component: str, param: str, k: int) -> bool:
    if component not in QUANT or k % BLOCK:
        return False
    if component == "transformer" and param.startswith(FLUX_FLOAT_LINEARS):
        return False
    return True


# The Q8_0 token table's nodes, by suffix of the original Gather's name (node_embedding): the engine runs every one
# of them on the CPU under WebGPU (workers/pipeline/sessions.ts CPU_NODES; tools/export/tests/test_manifest.py).
Q8_GATHER_SUFFIXES = ("", "_scales", "_cast", "_blocks", "_scales_blocks", "_mul", "_join")


def _q8_gather(g: onnx.GraphProto, node: onnx.NodeProto, codes: str, scales: str, d: int) -> list[onnx.NodeProto]:
    """Gather(table[V, D], ids[B, L]) -> the same float32 [B, L, D] from a Q8_0 table: Gather(codes int8 [V, D]) ->
    Cast float -> Reshape [B, L, D/32, 32] -> Mul by Gather(scales float32 [V, D/32]) reshaped [B, L, D/32, 1] ->
    Reshape [B, L, D]. code * d is exact in float32 (8-bit code times an 11-bit fp16 mantissa), so the result equals
    the dequantised float32 table's Gather bit for bit. Node names: the Gather's + Q8_GATHER_SUFFIXES; the three
    shapes are small inline int64 initializers."""
    n, ids, out = node.name, node.input[1], node.output[0]
    nb = d // BLOCK
    for suffix, dims in (("_blocks", [0, 0, nb, BLOCK]), ("_scales_blocks", [0, 0, nb, 1]), ("_join", [0, 0, d])):
        g.initializer.append(helper.make_tensor(f"{n}{suffix}_shape", TensorProto.INT64, [len(dims)], dims))
    return [
        helper.make_node("Gather", [codes, ids], [f"{out}_codes"], name=n, axis=0),
        helper.make_node("Cast", [f"{out}_codes"], [f"{out}_codesf"], name=f"{n}_cast", to=TensorProto.FLOAT),
        helper.make_node("Reshape", [f"{out}_codesf", f"{n}_blocks_shape"], [f"{out}_blocks"], name=f"{n}_blocks"),
        helper.make_node("Gather", [scales, ids], [f"{out}_scales"], name=f"{n}_scales", axis=0),
        helper.make_node("Reshape", [f"{out}_scales", f"{n}_scales_blocks_shape"], [f"{out}_scales_blocks"],
                         name=f"{n}_scales_blocks"),
        helper.make_node("Mul", [f"{out}_blocks", f"{out}_scales_blocks"], [f"{out}_mul"], name=f"{n}_mul"),
        helper.make_node("Reshape", [f"{out}_mul", f"{n}_join_shape"], [out], name=f"{n}_join"),
    ]


def _rewrite(component: str, model: onnx.ModelProto, weights: dict, canon: dict[str, str], fp16: bool = False) -> list[Entry]:
    """Turn the parameter inputs back into initializers (see the module doc); returns their layout entries in
    graph order. The initializers get no data here (write_template makes them external). ``fp16``: the
    quantised linears compute in float16 (Cast in, MatMulNBits with float16 scales = GGUF's d bit for bit, Cast
    out); everything between them (residual stream, norms, attention, softmax) stays float32."""
    g = model.graph
    param_of = {n: canon[n[2:]] for n in weights}  # "m." = the wrapper's attribute
    producer = {o: n for n in g.node for o in n.output}
    entries: dict[str, Entry] = {}
    new_nodes: list[onnx.NodeProto] = []
    dropped: set[str] = set()
    graph_inputs = {i.name for i in g.input if i.name not in weights}

    def add(e: Entry) -> str:
        if e.name not in entries:
            entries[e.name] = e
        return e.name

    def linear(node_name: str, a: str, w_in: str, out: str, bias: str | None) -> None:
        param = param_of[w_in]
        n_out, k = weights[w_in][0]
        if _is_quantised_linear(component, param, k):
            bits = QUANT[component]["bits"]
            nb = k // BLOCK
            b = add(Entry(param + ".qweight", param, "matmulnbits_b", [n_out, nb, BLOCK * bits // 8], [n_out, k], bits))
            s = add(Entry(param + ".scales", param, "matmulnbits_scales", [n_out * nb], [n_out, k], bits,
                          "float16" if fp16 else "float32"))
            mm_out = out + "_nobias" if bias else out
            if fp16:
                new_nodes.append(helper.make_node("Cast", [a], [mm_out + "_in16"], name=node_name + "_Cast16",
                                                  to=TensorProto.FLOAT16))
            new_nodes.append(
                helper.make_node(
                    "MatMulNBits", [mm_out + "_in16" if fp16 else a, b, s], [mm_out + "_16" if fp16 else mm_out],
                    name=node_name + "_MatMulNBits", domain="com.microsoft", K=k, N=n_out, bits=bits, block_size=BLOCK,
                )
            )
            if fp16:
                new_nodes.append(helper.make_node("Cast", [mm_out + "_16"], [mm_out], name=node_name + "_Cast32",
                                                  to=TensorProto.FLOAT))
        else:
            wt = add(Entry(param + ".T", param, "float32", [k, n_out], [n_out, k], transpose=True))
            mm_out = out + "_nobias" if bias else out
            new_nodes.append(helper.make_node("MatMul", [a, wt], [mm_out], name=node_name + "_MatMul"))
        if bias:
            new_nodes.append(helper.make_node("Add", [mm_out, bias], [out], name=node_name + "_Add"))

    for node in g.node:
        if (node.op_type == "Gather" and node.input[0] in weights and node.input[1] in graph_inputs
                and QUANT.get(component, {}).get("source") == "Q8_0"):  # the token table (not attn_rel_b's Gather)
            at = {x.name: helper.get_attribute_value(x) for x in node.attribute}
            v, d = weights[node.input[0]][0]
            if at.get("axis", 0) != 0 or d % BLOCK:
                raise ValueError(f"{component}: unexpected token-table Gather {node.name} {at} [{v}, {d}]")
            param = param_of[node.input[0]]
            codes = add(Entry(param + ".codes", param, "q8_codes", [v, d], [v, d]))
            scales = add(Entry(param + ".scales", param, "q8_scales", [v, d // BLOCK], [v, d], dtype="float32"))
            new_nodes.extend(_q8_gather(g, node, codes, scales, d))
            continue
        if node.op_type == "Gemm" and node.input[1] in weights:
            at = {x.name: helper.get_attribute_value(x) for x in node.attribute}
            if at.get("transA", 0) or not at.get("transB", 0) or at.get("alpha", 1.0) != 1.0 or at.get("beta", 1.0) != 1.0:
                raise ValueError(f"{component}: unexpected Gemm {node.name} {at}")
            bias = node.input[2] if len(node.input) > 2 and node.input[2] else None
            linear(node.name, node.input[0], node.input[1], node.output[0], bias)
            continue
        if node.op_type == "MatMul" and node.input[1] in producer:
            t = producer[node.input[1]]
            if t.op_type == "Transpose" and t.input[0] in weights and len(weights[t.input[0]][0]) == 2:
                linear(node.name, node.input[0], t.input[0], node.output[0], None)
                dropped.add(t.name)
                continue
        new_nodes.append(node)
    # Transposes of weights now unused (every consumer was rewritten)
    used = {i for n in new_nodes for i in n.input}
    new_nodes = [n for n in new_nodes if not (n.name in dropped and n.output[0] not in used)]
    used = {i for n in new_nodes for i in n.input}
    # every other parameter input: a plain float32 initializer under the same name
    for w, (shape, dtype) in weights.items():
        if w in used:
            if dtype != TensorProto.FLOAT:
                raise ValueError(f"{component}: parameter {w} has ONNX dtype {dtype}, expected float32")
            add(Entry(w, param_of[w], "float32", shape, shape))
    del g.node[:]
    g.node.extend(new_nodes)
    keep_inputs = [i for i in g.input if i.name not in weights]
    del g.input[:]
    g.input.extend(keep_inputs)
    # initializers in the order of first use (so a shard is written in roughly graph order)
    order: list[str] = []
    seen: set[str] = set()
    for n in g.node:
        for i in n.input:
            if i in entries and i not in seen:
                seen.add(i)
                order.append(i)
    if set(order) != set(entries):
        raise ValueError(f"{component}: unused template initializers {sorted(set(entries) - set(order))}")
    if any(n.domain == "com.microsoft" for n in g.node) and not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return [entries[n] for n in order]


def layout_shards(entries: list[Entry], shard_limit: int) -> list[dict]:
    """Offsets (64-byte aligned) and shards; returns the layout entries as JSON dicts."""
    out = []
    shard, cur = 0, 0
    for e in entries:
        n = e.nbytes
        if n > shard_limit:
            raise ValueError(f"{e.name}: {n} bytes, more than the shard limit {shard_limit}")
        off = -(-cur // ALIGN) * ALIGN
        if off + n > shard_limit and cur > 0:
            shard, off = shard + 1, 0
        d: dict[str, Any] = {"name": e.name, "shard": shard, "offset": off, "bytes": n, "param": e.param,
                             "encoding": e.encoding, "shape": e.shape, "param_shape": e.param_shape}
        if e.bits is not None:
            d["bits"], d["block_size"] = e.bits, BLOCK
        elif e.encoding.startswith("q8_"):
            d["block_size"] = BLOCK
        if e.dtype is not None:
            d["dtype"] = e.dtype
        if e.encoding in ("float32", "float16"):
            d["transpose"] = e.transpose
        out.append(d)
        cur = off + n
    return out


def shard_sizes(layout: list[dict]) -> list[int]:
    sizes: dict[int, int] = {}
    for t in layout:
        sizes[t["shard"]] = max(sizes.get(t["shard"], 0), t["offset"] + t["bytes"])
    return [sizes.get(i, 0) for i in range(max(sizes, default=0) + 1)]


_ONNX_DTYPE = {"matmulnbits_b": TensorProto.UINT8, "q8_codes": TensorProto.INT8, "float32": TensorProto.FLOAT,
               "float16": TensorProto.FLOAT16}


def _add_external_initializers(model: onnx.ModelProto, stem: str, layout: list[dict]) -> None:
    for t in layout:
        dt = _ONNX_DTYPE.get(t["encoding"]) or (TensorProto.FLOAT16 if t.get("dtype") == "float16" else TensorProto.FLOAT)
        tp = model.graph.initializer.add()
        tp.name, tp.data_type = t["name"], dt
        tp.dims.extend(t["shape"])
        tp.data_location = TensorProto.EXTERNAL
        for key, val in (("location", f"{stem}.onnx.data.{t['shard']}"), ("offset", str(t["offset"])), ("length", str(t["bytes"]))):
            e = tp.external_data.add()
            e.key, e.value = key, val


def _check_model(proto: onnx.ModelProto, stem: str, layout: list[dict]) -> None:
    """onnx.checker wants the external files to exist: check beside sparse (empty) shards of the right sizes."""
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as td:
        for i, n in enumerate(shard_sizes(layout)):
            with open(Path(td) / f"{stem}.onnx.data.{i}", "wb") as f:
                os.ftruncate(f.fileno(), n)
        p = Path(td) / f"{stem}.onnx"
        p.write_bytes(proto.SerializeToString())
        onnx.checker.check_model(str(p))


# --------------------------------------------------------------------------------------------- template


def write_template(size: str, out_dir: Path, *, activations: str = "fp32", shard_limit: int = ex.DEFAULT_SHARD_LIMIT,
                   log=print) -> dict:
    """Export the four weightless graphs of `size` and write template.json + graphs + the CLIP tokenizer files."""
    import time

    from . import tokenizers_build as tb

    if activations not in ("fp32", "fp16"):
        raise ValueError(f"activations {activations!r}: fp32 or fp16")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    mods = build_meta(size)
    components: dict[str, Any] = {}
    layouts: dict[str, Any] = {}
    for name in ex.COMPONENTS:
        t0 = time.time()
        module = mods[name]
        proto, weights = export_transformer(module) if name == "transformer" else export_weightless(name, module)
        entries = _rewrite(name, proto, weights, canonical_params(module), fp16=activations == "fp16" and name == "transformer")
        ins, outs = ex.component_io(name, module)
        ex.set_io_shapes(proto, ins, outs)
        ex.strip_metadata(proto)
        proto.producer_name = "time-stream-export"
        proto.doc_string = f"Time Stream template component '{name}' ({type(module).__name__}, {size}, weightless)"
        layout = layout_shards(entries, shard_limit)
        _add_external_initializers(proto, name, layout)
        ex.assert_no_float64(proto)
        _check_model(proto, name, layout)
        graph = out_dir / f"{name}.onnx"
        graph.write_bytes(proto.SerializeToString())
        sizes = shard_sizes(layout)
        entry: dict[str, Any] = {
            "graph": {"path": graph.name, "bytes": graph.stat().st_size, "sha256": sha256_file(graph)},
            "external_data": [{"path": f"{name}.onnx.data.{i}", "bytes": b} for i, b in enumerate(sizes)],
            "inputs": [{"name": i.name, "dtype": i.dtype, "shape": i.shape} for i in ins],
            "outputs": [{"name": o.name, "dtype": o.dtype, "shape": o.shape} for o in outs],
            "precision": {4: "q4", 8: "q8"}[QUANT[name]["bits"]] if name in QUANT else "fp32",
            "opset": ex.OPSET,
            "ops": ex.op_set(proto),
            "config": M.module_config(name, module),
        }
        if activations == "fp16" and name == "transformer":
            entry["activations"] = "float16"  # inside the graph (its I/O stay float32); the GPU needs shader-f16
        if name in QUANT:
            entry["quantization"] = {"op": "com.microsoft.MatMulNBits", "bits": QUANT[name]["bits"],
                                     "block_size": BLOCK, "symmetric": True}
        components[name] = entry
        layouts[name] = {"tensors": layout}
        log(f"  {name}: graph {graph.stat().st_size} bytes, {len(layout)} external tensors, shards {sizes}, "
            f"{time.time() - t0:.1f}s")

    clip_dir = out_dir / "clip"
    if clip_dir.exists():
        shutil.rmtree(clip_dir)
    tb.write_clip_tokenizer(clip_dir)
    clip_files = [{"path": f"clip/{p.name}", "bytes": p.stat().st_size, "sha256": sha256_file(p)}
                  for p in sorted(clip_dir.iterdir())]
    full = size == "full"
    dec = configs(size)["decoder"]
    manifest = {
        "format": "time-stream-bundle",
        "format_version": 1,
        "id": TEMPLATE_IDS.get(size, f"{size}-random-flux-schnell-q4") + ("-f16" if activations == "fp16" else ""),
        "display_name": "FLUX.1-schnell (4-bit, from public files)" if full else f"{size.capitalize()} random FLUX.1-schnell (assembled)",
        "license": "FLUX.1-schnell: Apache-2.0; T5-v1.1-XXL: Apache-2.0; CLIP-L: MIT; taef1: MIT" if full else
        "Apache-2.0 (random weights made by tools/export); CLIP tokenizer vocabulary: MIT (OpenAI CLIP BPE)",
        "source": "",  # the assembler names the source files here
        "precision": "q4",
        "components": components,
        "tokenizers": {
            "clip": {"files": clip_files, "max_length": 77},
            "t5": {"files": [{"path": "t5/tokenizer.json"}, {"path": "t5/tokenizer_config.json"}], "max_length": 512},
        },
        "scheduler": {k: M.SCHNELL_SCHEDULER[k] for k in ("num_train_timesteps", "shift", "use_dynamic_shifting")},
        "vae": {"scaling_factor": float(dec["scaling_factor"]), "shift_factor": float(dec["shift_factor"]),
                "spatial_factor": 2 ** (len(dec["decoder_block_out_channels"]) - 1),
                "latent_channels": int(dec["latent_channels"])},
        "defaults": {"width": 768, "height": 768, "max_sequence_length": 256} if full else
        {"width": 64, "height": 64, "max_sequence_length": 512},
        "limits": {"min_size": 256, "max_size": 1024} if full else {"min_size": 32, "max_size": 256},
        "export": _export_info(size, activations, shard_limit),
    }
    template = {"format": FORMAT, "format_version": FORMAT_VERSION, "id": manifest["id"], "manifest": manifest,
                "layouts": layouts}
    (out_dir / "template.json").write_text(json.dumps(template, indent=1) + "\n", encoding="utf-8")
    return template


def _export_info(size: str, activations: str, shard_limit: int) -> dict:
    import diffusers
    import transformers

    return {
        "tool": "tools/export (time_stream_export template)", "size": size, "activations": activations,
        "weights": "none (meta device); filled by the assembler",
        "torch": torch.__version__.split("+")[0], "diffusers": diffusers.__version__,
        "transformers": transformers.__version__, "onnx": onnx.__version__, "opset": ex.OPSET,
        "exporter": "torch.onnx.export(dynamo=True) on meta tensors, parameters as inputs while optimising",
        "shard_limit": shard_limit,
    }
