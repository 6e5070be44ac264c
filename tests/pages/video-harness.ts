// Video harness: runs workers/video in the page (and, for the comlink path, in a worker) on
// synthetic frames, then decodes the results back with Mediabunny to check them.
import { ALL_FORMATS, BufferSource, canEncodeVideo, Input, Quality, VideoSampleSink } from 'mediabunny';
import { proxy, wrap } from 'comlink';
import { encodeVideo } from '../../workers/video/encoder';
import { renderStrip, CAPTION_COLORS } from '../../workers/video/strip';
import { CODEC_ORDER } from '../../src/shared/video-options';
import { encodedSize } from '../../workers/video/frames';
import { planVideo } from '../../workers/video/plan';
import { resolveVideoOptions } from '../../src/shared/video-options';
import type { GeneratorEvent } from '../../src/shared/events';
import type { StripOptions, VideoCodecName, VideoContainer, VideoOptions, VideoResult } from '../../src/shared/video-api';
import type { FrameSet, StoredFrame } from '../../workers/frame-store';
import type { VideoWorkerApi } from './video-worker';

/** Frame k of n: a red/green gradient, blue that steps with k, and a white 8-aligned block that moves with k. */
export function gradientFrames(width: number, height: number, count: number): FrameSet {
  const block = Math.max(8, Math.floor(Math.min(width, height) / 4 / 8) * 8);
  const frames: StoredFrame[] = [];
  for (let k = 0; k < count; k++) {
    const rgba = new Uint8ClampedArray(width * height * 4);
    const blue = count > 1 ? Math.round((220 * k) / (count - 1)) + 16 : 128;
    const bx = count > 1 ? Math.floor(((width - block) * k) / (count - 1) / 8) * 8 : 0;
    const by = Math.floor((height - block) / 2 / 8) * 8;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const o = (y * width + x) * 4;
        const inBlock = x >= bx && x < bx + block && y >= by && y < by + block;
        rgba[o] = inBlock ? 235 : 16 + Math.round((200 * x) / Math.max(1, width - 1));
        rgba[o + 1] = inBlock ? 235 : 16 + Math.round((200 * y) / Math.max(1, height - 1));
        rgba[o + 2] = inBlock ? 235 : blue;
        rgba[o + 3] = 255;
      }
    }
    frames.push({ index: k, scale: k, rgba });
  }
  return { width, height, state1: 'super fresh', state2: 'rotten', frames };
}

/** Frame k: four flat quadrants whose colours depend on k (for strip tiles, sampled at quadrant centres). */
export function quadrantColor(k: number, q: number): [number, number, number] {
  // A modulo that stays in 0..255 for the larger k of a grid (green goes below 0 from k = 7).
  const byte = (n: number) => ((n % 256) + 256) % 256;
  return [byte(40 + 53 * k + 90 * q), byte(200 - 29 * k + 60 * q), byte(90 + 71 * k * (q + 1))];
}
export function quadrantFrames(width: number, height: number, count: number): FrameSet {
  const frames: StoredFrame[] = [];
  for (let k = 0; k < count; k++) {
    const rgba = new Uint8ClampedArray(width * height * 4);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const q = (y < height / 2 ? 0 : 2) + (x < width / 2 ? 0 : 1);
        const [r, g, b] = quadrantColor(k, q);
        rgba.set([r, g, b, 255], (y * width + x) * 4);
      }
    }
    frames.push({ index: k, scale: k, rgba });
  }
  return { width, height, state1: 'super fresh', state2: 'rotten', frames };
}

/** PSNR over R, G, B of two RGBA images of one size, the first read with row stride `strideA`. */
function psnr(a: Uint8ClampedArray, b: Uint8ClampedArray, width: number, height: number, strideA: number, strideB: number): number {
  let sum = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const oa = y * strideA * 4 + x * 4;
      const ob = y * strideB * 4 + x * 4;
      for (let c = 0; c < 3; c++) {
        const d = a[oa + c]! - b[ob + c]!;
        sum += d * d;
      }
    }
  }
  const mse = sum / (width * height * 3);
  return mse === 0 ? 99 : 10 * Math.log10((255 * 255) / mse);
}

