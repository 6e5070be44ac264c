/**
 * Where each frame of a walk sits, and what its pooled vector is (pure; unit-tested in node).
 *
 * A timeline of states s_0..s_K gives one direction per segment, d_k = mean over template rounds of
 * pooled(s_{k+1}) − pooled(s_k) (the two-state method per neighbouring pair). The walk is the piecewise path
 * through the states' places (segmentMiddles says where), so a two-state walk runs from pooled − s·d to
 * pooled + s·d exactly as the original does. A frame on segment k at scale a ∈ [−s, s] is pooled + C_k + a·d_k,
 * C_k being the segment's middle (not added for one segment, which is therefore today's `shiftPooled` bit for
 * bit). A second axis adds b·d2 on top (original: `*_2nd`).
 */
import type { RenderRequest } from '../../src/shared/request';
import type { FramePlace } from '../../src/shared/events';
import { planFrames, placeAlong, type PlannedFrame } from './frame-plan';

/** One column of the walk: its segment, its place along it (a reduced fraction) and the segment's slider scale there. */
export interface WalkColumn extends Omit<PlannedFrame, 'index'> {
  segment: number;
  /** The timeline state this column sits on, if any. */
  state?: number;
}

/** A frame to render: its grid cell and the two scales that make its pooled vector. */
export interface WalkFrame {
  index: number;
  column: WalkColumn;
  row: number;
  /** The second axis's scale (0 without one). */
  scale2: number;
}

/** A column at num/den along `segment`. */
function columnAt(strength: number, segment: number, num: number, den: number): WalkColumn {
  return { segment, ...placeAlong(strength, num, den) };
}

/**
 * Splits `steps` steps between segments in proportion to their lengths, at least one each (largest
 * remainder; ties go to the earlier segment).
 */
export function allocateSteps(lengths: readonly number[], steps: number): number[] {
  const k = lengths.length;
  if (steps < k) throw new RangeError(`${steps} steps cannot give each of ${k} segments one`);
  const total = lengths.reduce((a, b) => a + b, 0);
  // Degenerate lengths (all zero, or not finite) split evenly.
  const share = total > 0 && Number.isFinite(total) ? lengths.map((l) => l / total) : lengths.map(() => 1 / k);
  const exact = share.map((f) => f * steps);
  const counts = exact.map((e) => Math.max(1, Math.floor(e)));
  const remainder = (i: number) => exact[i]! - counts[i]!;
  let left = steps - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((_, i) => i);
  // Too few given: the largest remainders get one more. Too many (the minimum of one): the most over their share give one back.
  order.sort((a, b) => remainder(b) - remainder(a) || a - b);
  for (let n = 0; left > 0; n++, left--) counts[order[n % k]!]!++;
  for (let n = k - 1; left < 0; n = (n + k - 1) % k) {
    const i = order[n]!;
    if (counts[i]! > 1) {
      counts[i]!--;
      left++;
    }
  }
  return counts;
}

/**
 * The uniform walk: `frames` columns, frames per segment in proportion to the segments' lengths, evenly
 * spaced within each. One segment gives planFrames' columns exactly.
 */
export function uniformColumns(strength: number, frames: number, lengths: readonly number[]): WalkColumn[] {
  if (lengths.length === 1)
    return planFrames(strength, frames).map(({ index, num, den, scale }) => ({
      segment: 0,
      num,
      den,
      scale,
      ...(index === 0 ? { state: 0 } : index === frames - 1 ? { state: 1 } : {}),
    }));
  return columnsFromSteps(
    strength,
    allocateSteps(lengths, frames - 1).map((n) => Array.from({ length: n }, (_, i) => [i + 1, n] as const)),
  );
}

/**
 * Columns from each segment's places after its start, as fractions (the last of each must be 1): the
 * first column is the 1st state; each segment's last column is the next state.
 */
export function columnsFromSteps(strength: number, places: readonly (readonly (readonly [number, number])[])[]): WalkColumn[] {
  const columns: WalkColumn[] = [{ ...columnAt(strength, 0, 0, 1), state: 0 }];
  places.forEach((segment, k) => {
    for (const [num, den] of segment) columns.push(columnAt(strength, k, num, den));
    columns.at(-1)!.state = k + 1;
  });
  return columns;
}

/** The columns the timeline's states sit on. */
export function stateColumns(columns: readonly WalkColumn[]): number[] {
  const out: number[] = [];
  columns.forEach((c, i) => {
    if (c.state !== undefined) out[c.state] = i;
  });
  return out;
}

