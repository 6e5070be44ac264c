/**
 * Even spacing (pure; unit-tested in node): from frames already rendered along a walk, where to place
 * `frames` frames so that neighbouring frames differ by the same amount. The walk is measured by the mean
 * absolute pixel change between neighbouring rendered samples (what a viewer sees, and what works for frames
 * taken from the frame cache), its length per segment is the sum of those changes, and frames go at equal
 * steps of that length: the inverse of DiffMorpher's LPIPS-uniform alpha scheduler, over slider scales.
 */
import { allocateSteps } from './walk-plan';

/** Mean absolute change per channel (RGB, 0-255) between two RGBA frames of the same size. */
export function pixelDistance(a: Uint8ClampedArray, b: Uint8ClampedArray): number {
  let sum = 0;
  for (let p = 0; p < a.length; p += 4) sum += Math.abs(a[p]! - b[p]!) + Math.abs(a[p + 1]! - b[p + 1]!) + Math.abs(a[p + 2]! - b[p + 2]!);
  return sum / ((a.length / 4) * 3);
}

/** Root mean square difference of two latents (or any two vectors of the same length). */
export function latentDistance(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(sum / a.length);
}

/** Coefficient of variation (population sd / mean); 0 for no spread, 0 for nothing to measure. */
export function coefficientOfVariation(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (mean === 0) return 0;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length) / mean;
}

/** A rendered sample of one segment: its place (0..1, as num/den on the segment's grid) and its distance to the previous sample. */
export interface SegmentSample {
  /** Place on the segment's grid, 0..grid. */
  at: number;
  /** Distance from the previous sample of the segment (0 for the first). */
  step: number;
}

/**
 * Places `frames` frames on a walk of segments, each measured by its samples (sorted, from place 0 to
 * place grid, which are the states). Returns, per segment, the grid places of its frames after its start;
 * the last is always `grid` (the next state). Places are whole grid steps, strictly increasing.
 */
export function placeEvenly(segments: readonly SegmentSample[][], grids: readonly number[], frames: number): number[][] {
  const lengths = segments.map((samples) => samples.reduce((sum, s) => sum + s.step, 0));
  const steps = allocateSteps(lengths, frames - 1);
  return segments.map((samples, k) => {
    const grid = grids[k]!;
    const n = steps[k]!;
    const length = lengths[k]!;
    const places: number[] = [];
    // Cumulative length at each sample; the target of frame i is i/n of the segment's length.
    const cumulative: number[] = [];
    samples.reduce((sum, s, i) => (cumulative[i] = sum + s.step), 0);
    for (let i = 1; i < n; i++) {
      const target = (length * i) / n;
      let at: number;
      if (length <= 0) at = (grid * i) / n;
      else {
        let j = cumulative.findIndex((c) => c >= target);
        if (j <= 0) j = 1;
        const [c0, c1] = [cumulative[j - 1]!, cumulative[j]!];
        const [a0, a1] = [samples[j - 1]!.at, samples[j]!.at];
        at = c1 > c0 ? a0 + ((target - c0) / (c1 - c0)) * (a1 - a0) : a1;
      }
      places.push(Math.round(at));
    }
    places.push(grid);
    // Whole, strictly increasing places inside (0, grid]: pushed apart where rounding made two meet.
    for (let i = 0; i < places.length - 1; i++) places[i] = Math.max(places[i]!, (i === 0 ? 0 : places[i - 1]!) + 1);
    for (let i = places.length - 2; i >= 0; i--) places[i] = Math.min(places[i]!, places[i + 1]! - 1);
    return places;
  });
}