function toBase64(data: ArrayBuffer): string {
  const bytes = new Uint8Array(data);
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

interface DecodedSample {
  timestamp: number;
  duration: number;
  /** PSNR against the source frame the plan puts here. */
  psnr: number;
  /** The source frame this decoded frame is closest to. */
  nearest: number;
}

/** Reads a video back: container facts, and each decoded frame compared with every source frame. */
async function decodeBack(data: ArrayBuffer, set: FrameSet, expectedOrder: number[]) {
  const input = new Input({ source: new BufferSource(data), formats: ALL_FORMATS });
  const track = await input.getPrimaryVideoTrack();
  if (!track) throw new Error('no video track');
  const width = await track.getDisplayWidth();
  const height = await track.getDisplayHeight();
  const info = {
    format: (await input.getFormat()).name,
    codec: await track.getCodec(),
    width,
    height,
    duration: await input.computeDuration(),
    packets: (await track.computePacketStats()).packetCount,
  };
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const samples: DecodedSample[] = [];
  for await (const sample of new VideoSampleSink(track).samples()) {
    ctx.clearRect(0, 0, width, height);
    sample.draw(ctx, 0, 0);
    const pixels = ctx.getImageData(0, 0, width, height).data;
    const scores = set.frames.map((f) => psnr(pixels, f.rgba, width, height, width, set.width));
    const expected = expectedOrder[samples.length] ?? -1;
    samples.push({
      timestamp: sample.timestamp,
      duration: sample.duration,
      psnr: scores[expected] ?? -1,
      nearest: scores.indexOf(Math.max(...scores)),
    });
    sample.close();
  }
  input.dispose();
  return { ...info, samples };
}

export interface RoundTripSpec {
  width: number;
  height: number;
  count: number;
  options: VideoOptions;
  /** The frames as a grid (`count` = columns x rows), as a job with a second axis leaves them. */
  grid?: { columns: number; rows: number };
}

/** Encodes synthetic frames in the page, decodes them back, and returns everything a test checks. */
async function roundTrip(spec: RoundTripSpec) {
  const set: FrameSet = gradientFrames(spec.width, spec.height, spec.count);
  if (spec.grid)
    set.layout = { ...spec.grid, stateColumns: [0, spec.grid.columns - 1], spacing: 'uniform', states: [set.state1, set.state2] };
  const events: GeneratorEvent[] = [];
  const result = await encodeVideo(set, spec.options, (e) => events.push(e));
  const plan = planVideo(spec.count, resolveVideoOptions(spec.options), spec.grid);
  const decoded = await decodeBack(
    result.data,
    set,
    plan.samples.map((s) => s.frame),
  );
  return {
    result: { ...result, data: undefined, bytes: result.data.byteLength },
    plan: plan.samples.map(({ frame, timestamp, duration }) => ({ frame, timestamp, duration })),
    decoded,
    events,
    base64: toBase64(result.data),
  };
}

/** Which codecs this browser can encode, per container, at a size (after the codec's even-size crop). */
async function codecs(container: VideoContainer, width: number, height: number): Promise<VideoCodecName[]> {
  const out: VideoCodecName[] = [];
  for (const codec of CODEC_ORDER[container]) {
    const size = encodedSize(codec, width, height);
    if (await canEncodeVideo(codec, { ...size, quality: new Quality('high'), frameRate: 5 })) out.push(codec);
  }
  return out;
}

/** A grid of frames and the timeline's states at their columns, for a grid strip. */
export interface StripGridSpec {
  columns: number;
  rows: number;
  states: string[];
  stateColumns: number[];
}

/**
 * Renders a strip of quadrant frames (a grid's when `grid` is given: `count` = columns x rows), reads the
 * PNG back and samples each tile's quadrant centres.
 */
async function strip(spec: { width: number; height: number; count: number; options: StripOptions; grid?: StripGridSpec }) {
  const set: FrameSet = quadrantFrames(spec.width, spec.height, spec.count);
  const columns = spec.grid?.columns ?? spec.count;
  if (spec.grid) set.layout = { ...spec.grid, spacing: 'uniform' };
  const result = await renderStrip(set, spec.options);
  const bitmap = await createImageBitmap(new Blob([result.data], { type: result.mimeType }));
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bitmap, 0, 0);
  const image = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
  const pixel = (x: number, y: number) => Array.from(image.subarray((y * bitmap.width + x) * 4, (y * bitmap.width + x) * 4 + 3));
  const rows = spec.grid?.rows ?? 1;
  const bandH = result.height - result.tileHeight * rows;
  const tilesY = spec.options.captions === 'above' ? bandH : 0;
  // Frame k is on tile (k % columns, k / columns).
  const tiles = set.frames.map((_, k) =>
    [0, 1, 2, 3].map((q) => {
      const x = Math.floor(((k % columns) + (q % 2 === 0 ? 0.25 : 0.75)) * result.tileWidth);
      const y = Math.floor(tilesY + (Math.floor(k / columns) + (q < 2 ? 0.25 : 0.75)) * result.tileHeight);
      return { got: pixel(x, y), want: quadrantColor(k, q) };
    }),
  );
  // Ink in the caption band: dark pixels under each tile's column.
  const inkByColumn = new Array<number>(columns).fill(0);
  let band: number[] | null = null;
  if (spec.options.captions && spec.options.captions !== 'none') {
    const bandY = spec.options.captions === 'above' ? 0 : result.tileHeight * rows;
    band = pixel(result.width >> 1, bandY + 1);
    for (let y = bandY; y < bandY + bandH; y++) {
      for (let x = 0; x < result.width; x++) {
        const [r] = pixel(x, y);
        if (r! < 100) inkByColumn[Math.floor(x / result.tileWidth)]! += 1;
      }
    }
  }
  return {
    result: { ...result, data: undefined, bytes: result.data.byteLength },
    png: { width: bitmap.width, height: bitmap.height },
    tiles,
    band,
    bandColor: CAPTION_COLORS.band,
    inkByColumn,
    inkFirst: inkByColumn[0]!,
    inkLast: inkByColumn[columns - 1]!,
  };
}

