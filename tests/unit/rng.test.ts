import { describe, expect, it } from 'vitest';
import { Xoshiro128, gaussianNoise } from '../../workers/pipeline/rng';

describe('documented PRNG', () => {
  it('is deterministic per seed and stream', () => {
    const a = new Xoshiro128(42);
    const b = new Xoshiro128(42);
    const c = new Xoshiro128(42, 1);
    const xs = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(xs);
  });
  it('pins its first outputs (a change here changes every image made with a seed)', () => {
    const rng = new Xoshiro128(0);
    expect(Array.from({ length: 3 }, () => rng.nextUint32())).toMatchInlineSnapshot(`
      [
        3809008728,
        1133695204,
        53579671,
      ]
    `);
  });
  it('gives standard normals', () => {
    const z = gaussianNoise(7, 200_000);
    let mean = 0;
    let sq = 0;
    for (const v of z) {
      mean += v;
      sq += v * v;
    }
    mean /= z.length;
    const variance = sq / z.length - mean * mean;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.01);
    expect(gaussianNoise(7, 3)).toEqual(z.subarray(0, 3));
    expect(gaussianNoise(8, 3)).not.toEqual(z.subarray(0, 3));
  });
  it('draws integers without bias in range', () => {
    const rng = new Xoshiro128(3);
    const counts = new Array(19).fill(0);
    for (let i = 0; i < 19_000; i++) counts[rng.nextInt(19)]++;
    for (const c of counts) expect(c).toBeGreaterThan(800);
  });
});
