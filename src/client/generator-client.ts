// The only main-thread importer of comlink: creates the worker, wraps it, and restarts it when a
// job has to be stopped hard (a stuck GPU call cannot be interrupted any other way).
import { wrap, proxy, type Remote } from 'comlink';
import type { GeneratorApi, JobId, BundleSource } from '../shared/api';
import type { EventSink } from '../shared/events';
import type { RenderRequest } from '../shared/request';
import { AppError } from '../shared/errors';

export class GeneratorClient {
  #worker: Worker | null = null;
  #remote: Remote<GeneratorApi> | null = null;
  #pending = new Set<(reason: Error) => void>();
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
    return this.#track(this.api.render(job, source, request, proxy(onEvent)));
  }

  async cancel(job: JobId): Promise<void> {
    await this.api.cancel(job);
  }

  /** Terminates the worker; every call still waiting rejects with AbortError (comlink would leave them hanging). */
  terminate(reason = 'The job was stopped.'): void {
    this.#worker?.terminate();
    this.#worker = null;
    this.#remote = null;
    for (const reject of this.#pending) reject(new AppError('AbortError', reason));
    this.#pending.clear();
  }

  #track<T>(call: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.add(reject);
      call.then(resolve, reject).finally(() => this.#pending.delete(reject));
    });
  }
}