/** Cancels an encode after `after` progress events; returns what the encoder threw. */
async function cancelMidway(spec: RoundTripSpec & { after: number }) {
  const set = gradientFrames(spec.width, spec.height, spec.count);
  const flag = { cancelled: false };
  let lastDone = 0;
  try {
    await encodeVideo(
      set,
      spec.options,
      (e) => {
        if (e.type === 'progress') {
          lastDone = e.done;
          if (e.done >= spec.after) flag.cancelled = true;
        }
      },
      flag,
    );
    return { name: 'resolved', message: '', lastDone };
  } catch (error) {
    return { name: (error as Error).name, message: (error as Error).message, lastDone };
  }
}

/** The comlink path: frames into a worker's store, encode there with proxied events, cancel one job. */
async function viaWorker(spec: RoundTripSpec) {
  const worker = new Worker(new URL('./video-worker.ts', import.meta.url), { type: 'module' });
  const api = wrap<VideoWorkerApi>(worker);
  try {
    const empty = await api
      .encodeVideo(
        'none',
        {},
        proxy(() => {}),
      )
      .then(
        () => 'resolved',
        (e: Error) => `${e.name}: ${e.message}`,
      );
    const set = gradientFrames(spec.width, spec.height, spec.count);
    await api.remember(set);
    const events: GeneratorEvent[] = [];
    const result: VideoResult = await api.encodeVideo(
      'job-1',
      spec.options,
      proxy((e: GeneratorEvent) => void events.push(e)),
    );
    const strip = await api.renderStrip({ tileHeight: 32, captions: 'below' });
    // A grid (a job with a second axis): the video walks it, the strip is a grid PNG.
    const grid = gradientFrames(spec.width, spec.height, 12);
    grid.layout = { columns: 4, rows: 3, stateColumns: [0, 3], spacing: 'uniform', states: [grid.state1, grid.state2] };
    await api.remember(grid);
    const gridVideo = await api.encodeVideo(
      'job-grid',
      { ...spec.options, path: 'loop' },
      proxy(() => {}),
    );
    const gridStrip = await api.renderStrip({ tileHeight: 32 });
    // A long job, cancelled from the page once it has started.
    const big = gradientFrames(256, 256, 40);
    await api.remember(big);
    let started!: () => void;
    const hasStarted = new Promise<void>((resolve) => (started = resolve));
    const job = api.encodeVideo(
      'job-2',
      { ...spec.options, loop: 'pingpong' },
      proxy((e: GeneratorEvent) => {
        if (e.type === 'progress' && e.done >= 2) started();
      }),
    );
    await hasStarted;
    await api.cancelVideo('job-2');
    const cancelled = await job.then(
      () => 'resolved',
      (e: Error) => e.name,
    );
    return {
      empty,
      result: { ...result, data: undefined, isArrayBuffer: result.data instanceof ArrayBuffer, bytes: result.data.byteLength },
      events,
      strip: { ...strip, data: undefined, bytes: strip.data.byteLength },
      grid: {
        video: { frameCount: gridVideo.frameCount, grid: gridVideo.grid },
        strip: { ...gridStrip, data: undefined, bytes: gridStrip.data.byteLength },
      },
      cancelled,
    };
  } finally {
    worker.terminate();
  }
}

