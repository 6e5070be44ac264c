// The video's timeline: which frame is shown when, and for how long. Pure: unit-tested in node.
//
// Time is counted in whole frame periods (1/fps s), so every timestamp lies on the frame-rate grid
// and the muxers can store the exact rate (MP4 timescale = fps). A hold is one longer sample, not
// repeated frames: fewer samples to encode, and the file says what it means.
import type { LoopMode } from '../../src/shared/video-api';

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
}

/**
 * The source frame of each sample. Forward: 0..n-1. Ping-pong: 0..n-1, n-2..1, so that looping back
 * to 0 continues the motion and neither end frame is shown twice in a row.
 */
export function frameOrder(count: number, loop: LoopMode): number[] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`frame count must be a positive integer, got ${count}`);
  const forward = Array.from({ length: count }, (_, i) => i);
  if (loop === 'forward') return forward;
  const back = [];
  for (let i = count - 2; i >= 1; i--) back.push(i);
  return [...forward, ...back];
}

/** A hold in whole frame periods: `ms` rounded to the nearest period, never less than one. */
export function holdPeriods(ms: number, fps: number): number {
  return Math.max(1, Math.round((ms * fps) / 1000));
}

/** Frame order, timestamps and durations of the video for `count` frames. */
export function planVideo(count: number, options: PlanOptions): VideoPlan {
  const { fps, loop } = options;
  const order = frameOrder(count, loop);
  const last = count - 1;
  const first = holdPeriods(options.holdFirstMs, fps);
  const lastHold = holdPeriods(options.holdLastMs, fps);
  let start = 0;
  const samples = order.map((frame, i): PlannedSample => {
    // The first sample is frame 0; with one frame it is also the last, and the longer hold wins.
    let periods = 1;
    if (i === 0) periods = Math.max(periods, first);
    if (frame === last) periods = Math.max(periods, lastHold);
    const sample = { frame, start, periods, timestamp: start / fps, duration: periods / fps };
    start += periods;
    return sample;
  });
  return { samples, fps, totalPeriods: start, durationSeconds: start / fps };
}
