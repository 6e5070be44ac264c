/** The video and strip part of the worker contract (workers/video). */
import type { JobId } from './api';
import type { EventSink } from './events';

/** The file format of the video. */
export type VideoContainer = 'mp4' | 'webm';

/** The video codecs the encoder may use (Mediabunny's names: `avc` is H.264). */
export type VideoCodecName = 'avc' | 'vp9' | 'av1' | 'vp8';

/**
 * `forward` plays frames 0..n-1 and jumps back to 0; `pingpong` plays there and back with no
 * duplicated end frames (0..n-1, n-2..1), so the loop has no jump.
 */
export type LoopMode = 'forward' | 'pingpong';

/**
 * How the video walks a grid of frames (a second axis): `rows` row by row, each row the other way from the
 * one before (a snake), so that frames next to each other in the video are neighbours in the grid; `loop`
 * once around the grid's border, clockwise from the top-left frame. A single row plays in column order.
 */
export type VideoPath = 'rows' | 'loop';

/** Mediabunny's quality levels; the bitrate they give scales with the frame size and rate. */
export type VideoQuality = 'low' | 'medium' | 'high' | 'very-high';

/** Where the strip's captions (the two state names) go; `none` draws tiles only. */
export type CaptionPlacement = 'none' | 'below' | 'above';

/** What a person can set for the video. Every field is optional; defaults follow the original Space. */
export interface VideoOptions {
  /** `mp4` (default) or `webm`. */
  container?: VideoContainer;
  /**
   * Force one codec (tests, benchmarks). Left out, the encoder negotiates: MP4 tries H.264, then VP9,
   * then AV1; WebM tries VP9, then AV1, then VP8.
   */
  codec?: VideoCodecName;
  /** Frames per second: 1..30, default 5 like the original Space. */
  fps?: number;
  /** Default `forward`. */
  loop?: LoopMode;
  /**
   * How long the first frame stays on screen, in ms: 0..10000, default 0 (one frame period). Rounded
   * to whole frame periods, never less than one.
   */
  holdFirstMs?: number;
  /** The same for the last frame (in `pingpong`, the turning point in the middle of the loop). */
  holdLastMs?: number;
  /** Default `high`. */
  quality?: VideoQuality;
  /** The path through a grid of frames; default `rows`. A single row ignores it. */
  path?: VideoPath;
}

/** One codec that was tried and not used, and why. */
export interface CodecAttempt {
  codec: VideoCodecName;
  reason: string;
}

/** A finished video. `data` is transferred to the caller, not copied. */
export interface VideoResult {
  data: ArrayBuffer;
  /** Full MIME type with the codec string, e.g. `video/mp4; codecs="avc1.42001f"`. */
  mimeType: string;
  container: VideoContainer;
  /** The codec the negotiation chose. */
  codec: VideoCodecName;
  /** Encoded size; differs from the frames' size only when a codec needs even sizes (see `cropped`). */
  width: number;
  height: number;
  /** True when the last column and/or row was cropped because the codec needs even sizes (H.264). */
  cropped: boolean;
  /** Samples in the file: the loop's frames, each hold being one longer sample. */
  frameCount: number;
  durationSeconds: number;
  fps: number;
  /** Codecs tried before the chosen one, with the reason each was passed over. */
  skipped: CodecAttempt[];
  /** Milliseconds the encode took, for the UI's "took" line and the benchmark. */
  encodeMs: number;
  /** A grid's size and the path the video took through it (left out for a single row). */
  grid?: { columns: number; rows: number; path: VideoPath };
}

/** What a person can set for the strip. */
export interface StripOptions {
  /** Tile height in pixels: 16..1024, default 256 like the original Space; the width keeps the aspect. */
  tileHeight?: number;
  /**
   * Default `none`. With captions, each state of the timeline is written under (or over) the column it sits
   * on: the 1st at the first tile, the last at the last tile, keyframes at theirs.
   */
  captions?: CaptionPlacement;
}

/** A finished strip: one PNG of all frames side by side (a grid: `columns` x `rows` tiles). `data` is transferred. */
export interface StripResult {
  data: ArrayBuffer;
  mimeType: 'image/png';
  width: number;
  height: number;
  tileWidth: number;
  tileHeight: number;
  frameCount: number;
  columns: number;
  rows: number;
}

/** Option limits and defaults, shared so that the UI's controls match what the worker accepts. */
export const VIDEO_LIMITS = {
  fps: { min: 1, max: 30, default: 5 },
  holdMs: { min: 0, max: 10_000, default: 0 },
  tileHeight: { min: 16, max: 1024, default: 256 },
  /** Chromium's canvas side limit; the strip's width must stay under it. */
  maxCanvasSide: 32_767,
} as const;

/** The video and strip part of the worker contract. Both work on the last finished job's frames. */
export interface VideoApi {
  /**
   * Encodes the last job's frames to a video in the worker. Sends `{ type: 'stage', stage: 'video' }`,
   * then `{ type: 'progress', stage: 'video', done, total }` per encoded sample, and a `warning`
   * (`video-codec-fallback`) when a codec fails and the next one is tried. Rejects with
   * `InvalidRequest` (bad options, no frames yet), `EncoderUnsupported` (no codec works here),
   * `OutOfMemory`, or `AbortError` after `cancelVideo(job)`.
   */
  encodeVideo(job: JobId, options: VideoOptions, onEvent: EventSink): Promise<VideoResult>;
  /** Draws the last job's frames as one PNG strip. Rejects with `InvalidRequest` for bad options or no frames. */
  renderStrip(options: StripOptions): Promise<StripResult>;
  /**
   * Stops a running `encodeVideo` job before its next frame; the job then rejects with `AbortError`.
   * Separate from the engine's `cancel` so that each part owns its own job registry.
   */
  cancelVideo(job: JobId): Promise<void>;
}