/** The grid: every column at every second-axis scale, row-major (index = row·columns + column). */
export function gridFrames(request: RenderRequest, columns: readonly WalkColumn[]): WalkFrame[] {
  const rows = request.axis2 ? planFrames(request.axis2.strength, request.axis2.frames).map((p) => p.scale) : [0];
  return rows.flatMap((scale2, row) => columns.map((column, c) => ({ index: row * columns.length + c, column, row, scale2 })));
}

export function framePlace(frame: WalkFrame, columns: number): FramePlace {
  const { column, row, scale2 } = frame;
  return {
    column: frame.index - row * columns,
    row,
    segment: column.segment,
    along: column.num / column.den,
    ...(column.state !== undefined ? { state: column.state } : {}),
    scale2,
  };
}

/**
 * The middles C_k of the segments (float32). With S_k = Σ_{m<k} d_m (state k's place relative to state 0) and
 * the two states farthest apart, i and j, the timeline is centred on the prompt as a two-state walk is:
 * P_k = pooled + 2s·(S_k − (S_i + S_j)/2), so states i and j sit at ±s along their difference. A segment's
 * middle is then C_k = 2s·(S_k + d_k/2 − (S_i + S_j)/2). A loop (summer, winter, summer) puts both summers at
 * −s and winter at +s; a monotone timeline (day, dusk, night) puts its ends where a day → night walk does.
 */
export function segmentMiddles(directions: readonly Float32Array[], strength: number): Float32Array[] {
  const dim = directions[0]!.length;
  const places: Float64Array[] = [new Float64Array(dim)];
  for (const d of directions) places.push(Float64Array.from(places.at(-1)!, (v, i) => v + d[i]!));
  let [far, farI, farJ] = [-1, 0, 1];
  for (let i = 0; i < places.length; i++)
    for (let j = i + 1; j < places.length; j++) {
      let sq = 0;
      for (let n = 0; n < dim; n++) sq += (places[j]![n]! - places[i]![n]!) ** 2;
      if (sq > far) [far, farI, farJ] = [sq, i, j];
    }
  const [pi, pj] = [places[farI]!, places[farJ]!];
  return directions.map((d, k) => Float32Array.from(places[k]!, (v, n) => 2 * strength * (v + d[n]! / 2 - (pi[n]! + pj[n]!) / 2)));
}

/** What every frame's pooled vector is made from. */
export interface WalkConditioning {
  /** One direction per segment. */
  directions: Float32Array[];
  /** Each segment's base, pooled + C_k (float32); for one segment the prompt's pooled vector itself. */
  bases: Float32Array[];
  /** The second axis's direction. */
  direction2?: Float32Array;
  /** The original's normalize_scales: both scales divided by |a| + |b|. */
  normalize: boolean;
}

/** The conditioning of a walk: each segment's base is made once here, not per frame. */
export function walkConditioning(c: {
  pooled: Float32Array;
  directions: Float32Array[];
  direction2?: Float32Array;
  strength: number;
  normalize: boolean;
}): WalkConditioning {
  const f = Math.fround;
  // One segment: the middle is not added at all, so the frames are the plain slider's bit for bit.
  const bases =
    c.directions.length === 1
      ? [c.pooled]
      : segmentMiddles(c.directions, c.strength).map((middle) => Float32Array.from(c.pooled, (v, i) => f(v + middle[i]!)));
  return { directions: c.directions, bases, ...(c.direction2 ? { direction2: c.direction2 } : {}), normalize: c.normalize };
}

/**
 * base_k + a·d_k (+ b·d2), in float32 in that order. With one segment and no second axis this is
 * `shiftPooledInto(out, pooled, d, a)` bit for bit.
 */
export function framePooled(c: WalkConditioning, frame: WalkFrame, out = new Float32Array(c.bases[0]!.length)): Float32Array {
  const f = Math.fround;
  let a = frame.column.scale;
  let b = frame.scale2;
  if (c.normalize && c.direction2) {
    // Upstream divides by zero at a = b = 0; the frame with no shift stays unshifted here.
    const sum = Math.abs(a) + Math.abs(b);
    if (sum > 0) [a, b] = [a / sum, b / sum];
  }
  const d = c.directions[frame.column.segment]!;
  const base = c.bases[frame.column.segment]!;
  const [fa, fb] = [f(a), f(b)];
  for (let i = 0; i < out.length; i++) {
    let v = f(base[i]! + f(d[i]! * fa));
    if (c.direction2) v = f(v + f(c.direction2[i]! * fb));
    out[i] = v;
  }
  return out;
}

/** Euclidean length of each direction (how far apart neighbouring states are in pooled CLIP space). */
export function directionLengths(directions: readonly Float32Array[]): number[] {
  return directions.map((d) => Math.sqrt(d.reduce((sum, v) => sum + v * v, 0)));
}
