// One run at a time: starts it through the client, turns worker events into throttled UI state
// (stage, progress, ETA, frames as ImageBitmaps), makes the video and strip, and cancels.
import type { GeneratorClient } from '../client/generator-client';
import type { BundleSource, JobId, RenderResult } from '../shared/api';
import type { Backend, GeneratorEvent, StageName } from '../shared/events';
import type { RenderRequest } from '../shared/request';
import { isAbort } from '../shared/errors';
import { toShown, type ShownError } from './shown-error';
import { VIDEO_LIMITS, type StripResult, type VideoOptions, type VideoResult } from '../shared/video-api';
import { EtaEstimator, middleFrame } from './progress-math';

export type RunStatus = 'idle' | 'running' | 'cancelling' | 'done' | 'cancelled' | 'error';

/** A finished frame, ready to draw. */
export interface FrameView {
  index: number;
  scale: number;
  bitmap: ImageBitmap;
}

/** Where the run is, in numbers; the words are added by the progress view. */
export interface ProgressView {
  stage: StageName;
  done?: number;
  total?: number;
  frame?: number;
  frames?: number;
  step?: number;
  steps?: number;
  /** Bytes per second, while downloading. */
  bytesPerSecond?: number;
  etaMs?: number;
}

export interface FileView<T> {
  url: string;
  info: Omit<T, 'data'>;
  bytes: number;
}

/** How often throttled state (progress, arriving frames) reaches Svelte. */
const FLUSH_MS = 100;
/** A job that has not stopped this long after Cancel (and 3 steps' time) gets its worker terminated. */
const HARD_STOP_MIN_MS = 10_000;

export class Session {
  status = $state<RunStatus>('idle');
  progress = $state.raw<ProgressView | null>(null);
  backend = $state.raw<{ backend: Backend; reason?: string } | null>(null);
  /** One slot per frame of the run, null until that frame arrives. */
  frames = $state.raw<(FrameView | null)[]>([]);
  /** The request of the current or last run (the viewer labels its ends with these states). */
  request = $state.raw<RenderRequest | null>(null);
  result = $state.raw<RenderResult | null>(null);
  video = $state.raw<FileView<VideoResult> | null>(null);
  videoError = $state.raw<ShownError | null>(null);
  strip = $state.raw<FileView<StripResult> | null>(null);
  error = $state.raw<ShownError | null>(null);
  warnings = $state.raw<string[]>([]);
  elapsedMs = $state<number | null>(null);
  /** While a run checks its stored model files against their sha256 (first job of a worker): done of total. */
  checking = $state.raw<{ done: number; total: number } | null>(null);
  /** The frame the viewer shows; each run starts on the middle one, like the original's slider. */
  selected = $state(0);

  readonly running: boolean = $derived(this.status === 'running' || this.status === 'cancelling');
  readonly readyCount: number = $derived(this.frames.reduce((n, f) => n + (f ? 1 : 0), 0));

  #client: GeneratorClient;
  #job: JobId | null = null;
  #eta = new EtaEstimator();
  // Plain (not reactive) on purpose: these buffer events between throttled flushes into the runes.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #pendingFrames = new Map<number, FrameView>();
  #pendingProgress: ProgressView | null = null;
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #bitmaps = new Set<Promise<void>>();
  #flushTimer: ReturnType<typeof setTimeout> | null = null;
  #lastStepAt = 0;
  #stepMs = 0;

  constructor(client: GeneratorClient) {
    this.#client = client;
  }

  /** Renders the frames, then the video and the strip. Never throws: the outcome is in `status` and `error`. */
  async run(source: BundleSource, request: RenderRequest, videoOptions: VideoOptions = {}): Promise<void> {
    if (this.running) return;
    const job = this.#client.newJobId();
    this.#reset(job, request);
    const started = performance.now();
    try {
      const result = await this.#client.render(job, source, request, (event) => this.#onEvent(job, event));
      await this.#settleFrames();
      this.result = result;
      await this.#makeFiles(job, request, videoOptions);
      this.status = 'done';
    } catch (error) {
      await this.#settleFrames();
      if (isAbort(error)) this.status = 'cancelled';
      else {
        this.error = toShown(error);
        this.status = 'error';
      }
    } finally {
      if (this.#job === job) this.#job = null;
      this.elapsedMs = performance.now() - started;
      this.#flush();
    }
  }

  /** Stops the run at its next step; a job that does not stop in time has its worker restarted. */
  async cancel(): Promise<void> {
    const job = this.#job;
    if (!job || this.status !== 'running') return;
    this.status = 'cancelling';
    try {
      await this.#client.cancel(job, Math.max(HARD_STOP_MIN_MS, 3 * this.#stepMs));
    } catch (error) {
      if (!isAbort(error)) this.error = toShown(error);
    }
  }

  dismissError(): void {
    this.error = null;
  }

  /** One frame as a PNG, at its full size. */
  async framePng(index: number): Promise<Blob | null> {
    const frame = this.frames[index];
    if (!frame) return null;
    const canvas = new OffscreenCanvas(frame.bitmap.width, frame.bitmap.height);
    canvas.getContext('2d')!.drawImage(frame.bitmap, 0, 0);
    return canvas.convertToBlob({ type: 'image/png' });
  }

  async #makeFiles(job: JobId, request: RenderRequest, videoOptions: VideoOptions): Promise<void> {
    // Tiles at the frames' own height up to the original's 256 px, and never wider than a canvas allows.
    const fit = Math.floor(VIDEO_LIMITS.maxCanvasSide / request.frames / (request.width / request.height));
    const tileHeight = Math.max(VIDEO_LIMITS.tileHeight.min, Math.min(request.height, VIDEO_LIMITS.tileHeight.default, fit));
    try {
      const strip = await this.#client.renderStrip({ tileHeight, captions: 'none' });
      this.strip = toFileView(strip);
    } catch (error) {
      if (isAbort(error)) throw error;
      this.warnings = [...this.warnings, `strip: ${error instanceof Error ? error.message : String(error)}`];
    }
    this.#eta.reset();
    this.#setProgress({ stage: 'video' }, true);
    try {
      const video = await this.#client.encodeVideo(job, videoOptions, (event) => this.#onEvent(job, event));
      this.video = toFileView(video);
    } catch (error) {
      if (isAbort(error)) throw error;
      // The frames and strip stand on their own: a video that cannot be made is reported, not fatal.
      this.videoError = toShown(error);
    }
    this.#setProgress({ stage: 'done' }, true);
  }