/**
 * Encode time per frame (ms) at size x size for one codec: `count` frames, forward, each once; one
 * warm-up run (encoder start-up, first-use compilation), then the median of `runs`.
 */
async function bench(codec: VideoCodecName, size: number, count: number, runs: number) {
  const container: VideoContainer = CODEC_ORDER.mp4.includes(codec) ? 'mp4' : 'webm';
  const supported = (await codecs(container, size, size)).includes(codec);
  if (!supported) return { codec, container, supported, msPerFrame: null, runs: [] as number[], bytes: 0 };
  const set = gradientFrames(size, size, count);
  const times: number[] = [];
  let bytes = 0;
  for (let r = 0; r <= runs; r++) {
    const start = performance.now();
    const result = await encodeVideo(set, { container, codec, fps: 5 });
    if (r > 0) times.push((performance.now() - start) / count);
    bytes = result.data.byteLength;
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { codec, container, supported, msPerFrame: sorted[Math.floor(sorted.length / 2)]!, runs: times, bytes };
}

/**
 * Encoder failures on demand: WebCodecs' VideoEncoder is replaced by one whose configure() throws for
 * codec strings starting with `prefix` (`kind` picks the error), or whose isConfigSupported says no to
 * everything (`unsupported`). Mediabunny reads the global, so its negotiation and encode see the fault.
 */
async function withFault(kind: 'fails' | 'oom' | 'unsupported', prefix: string, spec: RoundTripSpec) {
  const Real = globalThis.VideoEncoder;
  class Faulty extends Real {
    static override async isConfigSupported(config: VideoEncoderConfig): Promise<VideoEncoderSupport> {
      if (kind === 'unsupported') return { supported: false, config };
      return Real.isConfigSupported(config);
    }
    override configure(config: VideoEncoderConfig): void {
      if (config.codec.startsWith(prefix)) {
        if (kind === 'oom') throw new RangeError('Array buffer allocation failed');
        throw new DOMException('Synthetic encoder failure', 'NotSupportedError');
      }
      super.configure(config);
    }
  }
  globalThis.VideoEncoder = Faulty;
  const events: GeneratorEvent[] = [];
  try {
    const set = gradientFrames(spec.width, spec.height, spec.count);
    const result = await encodeVideo(set, spec.options, (e) => events.push(e));
    return { outcome: 'resolved', codec: result.codec, skipped: result.skipped, events };
  } catch (error) {
    return { outcome: (error as Error).name, message: (error as Error).message, events };
  } finally {
    globalThis.VideoEncoder = Real;
  }
}

const harness = { roundTrip, codecs, strip, cancelMidway, viaWorker, withFault, bench };
export type VideoHarness = typeof harness;
(window as unknown as { videoHarness: VideoHarness }).videoHarness = harness;
document.getElementById('status')!.textContent = 'ready';
