import { describe, it, expect } from 'vitest';
import { createRequire } from 'node:module';
import { encodeVarint, eulerGraph, unpackGraph } from '../../workers/pipeline/latent-graphs';
import { eulerStep } from '../../workers/pipeline/schedule';
import { latentShape, packLatents, unpackLatents, toDecoderInput } from '../../workers/pipeline/latents';

// onnxruntime-node is installed with @huggingface/transformers; it runs the same graph bytes that
// onnxruntime-web gets, on the CPU.
const require = createRequire(import.meta.url);
let ort: typeof import('onnxruntime-node') | undefined;
try {
  ort = require('onnxruntime-node');
} catch {
  ort = undefined;
}

function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 4 - 2;
  });
}

describe('protobuf varint', () => {
  it('encodes like protobuf', () => {
    expect([...encodeVarint(0)]).toEqual([0]);
    expect([...encodeVarint(1)]).toEqual([1]);
    expect([...encodeVarint(300)]).toEqual([0xac, 0x02]);
    expect([...encodeVarint(-1)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  });
});

describe.skipIf(!ort)('latent graphs run in onnxruntime', () => {
  it('euler: x + dt·v, bit-identical to eulerStep', async () => {
    const tokens = 16;
    const x = seeded(tokens * 64, 1);
    const v = seeded(tokens * 64, 2);
    const sigma = Math.fround(1);
    const sigmaNext = Math.fround(2 / 3);
    const session = await ort!.InferenceSession.create(eulerGraph(tokens));
    const out = await session.run({
      x: new ort!.Tensor('float32', x, [1, tokens, 64]),
      v: new ort!.Tensor('float32', v, [1, tokens, 64]),
      dt: new ort!.Tensor('float32', Float32Array.of(Math.fround(sigmaNext - sigma)), [1]),
    });
    const expected = Float32Array.from(x);
    eulerStep(expected, v, sigma, sigmaNext);
    expect(Array.from(out.x_next!.data as Float32Array)).toEqual(Array.from(expected));
  });

  it('unpack: the inverse of packLatents, then / scaling + shift', async () => {
    const shape = latentShape(64, 48);
    const unpacked = seeded(shape.channels * shape.rows * shape.cols, 3);
    const packed = packLatents(unpacked, shape);
    // The full FLUX VAE's factors, as float32 (the reference divides by the scalar in float32 too).
    const scaling = Math.fround(0.3611);
    const shift = Math.fround(0.1159);
    const session = await ort!.InferenceSession.create(unpackGraph(shape.channels, shape.rows, shape.cols));
    const out = await session.run({
      x: new ort!.Tensor('float32', packed, [1, packed.length / 64, 64]),
      scaling: new ort!.Tensor('float32', Float32Array.of(scaling), [1]),
      shift: new ort!.Tensor('float32', Float32Array.of(shift), [1]),
    });
    expect(out.latents!.dims).toEqual([1, shape.channels, shape.rows, shape.cols]);
    const expected = toDecoderInput(unpackLatents(packed, shape), scaling, shift);
    expect(Array.from(out.latents!.data as Float32Array)).toEqual(Array.from(expected));
  });
});
