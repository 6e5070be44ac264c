import { describe, expect, it } from 'vitest';
import { decoderOutputToRgba, roundHalfEven } from '../../workers/pipeline/image';

describe('decoder output to pixels', () => {
  it('maps -1..1 to 0..255 with clamping, alpha 255', () => {
    // 1x2 image, planes R, G, B
    const rgba = decoderOutputToRgba(new Float32Array([-1, 1, 0, 3, -5, 0.5]), 2, 1);
    expect(Array.from(rgba)).toEqual([0, 128, 0, 255, 255, 255, 191, 255]);
  });
  it('rounds half to even like numpy', () => {
    expect([0.5, 1.5, 2.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, 2, 3]);
  });
});
