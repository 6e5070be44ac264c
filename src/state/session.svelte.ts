// One run at a time: starts it through the client, turns worker events into throttled UI state
// (stage, progress, ETA, frames as ImageBitmaps), makes the video and strip, and cancels.
import type { GeneratorClient } from '../client/generator-client';
import type { BundleSource, JobId, RenderResult } from '../shared/api';
import type { Backend, FramePlace, GeneratorEvent, StageName } from '../shared/events';
import type { RenderRequest } from '../shared/request';
import { isAbort } from '../shared/errors';
import { toShown, type ShownError } from './shown-error';
import { VIDEO_LIMITS, type StripResult, type VideoOptions, type VideoPath, type VideoResult } from '../shared/video-api';
import { EtaEstimator, middleCell, placedWalk, requestedWalk, type WalkView } from './progress-math';

export type RunStatus = 'idle' | 'running' | 'cancelling' | 'done' | 'cancelled' | 'error';

/** A finished frame, ready to draw. */
export interface FrameView {
  index: number;
  scale: number;
  bitmap: ImageBitmap;
  /** Where the frame sits on the walk (its grid cell, the state it is on), as the engine says. */
  place?: FramePlace | undefined;
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
  /** One slot per frame of the run (a grid's row by row), null until that frame arrives. */
  frames = $state.raw<(FrameView | null)[]>([]);
  /** The request of the current or last run (the viewer labels its ends with these states). */
  request = $state.raw<RenderRequest | null>(null);
  /** The run's walk: its grid and where the timeline's states sit (placed once the engine says). */
  layout = $state.raw<WalkView | null>(null);
  result = $state.raw<RenderResult | null>(null);
  video = $state.raw<FileView<VideoResult> | null>(null);
  videoError = $state.raw<ShownError | null>(null);
  strip = $state.raw<FileView<StripResult> | null>(null);
  error = $state.raw<ShownError | null>(null);
  warnings = $state.raw<string[]>([]);
  elapsedMs = $state<number | null>(null);
  /** While a run checks its stored model files against their sha256 (first job of a worker): done of total. */
  checking = $state.raw<{ done: number; total: number } | null>(null);
  /** The frame the viewer shows; each run starts on the middle one (a grid's middle row), like the original's slider. */
  selected = $state(0);
  /** The path a grid's video takes; changing it after a run makes the video again from the same frames. */
  videoPath = $state<VideoPath>('rows');
  /** The video is being made again along a new path. */
  remaking = $state(false);

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
  /** The last run's video options, for making its video again along another path. */
  #videoOptions: VideoOptions = {};
  /** The job of a video being made again, so that a newer one or a new run supersedes it. */
  #remakeJob: JobId | null = null;

  constructor(client: GeneratorClient) {
    this.#client = client;
  }

  /** Renders the frames, then the video and the strip. Never throws: the outcome is in `status` and `error`. */
  async run(source: BundleSource, request: RenderRequest, videoOptions: VideoOptions = {}): Promise<void> {
    if (this.running) return;
    const job = this.#client.newJobId();
    this.#reset(job, request);
    this.#videoOptions = videoOptions;
    const started = performance.now();
    try {
      const result = await this.#client.render(job, source, request, (event) => this.#onEvent(job, event));
      await this.#settleFrames();
      this.result = result;
      if (result.layout) this.layout = placedWalk(request, result.layout);
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

  /**
   * Sets the path of a grid's video. After a finished run the video is made again from the frames the worker
   * kept (the strip stays); during a run the video is made along it when the frames are done.
   */
  async setVideoPath(path: VideoPath): Promise<void> {
    if (path === this.videoPath) return;
    this.videoPath = path;
    if (this.running || !this.result || (this.layout?.rows ?? 1) < 2) return;
    const job = this.#client.newJobId();
    const old = this.#remakeJob;
    this.#remakeJob = job;
    if (old) void this.#client.cancel(old).catch(() => {});
    this.remaking = true;
    this.videoError = null;
    try {
      const video = await this.#client.encodeVideo(job, this.#videoOptionsFor(this.#videoOptions), () => {});
      if (this.#remakeJob !== job) return;
      if (this.video) URL.revokeObjectURL(this.video.url);
      this.video = toFileView(video);
    } catch (error) {
      if (this.#remakeJob === job && !isAbort(error)) this.videoError = toShown(error);
    } finally {
      if (this.#remakeJob === job) {
        this.#remakeJob = null;
        this.remaking = false;
      }
    }
  }

  /** The video options of this run: a grid's video takes the chosen path; a single row's stay as asked. */
  #videoOptionsFor(videoOptions: VideoOptions): VideoOptions {
    return (this.layout?.rows ?? 1) > 1 ? { ...videoOptions, path: this.videoPath } : videoOptions;
  }

  async #makeFiles(job: JobId, request: RenderRequest, videoOptions: VideoOptions): Promise<void> {
    // Tiles at the frames' own height up to the original's 256 px, and never wider (or a grid higher) than a canvas allows.
    const { columns, rows } = this.layout ?? requestedWalk(request);
    const side = VIDEO_LIMITS.maxCanvasSide;
    const fit = Math.floor(Math.min(side / columns / (request.width / request.height), side / rows));
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
      const video = await this.#client.encodeVideo(job, this.#videoOptionsFor(videoOptions), (event) => this.#onEvent(job, event));
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
    // A video still being made again from the last run's frames is not wanted any more.
    if (this.#remakeJob) void this.#client.cancel(this.#remakeJob).catch(() => {});
    this.#remakeJob = null;
    this.remaking = false;
    this.#job = job;
    this.#pendingFrames.clear();
    this.#pendingProgress = null;
    this.#eta.reset();
    this.#stepMs = 0;
    this.#lastStepAt = 0;
    this.status = 'running';
    this.request = request;
    const walk = requestedWalk(request);
    this.layout = walk;
    this.frames = new Array<FrameView | null>(walk.columns * walk.rows).fill(null);
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
    this.selected = middleCell(walk.columns, walk.rows);
  }

  /** The engine's layout of the walk: keyframe columns, and a grid the size it says (a new size starts empty, on its middle). */
  #onWalk(walk: WalkView): void {
    const count = walk.columns * walk.rows;
    const before = this.layout;
    this.layout = walk;
    if (count === this.frames.length && before?.columns === walk.columns) return;
    const old = this.frames;
    setTimeout(() => old.forEach((f) => f?.bitmap.close()), 1000);
    this.#pendingFrames.clear();
    this.frames = new Array<FrameView | null>(count).fill(null);
    this.selected = middleCell(walk.columns, walk.rows);
  }

  #onEvent(job: JobId, event: GeneratorEvent): void {
    if (job !== this.#job) return; // a late event of a superseded job
    switch (event.type) {
      case 'stage':
        if (event.stage === 'done') return; // the run is done only once the video is
        this.#eta.reset();
        this.#setProgress({ stage: event.stage }, true);
        return;
      case 'walk':
        if (this.request) this.#onWalk(placedWalk(this.request, event));
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
        const { index, scale, width, height, place } = event;
        const pixels = new ImageData(event.rgba as Uint8ClampedArray<ArrayBuffer>, width, height);
        // Decoding to a bitmap happens off the main thread's critical path; the view draws it on a canvas.
        const pending = createImageBitmap(pixels).then((bitmap) => {
          if (job !== this.#job && this.#job !== null) return bitmap.close();
          this.#pendingFrames.set(index, { index, scale, bitmap, place });
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
