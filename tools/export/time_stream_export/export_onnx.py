"""torch -> ONNX for the four components, plus graph passes (Gemm -> MatMul, q4), and sharded external data.

Exporter choice (torch 2.13): the dynamo exporter (``torch.onnx.export(..., dynamo=True)``) handles all four
modules once T5/CLIP use transformers' "eager" attention (with "sdpa" T5 fails in decomposition: a view of a
transposed tensor with symbolic shapes). The legacy TorchScript exporter cannot export diffusers' Flux
(``aten::rms_norm`` is unsupported) and leaves an ``If`` in CLIP's causal mask, so dynamo is used everywhere.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

logging.getLogger("torch.onnx._internal.exporter._registration").setLevel(logging.ERROR)

OPSET = 18
DEFAULT_SHARD_LIMIT = 1_900_000_000
COMPONENTS = ("clip", "t5", "transformer", "decoder")
QUANTIZED_COMPONENTS = ("transformer", "t5")


# --------------------------------------------------------------------------------------------- wrappers


class ClipWrapper(torch.nn.Module):
    """input_ids -> (pooled, last_hidden_state). Pooled = final-LN'd hidden state at argmax(ids) (first EOS), the
    legacy (eos_token_id == 2) pooling of CLIPTextModel, with the ArgMax taken on a float cast of the ids
    (49407 is exact in float32) so the graph needs no integer ArgMax."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids):
        h = self.m(input_ids=input_ids).last_hidden_state
        idx = input_ids.to(torch.float32).argmax(dim=-1)
        pooled = torch.gather(h, 1, idx[:, None, None].expand(-1, 1, h.shape[-1])).squeeze(1)
        return pooled, h


class T5Wrapper(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids):
        return self.m(input_ids=input_ids).last_hidden_state


class TransformerWrapper(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, hidden_states, encoder_hidden_states, pooled_projections, timestep, img_ids, txt_ids):
        return self.m(
            hidden_states=hidden_states,
            encoder_hidden_states=encoder_hidden_states,
            pooled_projections=pooled_projections,
            timestep=timestep,
            img_ids=img_ids,
            txt_ids=txt_ids,
            guidance=None,
            return_dict=False,
        )[0]


class DecoderWrapper(torch.nn.Module):
    """AutoencoderTiny.decode: taef1 decoder, output in diffusers' convention (raw * 2 - 1)."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, latents):
        return self.m.decode(latents, return_dict=False)[0]


def _pos_embed_forward_f32(self, ids: torch.Tensor):
    """FluxPosEmbed.forward without float64 (WebGPU has none): the frequencies are computed in float64 in
    Python at export time and baked in as float32 constants; angles, cos and sin are float32. Same layout as
    diffusers' get_1d_rotary_pos_embed(repeat_interleave_real=True, use_real=True)."""
    pos = ids.float()
    cos_out, sin_out = [], []
    for i in range(ids.shape[-1]):
        dim = self.axes_dim[i]
        freqs = (1.0 / (float(self.theta) ** (np.arange(0, dim, 2, dtype=np.float64) / dim))).astype(np.float32)
        ang = pos[:, i : i + 1] * torch.from_numpy(freqs).to(pos.device)[None, :]  # meta ids in templates
        c, s = ang.cos(), ang.sin()
        cos_out.append(torch.stack([c, c], dim=-1).flatten(1))
        sin_out.append(torch.stack([s, s], dim=-1).flatten(1))
    return torch.cat(cos_out, dim=-1), torch.cat(sin_out, dim=-1)


@contextlib.contextmanager
def float32_rope():
    import diffusers.models.transformers.transformer_flux as tf

    orig = tf.FluxPosEmbed.forward
    tf.FluxPosEmbed.forward = _pos_embed_forward_f32
    try:
        yield
    finally:
        tf.FluxPosEmbed.forward = orig


# --------------------------------------------------------------------------------------------- attention

ATTENTION_MODES = ("fused", "decomposed")


