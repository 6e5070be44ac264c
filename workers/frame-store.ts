import type { WalkLayout } from '../src/shared/events';

/**
 * The frames of the last finished job, kept in the worker so that the video and strip encoders
 * read them where they are (only previews and the finished files cross to the UI).
 */
export interface StoredFrame {
  index: number;
  scale: number;
  rgba: Uint8ClampedArray<ArrayBuffer>;
}

export interface FrameSet {
  width: number;
  height: number;
  /** The two states, for captions. */
  state1: string;
  state2: string;
  frames: StoredFrame[];
  /** The grid and the timeline's states (left out: one row, states on the first and last frame). */
  layout?: WalkLayout & { states: string[] };
}

let last: FrameSet | null = null;

export function rememberFrames(set: FrameSet): void {
  last = set;
}

/** The last job's frames, in frame order, or null when no job has finished yet. */
export function lastFrames(): FrameSet | null {
  return last;
}
