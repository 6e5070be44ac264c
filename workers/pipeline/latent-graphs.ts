/**
 * Two tiny ONNX graphs built here, at run time, so that latents stay on the GPU between denoising
 * steps on WebGPU (no read-back until the decoder's image):
 *  - euler:  x, v [1, N, 64], dt [1]  ->  x + dt·v        (FlowMatchEulerDiscreteScheduler.step)
 *  - unpack: x [1, N, 64]  ->  latents [1, C, H/8, W/8] / scaling + shift  (FluxPipeline._unpack_latents
 *            followed by the decoder's input scaling)
 * Why built in JS and not by the exporter: every bundle (the tiny test ones, the mid benchmark one and
 * real-weights bundles already hosted) gets them without a re-export, and their shapes come from the
 * job, not from a fixed export size. The protobuf writer below covers only the fields these graphs use
 * (onnx.proto3 field numbers are cited at each message).
 *
 * Float semantics match the JS path (schedule.ts eulerStep, latents.ts toDecoderInput): Mul then Add
 * in float32, each rounded, so wasm/webgpu parity with diffusers is unchanged.
 */

// ------------------------------------------------------------------------------ protobuf writer

class Writer {
  #bytes: number[] = [];

  varint(value: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.#bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.#bytes.push(Number(v));
    return this;
  }
  /** Field with wire type 0 (varint). */
  int(field: number, value: number | bigint): this {
    return this.varint(field << 3).varint(value);
  }
  /** Field with wire type 2 (length-delimited bytes). */
  bytes(field: number, data: Uint8Array | number[]): this {
    this.varint((field << 3) | 2).varint(data.length);
    for (const b of data) this.#bytes.push(b);
    return this;
  }
  string(field: number, text: string): this {
    return this.bytes(field, new TextEncoder().encode(text));
  }
  message(field: number, build: (w: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    return this.bytes(field, inner.finish());
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }
}

/** Encodes an unsigned/negative integer as protobuf's varint (exported for tests). */
export function encodeVarint(value: number | bigint): Uint8Array {
  return new Writer().varint(value).finish();
}

const FLOAT = 1; // TensorProto.DataType.FLOAT
const INT64 = 7; // TensorProto.DataType.INT64
const ATTR_INTS = 7; // AttributeProto.AttributeType.INTS

type Dim = number | string;
interface ValueInfo {
  name: string;
  elemType: number;
  dims: readonly Dim[];
}
interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
  ints?: Record<string, readonly number[]>;
}
interface Int64Initializer {
  name: string;
  values: readonly number[];
}
export interface GraphSpec {
  name: string;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  nodes: Node[];
  initializers?: Int64Initializer[];
}

// ValueInfoProto { name = 1; type = 2 }  TypeProto { tensor_type = 1 }  TypeProto.Tensor { elem_type = 1; shape = 2 }
// TensorShapeProto { dim = 1 }  Dimension { dim_value = 1; dim_param = 2 }
function valueInfo(w: Writer, v: ValueInfo): void {
  w.string(1, v.name).message(2, (type) =>
    type.message(1, (tensor) =>
      tensor.int(1, v.elemType).message(2, (shape) => {
        for (const d of v.dims) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      }),
    ),
  );
}

/** ModelProto bytes (IR version 8, default opset 18) for a graph of standard ops. */
export function encodeModel(spec: GraphSpec): Uint8Array {
  // ModelProto { ir_version = 1; producer_name = 2; graph = 7; opset_import = 8 }
  return new Writer()
    .int(1, 8)
    .string(2, 'time-stream')
    .message(7, (g) => {
      // GraphProto { node = 1; name = 2; initializer = 5; input = 11; output = 12 }
      spec.nodes.forEach((n, i) =>
        g.message(1, (node) => {
          // NodeProto { input = 1; output = 2; name = 3; op_type = 4; attribute = 5 }
          for (const x of n.inputs) node.string(1, x);
          for (const y of n.outputs) node.string(2, y);
          node.string(3, `${n.op.toLowerCase()}_${i}`).string(4, n.op);
          // AttributeProto { name = 1; ints = 8; type = 20 }
          for (const [name, ints] of Object.entries(n.ints ?? {}))
            node.message(5, (a) => {
              a.string(1, name);
              for (const v of ints) a.int(8, v);
              a.int(20, ATTR_INTS);
            });
        }),
      );
      g.string(2, spec.name);
      // TensorProto { dims = 1; data_type = 2; int64_data = 7 (packed); name = 8 }
      for (const init of spec.initializers ?? [])
        g.message(5, (t) => {
          t.int(1, init.values.length).int(2, INT64);
          const packed = new Writer();
          for (const v of init.values) packed.varint(v);
          t.bytes(7, packed.finish()).string(8, init.name);
        });
      for (const v of spec.inputs) g.message(11, (w) => valueInfo(w, v));
      for (const v of spec.outputs) g.message(12, (w) => valueInfo(w, v));
    })
    // OperatorSetIdProto { domain = 1; version = 2 }
    .message(8, (o) => o.string(1, '').int(2, 18))
    .finish();
}

// ------------------------------------------------------------------------------ the two graphs

/** x + dt·v on [1, tokens, features]; dt is a [1] float input. */
export function eulerGraph(tokens: number, features = 64): Uint8Array {
  const dims = [1, tokens, features];
  return encodeModel({
    name: 'euler_step',
    inputs: [
      { name: 'x', elemType: FLOAT, dims },
      { name: 'v', elemType: FLOAT, dims },
      { name: 'dt', elemType: FLOAT, dims: [1] },
    ],
    outputs: [{ name: 'x_next', elemType: FLOAT, dims }],
    nodes: [
      { op: 'Mul', inputs: ['v', 'dt'], outputs: ['dv'] },
      { op: 'Add', inputs: ['x', 'dv'], outputs: ['x_next'] },
    ],
  });
}

/**
 * Packed [1, (H/2)(W/2), C·4] with features (c, dy, dx) -> [1, C, H, W] (H, W = latent rows, cols),
 * then / scaling + shift: reshape [1, H/2, W/2, C, 2, 2], transpose to [1, C, H/2, 2, W/2, 2], reshape.
 */
export function unpackGraph(channels: number, rows: number, cols: number): Uint8Array {
  const tokens = (rows / 2) * (cols / 2);
  // The VAE's scaling and shift are [1] inputs (fed by the caller) rather than float initializers.
  return encodeModel({
    name: 'unpack_latents',
    inputs: [
      { name: 'x', elemType: FLOAT, dims: [1, tokens, channels * 4] },
      { name: 'scaling', elemType: FLOAT, dims: [1] },
      { name: 'shift', elemType: FLOAT, dims: [1] },
    ],
    outputs: [{ name: 'latents', elemType: FLOAT, dims: [1, channels, rows, cols] }],
    initializers: [
      { name: 'grid_shape', values: [1, rows / 2, cols / 2, channels, 2, 2] },
      { name: 'image_shape', values: [1, channels, rows, cols] },
    ],
    nodes: [
      { op: 'Reshape', inputs: ['x', 'grid_shape'], outputs: ['grid'] },
      { op: 'Transpose', inputs: ['grid'], outputs: ['moved'], ints: { perm: [0, 3, 1, 4, 2, 5] } },
      { op: 'Reshape', inputs: ['moved', 'image_shape'], outputs: ['unpacked'] },
      { op: 'Div', inputs: ['unpacked', 'scaling'], outputs: ['scaled'] },
      { op: 'Add', inputs: ['scaled', 'shift'], outputs: ['latents'] },
    ],
  });
}