@torch.library.custom_op("time_stream::attention", mutates_args=())
def fused_attention_op(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    """Flux's joint attention, [B, S, heads, head_dim] in and out (diffusers' layout): plain SDPA in torch; exported as
    one com.microsoft MultiHeadAttention node (``_mha_onnx``)."""
    out = torch.nn.functional.scaled_dot_product_attention(query.transpose(1, 2), key.transpose(1, 2), value.transpose(1, 2))
    return out.transpose(1, 2).contiguous()


@fused_attention_op.register_fake
def _fused_attention_fake(query, key, value):
    return torch.empty_like(query)


def _mha_schema() -> onnx.defs.OpSchema:
    """The part of onnxruntime's MultiHeadAttention schema the exporter needs (onnx itself does not know the op)."""
    P = onnx.defs.OpSchema.FormalParameter
    return onnx.defs.OpSchema(
        "MultiHeadAttention", "com.microsoft", 1,
        inputs=[P("query", "T"), P("key", "T"), P("value", "T")],
        outputs=[P("output", "T"), P("present_key", "T"), P("present_value", "T")],
        type_constraints=[("T", ["tensor(float)", "tensor(float16)"], "")],
        attributes=[onnx.defs.OpSchema.Attribute("num_heads", onnx.defs.OpSchema.AttrType.INT, "")],
    )


def _mha_onnx(query, key, value):
    """[B, S, heads, head_dim] -> BSD query/key/value of MultiHeadAttention (scale 1/sqrt(head_dim), SDPA's default).

    The present_key/present_value outputs are declared although nothing reads them: onnxruntime's WebGPU kernel
    takes its flash-attention path only when they exist (CanApplyFlashAttention: present_key and present_value
    non-null, batch 1, no bias, head_dim % 4 == 0, the device has subgroups); otherwise it materialises the
    [B, heads, S, S] scores like the decomposed graph."""
    import onnxscript
    from onnxscript import opset18 as op

    mha = onnxscript.values.Op(onnxscript.values.Opset("com.microsoft", 1), "MultiHeadAttention", _mha_schema())
    flat = op.Constant(value_ints=[0, 0, -1])
    out, _present_key, _present_value = mha(
        op.Reshape(query, flat), op.Reshape(key, flat), op.Reshape(value, flat), num_heads=query.shape[2]
    )
    return op.Reshape(out, op.Shape(query))


def _dispatch_fused(query, key, value, attn_mask=None, **_backend):
    if attn_mask is not None:
        raise ValueError("fused attention: Flux's attention has no mask")
    return fused_attention_op(query, key, value)


@contextlib.contextmanager
def transformer_tracing(attention: str = "fused"):
    """Everything the transformer's export changes in diffusers while tracing: float32 RoPE, and with
    ``attention="fused"`` each attention as the custom op above. Yields the exporter's custom_translation_table."""
    import diffusers.models.transformers.transformer_flux as tf

    if attention not in ATTENTION_MODES:
        raise ValueError(f"attention {attention!r}: one of {ATTENTION_MODES}")
    orig = tf.dispatch_attention_fn
    if attention == "fused":
        tf.dispatch_attention_fn = _dispatch_fused
    try:
        with float32_rope():
            yield {torch.ops.time_stream.attention.default: _mha_onnx} if attention == "fused" else None
    finally:
        tf.dispatch_attention_fn = orig


# --------------------------------------------------------------------------------------------- specs


@dataclass
class IOSpec:
    name: str
    dtype: str
    shape: list  # ints and symbolic names


def image_ids(h: int, w: int) -> torch.Tensor:
    ids = torch.zeros(h, w, 3)
    ids[..., 1] = ids[..., 1] + torch.arange(h)[:, None]
    ids[..., 2] = ids[..., 2] + torch.arange(w)[None, :]
    return ids.reshape(h * w, 3)


def component_io(name: str, module: Any) -> tuple[list[IOSpec], list[IOSpec]]:
    if name == "clip":
        hid = module.config.hidden_size
        # S <= 77: padding after the first EOS cannot change the pooled vector (causal attention), so the
        # engine may send only as many tokens as the longest prompt of a batch needs.
        return [IOSpec("input_ids", "int64", ["batch", "S"])], [
            IOSpec("pooled", "float32", ["batch", hid]),
            IOSpec("last_hidden_state", "float32", ["batch", "S", hid]),
        ]
    if name == "t5":
        d = module.config.d_model
        return [IOSpec("input_ids", "int64", ["batch", "L"])], [IOSpec("last_hidden_state", "float32", ["batch", "L", d])]
    if name == "transformer":
        c = module.config
        return [
            IOSpec("hidden_states", "float32", ["batch", "N", c.in_channels]),
            IOSpec("encoder_hidden_states", "float32", ["batch", "L", c.joint_attention_dim]),
            IOSpec("pooled_projections", "float32", ["batch", c.pooled_projection_dim]),
            IOSpec("timestep", "float32", ["batch"]),
            IOSpec("img_ids", "float32", ["N", 3]),
            IOSpec("txt_ids", "float32", ["L", 3]),
        ], [IOSpec("out", "float32", ["batch", "N", c.out_channels or c.in_channels])]
    if name == "decoder":
        lc = module.config.latent_channels
        oc = module.config.out_channels
        return [IOSpec("latents", "float32", ["batch", lc, "H/8", "W/8"])], [
            IOSpec("image", "float32", ["batch", oc, "H", "W"])
        ]
    raise ValueError(name)


def example_inputs(name: str, module: Any, batch: int = 2, gen: torch.Generator | None = None) -> tuple:
    """Inputs used to trace (batch >= 2 and sizes >= 2 so no dynamic dim specialises to 1)."""
    g = gen or torch.Generator().manual_seed(1234)
    if name == "clip":
        ids = torch.randint(0, 49406, (batch, 77), generator=g)
        ids[:, 0] = 49406
        ids[:, 9:] = 49407
        return (ids,)
    if name == "t5":
        return (torch.randint(0, module.config.vocab_size, (batch, 24), generator=g),)
    if name == "transformer":
        c = module.config
        N, L = 4 * 6, 20
        return (
            torch.randn(batch, N, c.in_channels, generator=g),
            torch.randn(batch, L, c.joint_attention_dim, generator=g),
            torch.randn(batch, c.pooled_projection_dim, generator=g),
            torch.rand(batch, generator=g),
            image_ids(4, 6),
            torch.zeros(L, 3),
        )
    if name == "decoder":
        return (torch.randn(batch, module.config.latent_channels, 4, 6, generator=g),)
    raise ValueError(name)


def wrap(name: str, module: Any) -> torch.nn.Module:
    return {"clip": ClipWrapper, "t5": T5Wrapper, "transformer": TransformerWrapper, "decoder": DecoderWrapper}[name](
        module
    ).eval()


_DYNAMIC = {
    "clip": [{0: "batch", 1: "S"}],
    "t5": [{0: "batch", 1: "L"}],
    "transformer": [{0: "batch", 1: "N"}, {0: "batch", 1: "L"}, {0: "batch"}, {0: "batch"}, {0: "N"}, {0: "L"}],
    "decoder": [{0: "batch", 2: "H/8", 3: "W/8"}],
}


# --------------------------------------------------------------------------------------------- export


def export_torch(name: str, module: Any, attention: str = "fused") -> onnx.ModelProto:
    """Export one component with the dynamo exporter; returns a ModelProto with its weights embedded."""
    wrapper = wrap(name, module)
    args = example_inputs(name, module)
    ins, outs = component_io(name, module)
    dyn = tuple({ax: torch.export.Dim.DYNAMIC for ax in d} for d in _DYNAMIC[name])
    ctx = transformer_tracing(attention) if name == "transformer" else contextlib.nullcontext()
    buf = io.StringIO()
    with ctx as translations, torch.no_grad(), contextlib.redirect_stdout(buf):
        prog = torch.onnx.export(
            wrapper,
            args,
            f=None,
            dynamo=True,
            opset_version=OPSET,
            input_names=[i.name for i in ins],
            output_names=[o.name for o in outs],
            dynamic_shapes=dyn,
            verbose=False,
            optimize=True,
            custom_translation_table=translations,
        )
    model = prog.model_proto  # an in-memory proto (no serialisation: real components exceed protobuf's 2 GB)
    set_io_shapes(model, ins, outs)
    strip_metadata(model)
    gemm_to_matmul(model)
    model.producer_name = "time-stream-export"
    model.doc_string = f"Time Stream bundle component '{name}' ({type(module).__name__})"
    assert_no_float64(model)
    return model


def strip_metadata(model: onnx.ModelProto) -> None:
    """Drop the exporter's per-node stack traces/metadata and intermediate value_info (graph = structure only)."""
    for n in model.graph.node:
        del n.metadata_props[:]
        n.doc_string = ""
    del model.graph.value_info[:]
    del model.metadata_props[:]
    for vi in list(model.graph.input) + list(model.graph.output):
        del vi.metadata_props[:]
    for t in model.graph.initializer:
        del t.metadata_props[:]


def set_io_shapes(model: onnx.ModelProto, ins: list[IOSpec], outs: list[IOSpec]) -> None:
    """Write the contract's symbolic names on the graph inputs/outputs (the exporter's are s0, s1, ...)."""
    for vi, spec in zip(list(model.graph.input), ins):
        _set_shape(vi, spec)
    for vi, spec in zip(list(model.graph.output), outs):
        _set_shape(vi, spec)


def _set_shape(vi: onnx.ValueInfoProto, spec: IOSpec) -> None:
    assert vi.name == spec.name, (vi.name, spec.name)
    dims = vi.type.tensor_type.shape.dim
    assert len(dims) == len(spec.shape), (vi.name, len(dims), spec.shape)
    for d, s in zip(dims, spec.shape):
        if isinstance(s, int):
            if d.HasField("dim_value") and d.dim_value != s:
                raise ValueError(f"{vi.name}: dim {d.dim_value} != contract {s}")
            d.Clear()
            d.dim_value = s
        else:
            d.Clear()
            d.dim_param = s


def gemm_to_matmul(model: onnx.ModelProto) -> int:
    """Gemm(A, W^T, b) with constant W (torch Linear on 2-D inputs) -> MatMul(A, W^T const) + Add(b), so that the
    q4 pass sees every linear layer as a MatMul with a constant B."""
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    new_nodes = []
    n_conv = 0
    for node in g.node:
        if node.op_type != "Gemm" or node.input[1] not in inits:
            new_nodes.append(node)
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if attrs.get("transA", 0) or attrs.get("alpha", 1.0) != 1.0 or attrs.get("beta", 1.0) != 1.0:
            new_nodes.append(node)
            continue
        w = numpy_helper.to_array(inits[node.input[1]])
        if attrs.get("transB", 0):
            w = np.ascontiguousarray(w.T)
        wname = node.input[1] + "_kn"
        g.initializer.append(numpy_helper.from_array(w, wname))
        has_bias = len(node.input) > 2 and node.input[2]
        mm_out = node.output[0] + "_mm" if has_bias else node.output[0]
        new_nodes.append(helper.make_node("MatMul", [node.input[0], wname], [mm_out], name=node.name + "_MatMul"))
        if has_bias:
            new_nodes.append(helper.make_node("Add", [mm_out, node.input[2]], [node.output[0]], name=node.name + "_Add"))
        n_conv += 1
    del g.node[:]
    g.node.extend(new_nodes)
    remove_unused_initializers(model)
    return n_conv


def remove_unused_initializers(model: onnx.ModelProto) -> None:
    used = set()
    for node in model.graph.node:
        used.update(node.input)
        for a in node.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                for n in a.g.node:
                    used.update(n.input)
    used.update(o.name for o in model.graph.output)
    keep = [t for t in model.graph.initializer if t.name in used]
    del model.graph.initializer[:]
    model.graph.initializer.extend(keep)


def assert_no_float64(model: onnx.ModelProto) -> None:
    bad = []
    for t in model.graph.initializer:
        if t.data_type == TensorProto.DOUBLE:
            bad.append(f"initializer {t.name}")
    for vi in list(model.graph.input) + list(model.graph.output) + list(model.graph.value_info):
        if vi.type.tensor_type.elem_type == TensorProto.DOUBLE:
            bad.append(f"value {vi.name}")
    for n in model.graph.node:
        for a in n.attribute:
            if n.op_type == "Cast" and a.name == "to" and a.i == TensorProto.DOUBLE:
                bad.append(f"Cast {n.name}")
            if a.type == onnx.AttributeProto.TENSOR and a.t.data_type == TensorProto.DOUBLE:
                bad.append(f"Constant {n.name}")
    if bad:
        raise ValueError("float64 in graph (not runnable on WebGPU): " + ", ".join(bad[:10]))


def quantize_q4(model: onnx.ModelProto, block_size: int = 32) -> onnx.ModelProto:
    """MatMul with constant B -> com.microsoft MatMulNBits bits=4, block 32, symmetric (RTN), fp32 activations."""
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    for lg in ("onnxruntime.quantization", "onnx_ir", "onnx_ir.passes", "onnxscript"):
        logging.getLogger(lg).setLevel(logging.WARNING)
    q = MatMulNBitsQuantizer(
        model,
        bits=4,
        block_size=block_size,
        is_symmetric=True,
        accuracy_level=None,
        op_types_to_quantize=("MatMul",),
    )
    q.process()
    out = q.model.model
    remove_unused_initializers(out)
    n_left = sum(
        1
        for n in out.graph.node
        if n.op_type == "MatMul" and n.input[1] in {t.name for t in out.graph.initializer}
    )
    if n_left:
        raise ValueError(f"{n_left} MatMul nodes with constant weights were not quantized (K not a multiple of {block_size}?)")
    return out


def op_set(model: onnx.ModelProto) -> list[str]:
    ops = set()
    for n in model.graph.node:
        ops.add(n.op_type if n.domain in ("", "ai.onnx") else f"{n.domain}.{n.op_type}")
    return sorted(ops)


# --------------------------------------------------------------------------------------------- external data


INLINE_MAX_ELEMENTS = 64


def _numel(t: onnx.TensorProto) -> int:
    n = 1
    for d in t.dims:
        n *= d
    return n


def is_inline_constant(t: onnx.TensorProto) -> bool:
    """True for the small initializers (shape/axis constants, scalars) that stay inside the graph (see write_sharded)."""
    return _numel(t) <= INLINE_MAX_ELEMENTS


def _copy_model(model: onnx.ModelProto) -> onnx.ModelProto:
    m = onnx.ModelProto()
    m.CopyFrom(model)  # no serialisation round trip (works past 2 GB)
    return m


def write_sharded(
    model: onnx.ModelProto, out_dir: Path, stem: str, shard_limit: int = DEFAULT_SHARD_LIMIT, copy: bool = True
) -> tuple[Path, list[Path]]:
    """Save ``<stem>.onnx`` (structure + small integer constants) and every other initializer into ``<stem>.onnx.data.<k>`` shards, each at most
    ``shard_limit`` bytes. Locations are basenames (the shards lie beside the graph). With ``copy=False`` the
    given model is turned into the structure-only graph in place (saves memory for large components).

    Small initializers (shape/axis constants, scalars) stay inside the graph: onnxruntime-web's shape inference and
    graph optimisers (e.g. MatMulScaleFusion) read them while the session is created and fail on external ones
    ("Cannot parse data from external tensors", "Failed to get file size for external initializer")."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if copy:
        model = _copy_model(model)
    shards: list[Path] = []
    fh = None
    cur = 0
    k = -1

    def open_next():
        nonlocal fh, cur, k
        if fh:
            fh.close()
        k += 1
        p = out_dir / f"{stem}.onnx.data.{k}"
        shards.append(p)
        fh = open(p, "wb")
        cur = 0

    for t in model.graph.initializer:
        if t.data_location == TensorProto.EXTERNAL:
            raise ValueError(f"{t.name} already external")
        if is_inline_constant(t):
            continue
        arr = numpy_helper.to_array(t)
        data = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        n = len(data)
        if n > shard_limit:
            raise ValueError(f"initializer {t.name} has {n} bytes, more than the shard limit {shard_limit}")
        if fh is None or cur + n > shard_limit:
            open_next()
        offset = cur
        fh.write(data)
        cur += n
        dims = list(t.dims)
        name, dtype = t.name, t.data_type
        t.Clear()
        t.name, t.data_type = name, dtype
        t.dims.extend(dims)
        t.data_location = TensorProto.EXTERNAL
        for key, val in (("location", f"{stem}.onnx.data.{k}"), ("offset", str(offset)), ("length", str(n))):
            e = t.external_data.add()
            e.key, e.value = key, val
    if fh:
        fh.close()
    if not shards:  # a graph without weights still gets one (empty) shard, so every component has external data
        open_next()
        fh.close()
    graph_path = out_dir / f"{stem}.onnx"
    graph_path.write_bytes(model.SerializeToString())
    return graph_path, shards


def load_with_data(graph_path: Path) -> onnx.ModelProto:
    return onnx.load(str(graph_path), load_external_data=True)
