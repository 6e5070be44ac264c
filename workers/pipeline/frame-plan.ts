/**
 * Which frames to render and in what order. Scales are kept as reduced fractions of the walk, so
 * that the frames of a 7-frame job are exactly frames of the 13- and 25-frame jobs with the same
 * strength (nested scales): a re-run that only adds frames renders only the new ones.
 */
export interface PlannedFrame {
  index: number;
  /** Position along the walk as a reduced fraction num/den of the way from the 1st to the 2nd state. */
  num: number;
  den: number;
  scale: number;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** The place num/den of the way along, reduced, and its scale −s + 2s·num/den (equal places give equal floats). */
export function placeAlong(strength: number, num: number, den: number): Omit<PlannedFrame, 'index'> {
  const g = gcd(num, den) || 1;
  const [n, d] = [num / g, den / g];
  return { num: n, den: d, scale: -strength + (2 * strength * n) / d };
}

/** scale_i = −s + 2 s i/(n−1), computed from the reduced fraction so nested jobs get identical floats. */
export function planFrames(strength: number, frames: number): PlannedFrame[] {
  return Array.from({ length: frames }, (_, index) => ({ index, ...placeAlong(strength, index, frames - 1) }));
}

/**
 * Coarse-to-fine order: the two ends and the middle first, then the midpoints of the gaps, level by
 * level, so the viewer shows the whole transition early and fills in.
 */
export function progressiveOrder(frames: number): number[] {
  if (frames <= 0) return [];
  const order: number[] = [0];
  if (frames === 1) return order;
  order.push(frames - 1);
  const seen = new Set(order);
  let gaps: [number, number][] = [[0, frames - 1]];
  while (gaps.length) {
    const next: [number, number][] = [];
    for (const [a, b] of gaps) {
      if (b - a < 2) continue;
      const mid = Math.floor((a + b) / 2);
      if (!seen.has(mid)) {
        seen.add(mid);
        order.push(mid);
      }
      next.push([a, mid], [mid, b]);
    }
    gaps = next;
  }
  return order;
}
