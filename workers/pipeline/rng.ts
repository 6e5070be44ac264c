/**
 * The project's documented noise generator, so the same seed gives the same frames on every
 * machine (torch's RNG cannot be reproduced in a browser; parity tests inject the reference noise).
 *
 * - Seeding: SplitMix32 expands the 32-bit seed (and a stream number) into four state words.
 * - Uniforms: xoshiro128** (Blackman & Vigna), 32 bits each, mapped to (0, 1) as (x + 0.5) / 2^32.
 * - Normals: Box–Muller in float64 on consecutive uniform pairs (u1, u2): r = sqrt(−2 ln u1),
 *   z0 = r·cos(2π u2), z1 = r·sin(2π u2); then rounded to float32.
 */
export class Xoshiro128 {
  #s: Uint32Array;

  constructor(seed: number, stream = 0) {
    let x = (seed >>> 0) ^ Math.imul(stream >>> 0, 0x9e3779b9);
    const next = () => {
      // SplitMix32
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#s = new Uint32Array([next(), next(), next(), next()]);
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in the open interval (0, 1). */
  nextUniform(): number {
    return (this.nextUint32() + 0.5) / 4294967296;
  }

  /** Uniform integer in [0, n), without modulo bias. */
  nextInt(n: number): number {
    const limit = Math.floor(4294967296 / n) * n;
    let x: number;
    do x = this.nextUint32();
    while (x >= limit);
    return x % n;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Streams keep the noise and the direction's template draw independent for one seed. */
export const RNG_STREAM = { noise: 0, direction: 1 } as const;

/** `count` standard normals (float32) from `seed`. */
export function gaussianNoise(seed: number, count: number): Float32Array {
  const rng = new Xoshiro128(seed, RNG_STREAM.noise);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(rng.nextUniform()));
    const theta = 2 * Math.PI * rng.nextUniform();
    out[i] = r * Math.cos(theta);
    if (i + 1 < count) out[i + 1] = r * Math.sin(theta);
  }
  return out;
}
