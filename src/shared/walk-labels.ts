// Where the timeline's state names go under a row of frames (the UI's strip and slider, the PNG strip's
// captions). Pure: unit-tested in node.

/** One state's label: the stretch `[start, end)` it may use, and how it sits in it. */
export interface LabelSpan {
  /** Index into the timeline's states. */
  state: number;
  start: number;
  end: number;
  /** The 1st state starts at the left edge, the last ends at the right, the keyframes centre on their point. */
  align: 'start' | 'center' | 'end';
}

/**
 * Room for each state's name, given where the states sit (`points`, ascending, in any unit from `lo` to
 * `hi`): the 1st from `lo` to halfway to the 2nd, the last from halfway after the one before to `hi`,
 * and each keyframe centred on its point, as wide as its nearer neighbour allows. No two spans overlap,
 * so no two names are drawn over each other; a name longer than its span is shortened.
 */
export function labelSpans(points: readonly number[], lo: number, hi: number): LabelSpan[] {
  const n = points.length;
  return points.map((p, k): LabelSpan => {
    if (n === 1) return { state: 0, start: lo, end: hi, align: 'center' };
    if (k === 0) return { state: k, start: lo, end: (p + points[1]!) / 2, align: 'start' };
    if (k === n - 1) return { state: k, start: (points[k - 1]! + p) / 2, end: hi, align: 'end' };
    const half = Math.min(p - points[k - 1]!, points[k + 1]! - p) / 2;
    return { state: k, start: p - half, end: p + half, align: 'center' };
  });
}

/**
 * The spans of states on tiles: a row of `columns` tiles, state k on the tile `stateColumns[k]`, measured in
 * half tiles (tile c covers `[2c, 2c + 2)`), so every span starts and ends on a whole number.
 */
export function tileLabelSpans(stateColumns: readonly number[], columns: number): LabelSpan[] {
  return labelSpans(
    stateColumns.map((c) => 2 * c + 1),
    0,
    2 * columns,
  );
}
