// Frames → MP4 or WebM, in the worker: WebCodecs encodes, Mediabunny muxes.
//
// Mediabunny is the maintained successor of mp4-muxer (and webm-muxer), by the same author
// (Vanilagy); it wraps WebCodecs' VideoEncoder with codec negotiation, backpressure and cancel.
import {
  BufferTarget,
  canEncodeVideo,
  Mp4OutputFormat,
  Output,
  Quality,
  VideoSample,
  VideoSampleSource,
  WebMOutputFormat,
} from 'mediabunny';
import { AppError, isAbort } from '../../src/shared/errors';
import type { EventSink } from '../../src/shared/events';
import type { CodecAttempt, VideoCodecName, VideoOptions, VideoResult } from '../../src/shared/video-api';
import {
  checkFrames,
  CODEC_ORDER,
  gridOf,
  resolveVideoOptions,
  type FrameSource,
  type ResolvedVideoOptions,
} from '../../src/shared/video-options';
import { planVideo, type VideoPlan } from './plan';
import { cropRgba, encodedSize } from './frames';

/** Set by whoever cancels; read between frames (an encode in flight cannot be interrupted). */
export interface CancelToken {
  readonly cancelled: boolean;
}

function checkCancel(cancel: CancelToken): void {
  if (cancel.cancelled) throw new AppError('AbortError', 'The video encoding was cancelled.');
}

/** Whether a thrown value means the browser ran out of memory (then another codec would not help). */
function isOutOfMemory(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'QuotaExceededError') return true;
  return /out of memory|allocation failed|cannot allocate|insufficient memory/i.test(error.message);
}

/** An encoder's failure as an AppError a person can act on; the codec is named in the message. */
export function encoderError(codec: VideoCodecName, error: unknown): AppError {
  if (error instanceof AppError) return error;
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  if (isOutOfMemory(error))
    return new AppError('OutOfMemory', `The ${codec} encoder ran out of memory (${detail}). Try a smaller size or fewer frames.`);
  return new AppError('EncoderUnsupported', `The ${codec} encoder failed: ${detail}`);
}

interface Encoded {
  data: ArrayBuffer;
  mimeType: string;
}

async function encodeWith(
  codec: VideoCodecName,
  size: { width: number; height: number },
  source: FrameSource,
  plan: VideoPlan,
  options: ResolvedVideoOptions,
  progress: (done: number) => void,
  cancel: CancelToken,
): Promise<Encoded> {
  const output = new Output({
    format: options.container === 'mp4' ? new Mp4OutputFormat({ fastStart: 'in-memory' }) : new WebMOutputFormat(),
    target: new BufferTarget(),
  });
  // No hardwareAcceleration hint: Chromium treats `prefer-hardware` as a requirement, and machines
  // without a hardware encoder would then report every codec unsupported.
  const track = new VideoSampleSource({ codec, quality: new Quality(options.quality) });
  // frameRate makes the muxer store the exact rate (MP4 timescale = fps); all our times are on its grid.
  output.addVideoTrack(track, { frameRate: plan.fps, maximumPacketCount: plan.samples.length });
  // Each source frame is cropped at most once, even when ping-pong shows it twice.
  const pixels = new Map<number, Uint8ClampedArray<ArrayBuffer>>();
  const pixelsOf = (index: number) => {
    let rgba = pixels.get(index);
    if (!rgba) {
      rgba = cropRgba(source.frames[index]!.rgba, source.width, source.height, size.width, size.height);
      pixels.set(index, rgba);
    }
    return rgba;
  };
  try {
    await output.start();
    for (const [i, planned] of plan.samples.entries()) {
      checkCancel(cancel);
      const sample = new VideoSample(pixelsOf(planned.frame), {
        format: 'RGBA',
        codedWidth: size.width,
        codedHeight: size.height,
        timestamp: planned.timestamp,
        duration: planned.duration,
      });
      try {
        // Awaited: resolves when the encoder and muxer can take more (backpressure), so frames never pile up.
        await track.add(sample);
      } finally {
        sample.close();
      }
      progress(i + 1);
    }
    checkCancel(cancel);
    await output.finalize();
    const data = output.target.buffer;
    if (!data) throw new AppError('Internal', 'The muxer finished without writing a file.');
    return { data, mimeType: await output.getMimeType() };
  } catch (error) {
    // Releases the encoder; safe to call more than once, and after a failed finalize.
    await output.cancel().catch(() => {});
    throw error;
  }
}

/**
 * Encodes `source`'s frames as a looping video (a grid's along `options.path`). The codec is negotiated in the container's order
 * (MP4: H.264, VP9, AV1; WebM: VP9, AV1, VP8) unless `options.codec` forces one; a codec that fails
 * while encoding hands over to the next, with a `warning` event. Progress is per sample handed to the
 * encoder and never goes backwards, even across such a restart. Cancel is honoured between frames.
 */
export async function encodeVideo(
  source: FrameSource | null,
  options: VideoOptions | undefined,
  onEvent: EventSink = () => {},
  cancel: CancelToken = { cancelled: false },
): Promise<VideoResult> {
  const started = performance.now();
  const resolved = resolveVideoOptions(options);
  const frames = checkFrames(source);
  const grid = gridOf(frames);
  // A grid is walked along the asked path; a single row plays in column order.
  const plan = planVideo(frames.frames.length, resolved, grid);
  const total = plan.samples.length;
  let reported = 0;
  onEvent({ type: 'progress', stage: 'video', done: 0, total });
  const progress = (done: number) => {
    if (done <= reported) return;
    reported = done;
    onEvent({ type: 'progress', stage: 'video', done, total });
  };

  const candidates = resolved.codec ? [resolved.codec] : CODEC_ORDER[resolved.container];
  const skipped: CodecAttempt[] = [];
  for (const [i, codec] of candidates.entries()) {
    checkCancel(cancel);
    const size = encodedSize(codec, frames.width, frames.height);
    let supported = false;
    try {
      supported = await canEncodeVideo(codec, { ...size, quality: new Quality(resolved.quality), frameRate: resolved.fps });
    } catch {
      // A size the library rejects outright (e.g. 1 px wide for H.264) counts as unsupported.
    }
    if (!supported) {
      skipped.push({ codec, reason: `this browser cannot encode ${codec} at ${size.width}x${size.height}` });
      continue;
    }
    try {
      const { data, mimeType } = await encodeWith(codec, size, frames, plan, resolved, progress, cancel);
      return {
        data,
        mimeType,
        container: resolved.container,
        codec,
        width: size.width,
        height: size.height,
        cropped: size.width !== frames.width || size.height !== frames.height,
        frameCount: total,
        durationSeconds: plan.durationSeconds,
        fps: resolved.fps,
        skipped,
        encodeMs: performance.now() - started,
        ...(grid.rows > 1 ? { grid: { ...grid, path: resolved.path } } : {}),
      };
    } catch (error) {
      if (isAbort(error)) throw error;
      const failure = encoderError(codec, error);
      if (failure.name !== 'EncoderUnsupported') throw failure;
      skipped.push({ codec, reason: failure.message });
      const next = candidates[i + 1];
      if (next) onEvent({ type: 'warning', code: 'video-codec-fallback', detail: `${failure.message}; trying ${next}` });
    }
  }
  // Each reason names its codec already.
  const tried = skipped.map((s) => s.reason).join('; ');
  throw new AppError('EncoderUnsupported', `No video codec could make this ${resolved.container.toUpperCase()} video (${tried}).`);
}
