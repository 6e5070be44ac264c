// The video's timeline: which frame is shown when, and for how long. Pure: unit-tested in node.
//
// Time is counted in whole frame periods (1/fps s), so every timestamp lies on the frame-rate grid
// and the muxers can store the exact rate (MP4 timescale = fps). A hold is one longer sample, not
// repeated frames: fewer samples to encode, and the file says what it means.
import type { LoopMode, VideoPath } from '../../src/shared/video-api';

/** One encoded sample: source frame `frame` from period `start` for `periods` periods. */
export interface PlannedSample {
  frame: number;
  start: number;
  periods: number;
  /** Seconds (`start / fps`), as Mediabunny's VideoSample wants them. */
  timestamp: number;
  duration: number;
}

export interface VideoPlan {
  samples: PlannedSample[];
  fps: number;
  totalPeriods: number;
  durationSeconds: number;
}

export interface PlanOptions {
  fps: number;
  loop: LoopMode;
  holdFirstMs: number;
  holdLastMs: number;
  /** The path through a grid (default `rows`); a single row ignores it. */
  path?: VideoPath;
}

/** A grid of frames: frame (column, row) is `row * columns + column`. */
export interface Grid {
  columns: number;
  rows: number;
}

function checkCount(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${what} must be a positive integer, got ${n}`);
}

/**
 * The frames a walk shows, in order, once. One row (or one column): in index order. `rows`: row by row
 * from the top, left to right, then right to left, and so on (boustrophedon), so that each frame is a
 * grid neighbour of the one before. `loop`: once around the border, clockwise from the top-left frame
 * (the top row, the right column down, the bottom row back, the left column up), ending beside where it
 * started; the inner frames are not shown.
 */
export function gridPath(grid: Grid, path: VideoPath): number[] {
  const { columns, rows } = grid;
  checkCount('columns', columns);
  checkCount('rows', rows);
  const at = (column: number, row: number) => row * columns + column;
  if (rows === 1 || columns === 1) return Array.from({ length: rows * columns }, (_, i) => i);
  const order: number[] = [];
  if (path === 'rows') {
    for (let row = 0; row < rows; row++) for (let i = 0; i < columns; i++) order.push(at(row % 2 === 0 ? i : columns - 1 - i, row));
    return order;
  }
  for (let column = 0; column < columns; column++) order.push(at(column, 0));
  for (let row = 1; row < rows; row++) order.push(at(columns - 1, row));
  for (let column = columns - 2; column >= 0; column--) order.push(at(column, rows - 1));
  for (let row = rows - 2; row >= 1; row--) order.push(at(0, row));
  return order;
}

/**
 * A walk's frames as the loop plays them. Forward: the walk. Ping-pong: there and back, without the two
 * ends twice (a, b, c, d, c, b), so that looping back to the start continues the motion.
 */
export function loopOrder(walk: readonly number[], loop: LoopMode): number[] {
  if (walk.length === 0) throw new RangeError('a walk needs at least one frame');
  if (loop === 'forward') return [...walk];
  return [...walk, ...walk.slice(1, -1).reverse()];
}

/** A hold in whole frame periods: `ms` rounded to the nearest period, never less than one. */
export function holdPeriods(ms: number, fps: number): number {
  return Math.max(1, Math.round((ms * fps) / 1000));
}

/**
 * Frame order, timestamps and durations of the video for `count` frames in one row, or for a grid of them
 * walked along `options.path`. The first hold is on the walk's first frame, the last hold on its last one.
 */
export function planVideo(count: number, options: PlanOptions, grid?: Grid): VideoPlan {
  const { fps, loop } = options;
  checkCount('frame count', count);
  if (grid && grid.columns * grid.rows !== count)
    throw new RangeError(`a grid of ${grid.columns} x ${grid.rows} does not hold ${count} frames`);
  const walk = gridPath(grid ?? { columns: count, rows: 1 }, options.path ?? 'rows');
  const order = loopOrder(walk, loop);
  const last = walk.at(-1)!;
  const first = holdPeriods(options.holdFirstMs, fps);
  const lastHold = holdPeriods(options.holdLastMs, fps);
  let start = 0;
  const samples = order.map((frame, i): PlannedSample => {
    // The first sample is the walk's first frame; with one frame it is also the last, and the longer hold wins.
    let periods = 1;
    if (i === 0) periods = Math.max(periods, first);
    if (frame === last) periods = Math.max(periods, lastHold);
    const sample = { frame, start, periods, timestamp: start / fps, duration: periods / fps };
    start += periods;
    return sample;
  });
  return { samples, fps, totalPeriods: start, durationSeconds: start / fps };
}
