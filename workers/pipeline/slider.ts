/**
 * The CLIP-slider method of the original Space (semantic-sliders' CLIPSliderFlux): a direction in
 * CLIP's pooled space between two states, and the per-frame scales along it.
 */
import { Xoshiro128, RNG_STREAM } from './rng';

export const MEDIUMS = [
  'painting', 'drawing', 'photograph', 'HD photo', 'illustration', 'portrait', 'sketch', '3d render',
  'digital painting', 'concept art', 'screenshot', 'canvas painting', 'watercolor art', 'print', 'mosaic',
  'sculpture', 'cartoon', 'comic art', 'anime',
] as const;

export const SUBJECTS = [
  'dog', 'cat', 'horse', 'cow', 'pig', 'sheep', 'lion', 'elephant', 'monkey', 'bird', 'chicken', 'eagle',
  'parrot', 'penguin', 'fish', 'shark', 'dolphin', 'whale', 'octopus', 'bee', 'butterfly', 'ant', 'ladybug',
  'person', 'man', 'woman', 'child', 'baby', 'boy', 'girl', 'car', 'boat', 'airplane', 'bicycle', 'motorcycle',
  'train', 'building', 'house', 'bridge', 'castle', 'temple', 'monument', 'tree', 'flower', 'mountain', 'lake',
  'river', 'ocean', 'beach', 'fruit', 'vegetable', 'meat', 'bread', 'cake', 'soup', 'coffee', 'toy', 'book',
  'phone', 'computer', 'TV', 'camera', 'musical instrument', 'furniture', 'road', 'park', 'garden', 'forest',
  'city', 'sunset', 'clouds',
] as const;

/** A (medium index, subject index) pair: one template round. */
export type TemplatePair = readonly [number, number];

/** The seeded draw of `iterations` template pairs (uniform, with replacement, medium then subject). */
export function drawTemplatePairs(seed: number, iterations: number): TemplatePair[] {
  const rng = new Xoshiro128(seed, RNG_STREAM.direction);
  const pairs: TemplatePair[] = [];
  for (let i = 0; i < iterations; i++) pairs.push([rng.nextInt(MEDIUMS.length), rng.nextInt(SUBJECTS.length)]);
  return pairs;
}

/**
 * The prompt pairs to encode: "a {M} of a {target} {S}" vs "a {M} of a {opposite} {S}". With no
 * pairs (0 iterations, where the Space crashes) the direction is the bare words' difference.
 */
export function directionPrompts(target: string, opposite: string, pairs: readonly TemplatePair[]): { positive: string[]; negative: string[] } {
  if (pairs.length === 0) return { positive: [target], negative: [opposite] };
  const positive: string[] = [];
  const negative: string[] = [];
  for (const [m, s] of pairs) {
    const medium = MEDIUMS[m];
    const subject = SUBJECTS[s];
    if (medium === undefined || subject === undefined) throw new RangeError(`template pair (${m}, ${s}) is out of range`);
    positive.push(`a ${medium} of a ${target} ${subject}`);
    negative.push(`a ${medium} of a ${opposite} ${subject}`);
  }
  return { positive, negative };
}

/**
 * Accumulates mean(pooled(pos) − pooled(neg)) over batches, in float64, so the direction does not
 * depend on how the prompts were split into batches.
 */
export class DirectionMean {
  #sum: Float64Array;
  #count = 0;
  constructor(readonly dim: number) {
    this.#sum = new Float64Array(dim);
  }
  /** `pos` and `neg` are [n, dim] row-major pooled vectors of the same n template rounds. */
  add(pos: Float32Array, neg: Float32Array): void {
    const n = pos.length / this.dim;
    for (let r = 0; r < n; r++)
      for (let d = 0; d < this.dim; d++) this.#sum[d]! += pos[r * this.dim + d]! - neg[r * this.dim + d]!;
    this.#count += n;
  }
  result(): Float32Array {
    if (this.#count === 0) throw new Error('no template rounds were encoded');
    return Float32Array.from(this.#sum, (v) => v / this.#count);
  }
}

/** pooled + scale·direction (float32), the only per-frame difference in the conditioning. */
export function shiftPooled(pooled: Float32Array, direction: Float32Array, scale: number): Float32Array {
  return shiftPooledInto(new Float32Array(pooled.length), pooled, direction, scale);
}

/** shiftPooled into a caller's array (reused for every frame of a job); returns `out`. */
export function shiftPooledInto(out: Float32Array, pooled: Float32Array, direction: Float32Array, scale: number): Float32Array {
  const f = Math.fround;
  const s = f(scale);
  for (let i = 0; i < pooled.length; i++) out[i] = f(pooled[i]! + f(direction[i]! * s));
  return out;
}