  #reset(job: JobId, request: RenderRequest): void {
    const old = this.frames;
    // Closed a moment later, so that nothing still drawing the old frames draws a closed bitmap.
    setTimeout(() => old.forEach((f) => f?.bitmap.close()), 1000);
    if (this.video) URL.revokeObjectURL(this.video.url);
    if (this.strip) URL.revokeObjectURL(this.strip.url);
    this.#job = job;
    this.#pendingFrames.clear();
    this.#pendingProgress = null;
    this.#eta.reset();
    this.#stepMs = 0;
    this.#lastStepAt = 0;
    this.status = 'running';
    this.request = request;
    this.frames = new Array<FrameView | null>(request.frames).fill(null);
    this.result = null;
    this.video = null;
    this.videoError = null;
    this.strip = null;
    this.error = null;
    this.warnings = [];
    this.backend = null;
    this.elapsedMs = null;
    this.checking = null;
    this.progress = { stage: 'load' };
    this.selected = middleFrame(request.frames);
  }

  #onEvent(job: JobId, event: GeneratorEvent): void {
    if (job !== this.#job) return; // a late event of a superseded job
    switch (event.type) {
      case 'stage':
        if (event.stage === 'done') return; // the run is done only once the video is
        this.#eta.reset();
        this.#setProgress({ stage: event.stage }, true);
        return;
      case 'check':
        this.checking = event.done < event.total ? { done: event.done, total: event.total } : null;
        return;
      case 'backend':
        this.backend = event.reason ? { backend: event.backend, reason: event.reason } : { backend: event.backend };
        return;
      case 'progress': {
        const now = performance.now();
        if (event.stage === 'denoise' && event.step !== undefined) {
          if (this.#lastStepAt) this.#stepMs = now - this.#lastStepAt;
          this.#lastStepAt = now;
        }
        const etaMs = this.#eta.update(event.done, event.total, now);
        const { type: _type, ...numbers } = event;
        this.#setProgress({ ...numbers, ...(etaMs !== undefined ? { etaMs } : {}) });
        return;
      }
      case 'download': {
        const left = event.bundleTotal - event.bundleLoaded;
        this.#setProgress({
          stage: 'download',
          done: event.bundleLoaded,
          total: event.bundleTotal,
          bytesPerSecond: event.bytesPerSecond,
          ...(event.bytesPerSecond > 0 ? { etaMs: (left / event.bytesPerSecond) * 1000 } : {}),
        });
        return;
      }
      case 'frame': {
        const { index, scale, width, height } = event;
        const pixels = new ImageData(event.rgba as Uint8ClampedArray<ArrayBuffer>, width, height);
        // Decoding to a bitmap happens off the main thread's critical path; the view draws it on a canvas.
        const pending = createImageBitmap(pixels).then((bitmap) => {
          if (job !== this.#job && this.#job !== null) return bitmap.close();
          this.#pendingFrames.set(index, { index, scale, bitmap });
          this.#schedule();
        });
        this.#bitmaps.add(pending);
        void pending.finally(() => this.#bitmaps.delete(pending));
        return;
      }
      case 'warning':
        this.warnings = [...this.warnings, event.detail ? `${event.code}: ${event.detail}` : event.code];
        return;
    }
  }

  #setProgress(progress: ProgressView, now = false): void {
    this.#pendingProgress = progress;
    if (now) this.#flush();
    else this.#schedule();
  }

  #schedule(): void {
    this.#flushTimer ??= setTimeout(() => this.#flush(), FLUSH_MS);
  }

  /** Moves throttled state into the runes: one Svelte update per tick, however many events came. */
  #flush(): void {
    if (this.#flushTimer !== null) clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
    if (this.#pendingProgress) {
      this.progress = this.#pendingProgress;
      this.#pendingProgress = null;
    }
    if (this.#pendingFrames.size > 0) {
      const frames = this.frames.slice();
      for (const [index, frame] of this.#pendingFrames) if (index < frames.length) frames[index] = frame;
      this.#pendingFrames.clear();
      this.frames = frames;
    }
  }

  async #settleFrames(): Promise<void> {
    await Promise.allSettled([...this.#bitmaps]);
    this.#flush();
  }
}

function toFileView<T extends { data: ArrayBuffer; mimeType: string }>(file: T): FileView<T> {
  const { data, ...info } = file;
  const blob = new Blob([data], { type: file.mimeType });
  return { url: URL.createObjectURL(blob), info, bytes: data.byteLength };
}
