// Checks what a person asked of the video and the strip, and fills in the defaults. Pure: unit-tested in node.
import { AppError } from './errors';
import {
  VIDEO_LIMITS,
  type CaptionPlacement,
  type LoopMode,
  type StripOptions,
  type VideoCodecName,
  type VideoContainer,
  type VideoOptions,
  type VideoPath,
  type VideoQuality,
} from './video-api';

/** VideoOptions with every default filled in; `codec` stays optional (absent = negotiate). */
export interface ResolvedVideoOptions {
  container: VideoContainer;
  codec?: VideoCodecName;
  fps: number;
  loop: LoopMode;
  holdFirstMs: number;
  holdLastMs: number;
  quality: VideoQuality;
  path: VideoPath;
}

export interface ResolvedStripOptions {
  tileHeight: number;
  captions: CaptionPlacement;
}

const CONTAINERS: readonly VideoContainer[] = ['mp4', 'webm'];
const LOOPS: readonly LoopMode[] = ['forward', 'pingpong'];
const QUALITIES: readonly VideoQuality[] = ['low', 'medium', 'high', 'very-high'];
const CAPTIONS: readonly CaptionPlacement[] = ['none', 'below', 'above'];
const PATHS: readonly VideoPath[] = ['rows', 'loop'];

/** The codecs each container can hold, in the order the negotiation tries them. */
export const CODEC_ORDER: Record<VideoContainer, readonly VideoCodecName[]> = {
  mp4: ['avc', 'vp9', 'av1'],
  webm: ['vp9', 'av1', 'vp8'],
};

function fail(field: string, message: string): never {
  throw new AppError('InvalidRequest', message, field);
}

function oneOf<T extends string>(field: string, label: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value))
    fail(field, `${label} must be one of ${allowed.map((a) => `'${a}'`).join(', ')} (got ${JSON.stringify(value)}).`);
  return value as T;
}

function number(field: string, label: string, value: unknown, min: number, max: number, fallback: number, integer = false): number {
  if (value === undefined) return fallback;
  const kind = integer ? 'a whole number' : 'a number';
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(field, `${label} must be ${kind} between ${min} and ${max}.`);
  if (integer && !Number.isInteger(value)) fail(field, `${label} must be ${kind} between ${min} and ${max} (got ${value}).`);
  if (value < min || value > max) fail(field, `${label} must be between ${min} and ${max} (got ${value}).`);
  return value;
}

function checkObject(value: unknown, what: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new AppError('InvalidRequest', `${what} must be an object.`);
  return value as Record<string, unknown>;
}

/** Validates video options (unknown input from across the worker boundary) and fills in defaults. */
export function resolveVideoOptions(input: VideoOptions | undefined): ResolvedVideoOptions {
  const o = checkObject(input, 'Video options');
  const container = oneOf('container', 'The video format', o.container, CONTAINERS, 'mp4');
  const allowed = CODEC_ORDER[container];
  let codec: VideoCodecName | undefined;
  if (o.codec !== undefined) {
    if (typeof o.codec !== 'string' || !(allowed as readonly string[]).includes(o.codec))
      fail(
        'codec',
        `A ${container.toUpperCase()} video can use ${allowed.map((a) => `'${a}'`).join(', ')}; ${JSON.stringify(o.codec)} is not one of them.`,
      );
    codec = o.codec as VideoCodecName;
  }
  const { fps, holdMs } = VIDEO_LIMITS;
  return {
    container,
    ...(codec ? { codec } : {}),
    fps: number('fps', 'Frames per second', o.fps, fps.min, fps.max, fps.default),
    loop: oneOf('loop', 'The loop mode', o.loop, LOOPS, 'forward'),
    holdFirstMs: number('holdFirstMs', 'The hold on the first frame (ms)', o.holdFirstMs, holdMs.min, holdMs.max, holdMs.default),
    holdLastMs: number('holdLastMs', 'The hold on the last frame (ms)', o.holdLastMs, holdMs.min, holdMs.max, holdMs.default),
    quality: oneOf('quality', 'The video quality', o.quality, QUALITIES, 'high'),
    path: oneOf('path', 'The path through the grid', o.path, PATHS, 'rows'),
  };
}

/** Validates strip options and fills in defaults. */
export function resolveStripOptions(input: StripOptions | undefined): ResolvedStripOptions {
  const o = checkObject(input, 'Strip options');
  const { tileHeight } = VIDEO_LIMITS;
  return {
    tileHeight: number('tileHeight', 'The tile height (px)', o.tileHeight, tileHeight.min, tileHeight.max, tileHeight.default, true),
    captions: oneOf('captions', 'The caption placement', o.captions, CAPTIONS, 'none'),
  };
}

/** The frames the encoders read: RGBA, `width * height * 4` bytes each, all of one size. */
export interface FrameSource {
  width: number;
  height: number;
  /** In frame order: a grid's frame (column, row) at `row * columns + column`. */
  frames: readonly { rgba: Uint8ClampedArray<ArrayBuffer> }[];
  /** The grid (left out: one row of all the frames). */
  layout?: { columns: number; rows: number } | undefined;
}

/** The grid of a frame source: its layout, or one row of all its frames. */
export function gridOf(source: FrameSource): { columns: number; rows: number } {
  return source.layout ? { columns: source.layout.columns, rows: source.layout.rows } : { columns: source.frames.length, rows: 1 };
}

/** Checks that frames are there and consistent (a grid holds columns x rows of them); a job that has not finished has none. */
export function checkFrames(source: FrameSource | null | undefined): FrameSource {
  if (!source || source.frames.length === 0)
    throw new AppError('InvalidRequest', 'There are no frames to encode yet: render a job first.', 'frames');
  const { width, height } = source;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw new AppError('InvalidRequest', `The frames' size ${width}x${height} is not a positive whole number of pixels.`, 'frames');
  const bytes = width * height * 4;
  source.frames.forEach((frame, i) => {
    if (frame.rgba.length !== bytes)
      throw new AppError('InvalidRequest', `Frame ${i} has ${frame.rgba.length} bytes; ${width}x${height} RGBA needs ${bytes}.`, 'frames');
  });
  if (source.layout) {
    const { columns, rows } = source.layout;
    if (!Number.isInteger(columns) || !Number.isInteger(rows) || columns < 1 || rows < 1 || columns * rows !== source.frames.length)
      throw new AppError(
        'InvalidRequest',
        `A grid of ${columns} x ${rows} does not hold the ${source.frames.length} frames there are.`,
        'frames',
      );
  }
  return source;
}
