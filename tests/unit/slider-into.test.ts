import { describe, it, expect } from 'vitest';
import { shiftPooled, shiftPooledInto } from '../../workers/pipeline/slider';

describe('shiftPooledInto', () => {
  it('writes pooled + scale·direction into the given array, the same floats as shiftPooled', () => {
    const pooled = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i) * 3);
    const direction = Float32Array.from({ length: 64 }, (_, i) => Math.cos(i * 0.7));
    const out = new Float32Array(64);
    for (const scale of [-1.75, -0.5833333, 0, 0.1, 2.5]) {
      expect(shiftPooledInto(out, pooled, direction, scale)).toBe(out);
      const expected = Float32Array.from(pooled, (p, i) => Math.fround(p + Math.fround(direction[i]! * Math.fround(scale))));
      expect(Array.from(out)).toEqual(Array.from(expected));
      expect(Array.from(shiftPooled(pooled, direction, scale))).toEqual(Array.from(expected));
    }
  });
});
