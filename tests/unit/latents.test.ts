import { describe, expect, it } from 'vitest';
import { latentShape, packLatents, unpackLatents, imageIds, textIds, tokenCount, toDecoderInput } from '../../workers/pipeline/latents';

describe('latent packing', () => {
  const shape = latentShape(64, 32); // 16 x 4 x 8 latents, 2 x 4 tokens
  const unpacked = Float32Array.from({ length: 16 * 4 * 8 }, (_, i) => i);

  it('has FluxPipeline shapes', () => {
    expect(shape).toEqual({ channels: 16, rows: 4, cols: 8 });
    expect(tokenCount(shape)).toBe(8);
  });
  it('packs with feature order (c, dy, dx) and token order row-major', () => {
    const packed = packLatents(unpacked, shape);
    // token 0, feature 0..3 = z[0,0,0], z[0,0,1], z[0,1,0], z[0,1,1]
    expect(Array.from(packed.subarray(0, 4))).toEqual([0, 1, 8, 9]);
    // token 1 (row 0, col 1), feature 4 = channel 1, (0,0) → z[1,0,2] = 32 + 2
    expect(packed[64 + 4]).toBe(34);
    // token 4 = (row 1, col 0) → z[0,2,0] = 16
    expect(packed[4 * 64]).toBe(16);
  });
  it('unpack inverts pack', () => {
    expect(Array.from(unpackLatents(packLatents(unpacked, shape), shape))).toEqual(Array.from(unpacked));
  });
  it('image ids are (0, row, col) per token', () => {
    const ids = imageIds(shape);
    expect(Array.from(ids.subarray(0, 6))).toEqual([0, 0, 0, 0, 0, 1]);
    expect(Array.from(ids.subarray(4 * 3, 4 * 3 + 3))).toEqual([0, 1, 0]);
    expect(Array.from(textIds(2))).toEqual([0, 0, 0, 0, 0, 0]);
  });
  it('refuses sizes that are not multiples of 16', () => {
    expect(() => latentShape(40, 32)).toThrow(RangeError);
  });
  it('rescales for the VAE', () => {
    expect(Array.from(toDecoderInput(new Float32Array([1, -2]), 0.5, 0.25))).toEqual([2.25, -3.75]);
  });
});
