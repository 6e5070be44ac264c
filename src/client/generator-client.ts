// The only main-thread importer of comlink: creates the worker, wraps it, and restarts it when a
// job has to be stopped hard (a stuck GPU call cannot be interrupted any other way).
import { wrap, proxy, type Remote } from 'comlink';
import type { GeneratorApi, JobId, BundleSource } from '../shared/api';
import type { EventSink } from '../shared/events';
import type { RenderRequest } from '../shared/request';
import type { StripOptions, VideoOptions } from '../shared/video-api';
import type { DownloadOptions } from '../shared/store-api';
import type { SourceDescription } from '../shared/assemble-api';
import { AppError } from '../shared/errors';

export class GeneratorClient {
  #worker: Worker | null = null;
  #remote: Remote<GeneratorApi> | null = null;
  #pending = new Set<(reason: Error) => void>();
  #running = new Map<JobId, Promise<unknown>>();
  #nextJob = 0;

  get api(): Remote<GeneratorApi> {
    if (!this.#remote) {
      this.#worker = new Worker(new URL('../../workers/generator.worker.ts', import.meta.url), { type: 'module', name: 'generator' });
      this.#remote = wrap<GeneratorApi>(this.#worker);
    }
    return this.#remote;
  }

  newJobId(): JobId {
    this.#nextJob += 1;
    return `job-${this.#nextJob}-${Date.now().toString(36)}`;
  }

  /** Runs a job; `onEvent` is proxied for the call (the worker releases it when the job settles). */
  async render(job: JobId, source: BundleSource, request: RenderRequest, onEvent: EventSink) {
    try {
      return await this.#trackJob(job, this.api.render(job, source, request, proxy(onEvent)));
    } catch (error) {
      // After a lost GPU device, onnxruntime-web's wasm side may hold work it never finished: the next
      // job starts in a fresh worker (new wasm instance, new device) when nothing else is waiting on it.
      if (error instanceof Error && error.name === 'DeviceLost' && this.#pending.size === 0) this.terminate('The GPU device was lost.');
      throw error;
    }
  }

  /** Encodes the last job's frames to a video; progress arrives on `onEvent` (proxied for the call). */
  async encodeVideo(job: JobId, options: VideoOptions, onEvent: EventSink) {
    return this.#trackJob(job, this.api.encodeVideo(job, options, proxy(onEvent)));
  }

  /** Downloads what is missing of a bundle into the store; progress arrives on `onEvent` (proxied for the call). */
  async download(job: JobId, source: BundleSource, onEvent: EventSink, options?: DownloadOptions) {
    return this.#trackJob(job, this.api.download(job, source, proxy(onEvent), options));
  }

  /** Assembles a bundle from public weight files into the store; progress arrives on `onEvent` (proxied for the call). */
  async assemble(job: JobId, source: SourceDescription, onEvent: EventSink) {
    return this.#trackJob(job, this.api.assemble(job, source, proxy(onEvent)));
  }

  /** Draws the last job's frames as one PNG strip. */
  async renderStrip(options: StripOptions) {
    return this.#track(this.api.renderStrip(options));
  }

  /**
   * Asks a job to stop at its next step. If it has not settled `hardStopAfterMs` later (a GPU call
   * that does not return), the worker is terminated, which rejects the job with AbortError.
   */
  async cancel(job: JobId, hardStopAfterMs?: number): Promise<void> {
    const running = this.#running.get(job);
    if (running && hardStopAfterMs !== undefined) {
      const timer = setTimeout(() => {
        if (this.#running.get(job) === running) this.terminate('The job did not stop in time; its worker was restarted.');
      }, hardStopAfterMs);
      const clear = () => clearTimeout(timer);
      running.then(clear, clear);
    }
    // Each part keeps its own job registry; asking all four is harmless for those that do not
    // know the job. Tracked, so that a hard stop settles these calls too. Best effort: the hard stop
    // is the guarantee.
    const api = this.api;
    await Promise.allSettled(
      [api.cancel(job), api.cancelVideo(job), api.cancelDownload(job), api.cancelAssembly(job)].map((call) => this.#track(call)),
    );
  }

  /** Terminates the worker; every call still waiting rejects with AbortError (comlink would leave them hanging). */
  terminate(reason = 'The job was stopped.'): void {
    this.#worker?.terminate();
    this.#worker = null;
    this.#remote = null;
    this.#running.clear();
    for (const reject of this.#pending) reject(new AppError('AbortError', reason));
    this.#pending.clear();
  }

  /** Like #track, and remembered by job id so that `cancel` can hard-stop it. */
  #trackJob<T>(job: JobId, call: Promise<T>): Promise<T> {
    const tracked = this.#track(call);
    this.#running.set(job, tracked);
    const forget = () => {
      if (this.#running.get(job) === tracked) this.#running.delete(job);
    };
    tracked.then(forget, forget);
    return tracked;
  }

  #track<T>(call: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.add(reject);
      call.then(resolve, reject).finally(() => this.#pending.delete(reject));
    });
  }
}
