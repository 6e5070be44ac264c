/**
 * What every stage of a job shares: the bundle, the request's events and cancel flag, the hooks, and
 * the helpers that time each stage and session run and open/close the stage's sessions.
 */
import type { EventSink, Backend } from '../../src/shared/events';
import type { BundleFile, BundleManifest, ComponentName } from '../../src/shared/manifest';
import { AppError } from '../../src/shared/errors';
import { runSession, readF32, type FileReader, type OrtSession, type OrtTensor, type SessionSetup } from '../runtime/ort';
import { stageSessions, type StageSessions } from './sessions';
import { reportingVerify } from './verify-progress';
import type { TemplatePair } from './slider';

/** A bundle whose manifest is read, with a reader for its files. Sessions are made per stage. */
export interface LoadedBundle {
  manifest: BundleManifest;
  read: FileReader;
  /** Stored bundles: checks a file's bytes against its sha256; a session is not used until its files pass. */
  verify?: (file: BundleFile) => Promise<void>;
  /** Stored bundles: whether this worker has checked the file already (verify then resolves at once). */
  verified?: (file: BundleFile) => boolean;
  /** Stored bundles: runs a job while no tab may delete the bundle. */
  use?: <T>(work: () => Promise<T>) => Promise<T>;
  backend: Backend;
}

/** Cooperative cancellation: checked between steps, batches and frames. */
export class CancelFlag {
  cancelled = false;
  check(): void {
    if (this.cancelled) throw new AppError('AbortError', 'The job was cancelled.');
  }
}

/** Hooks for parity tests and benchmarks: inject the reference's tensors, observe intermediates. */
export interface PipelineHooks {
  /** Packed initial noise [1, N, 64] to use instead of the seeded PRNG's. */
  noise?: Float32Array;
  /** Template pairs to use instead of the seeded draw. */
  pairs?: readonly TemplatePair[];
  /** A direction to use instead of finding one. */
  direction?: Float32Array;
  onEncoded?(e: { clipIds: BigInt64Array; t5Ids: BigInt64Array; pooled: Float32Array; t5: Float32Array; direction: Float32Array }): void;
  onStep?(frame: number, step: number, latents: Float32Array): void;
  onDecoded?(frame: number, image: Float32Array): void;
  onTiming?(stage: string, ms: number): void;
  /** false: render every frame even when the frame cache has it (determinism tests, benchmarks). */
  frameCache?: boolean;
  /** Prompts per CLIP run when finding the direction (default 32); 1 = the Space's one at a time (benchmark). */
  directionBatch?: number;
  /** false: pad direction prompts to the full 77 tokens as the Space does (benchmark baseline; same result). */
  directionCompact?: boolean;
  /** Benchmarks: override the bundle-size rule for keeping sessions open between jobs. */
  keepWarm?: boolean;
  /** Benchmarks: ORT's WebGPU storage-buffer cache mode (see SessionSetup.bufferCache). */
  gpuBufferCache?: SessionSetup['bufferCache'];
  /** false: WebGPU reads latents back and steps in JS, like wasm (benchmark's before/after). */
  gpuLatents?: boolean;
  /**
   * Benchmarks: wait for the GPU after every run whose outputs stay on the GPU, so that run:<name>
   * times are the GPU's work and not only its submission (WebGPU runs return before the GPU is done).
   */
  syncGpu?: boolean;
  /** A measured stage (t5, clip, denoise) starts or ends: benchmarks read the GPU memory peak here. */
  onStage?(stage: string, phase: 'start' | 'end'): void;
}

/** One job's shared state and helpers; each stage (encode, direction, frames, decode) takes it. */
export class Job {
  readonly timings: Record<string, number> = {};
  readonly sessions: StageSessions;
  /** Checks a stored file before it is used, reporting progress (reportingVerify); absent for bundles read from a URL. */
  readonly verify: LoadedBundle['verify'];

  constructor(
    readonly bundle: LoadedBundle,
    readonly emit: EventSink,
    readonly cancel: CancelFlag,
    readonly hooks: PipelineHooks,
  ) {
    this.verify = reportingVerify(bundle, emit);
    this.sessions = stageSessions(bundle.manifest, bundle.read, bundle.backend, {
      ...(hooks.keepWarm !== undefined ? { keepWarm: hooks.keepWarm } : {}),
      ...(hooks.gpuBufferCache ? { setup: { bufferCache: hooks.gpuBufferCache } } : {}),
      ...(this.verify ? { verify: this.verify } : {}),
      onPhase: (component, phase, ms) => hooks.onTiming?.(`${phase}:${component}`, ms),
    });
  }

  get manifest(): BundleManifest {
    return this.bundle.manifest;
  }

  /** Adds the work's time to timings[stage] (and reports it). */
  async timed<T>(stage: string, work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } finally {
      const ms = performance.now() - start;
      this.timings[stage] = (this.timings[stage] ?? 0) + ms;
      this.hooks.onTiming?.(stage, ms);
    }
  }

  /** Opens (or reuses) a component's session, timed as session:<name>. */
  session(name: ComponentName, setup?: SessionSetup): Promise<OrtSession> {
    return this.timed(`session:${name}`, () => this.sessions.open(name, setup));
  }

  /** Every session.run is timed on its own (run:<name>): the rest of a stage's time is orchestration. */
  async runTimed(name: string, s: OrtSession, feeds: Record<string, OrtTensor>, names: readonly string[], sync?: GPUDevice) {
    const start = performance.now();
    try {
      const results = await runSession(s, feeds, names);
      if (sync) await sync.queue.onSubmittedWorkDone();
      return results;
    } finally {
      this.hooks.onTiming?.(`run:${name}`, performance.now() - start);
    }
  }

  /** Runs and reads the named outputs back as float32 arrays (then disposes every output). */
  async run(name: string, s: OrtSession, feeds: Record<string, OrtTensor>, names: readonly string[]): Promise<Float32Array[]> {
    const results = await this.runTimed(name, s, feeds, names);
    try {
      return await Promise.all(names.map((n) => readF32(results[n]!)));
    } finally {
      for (const t of Object.values(results)) t.dispose();
    }
  }

  /** A stage whose peak memory the benchmark measures (session creation to release). */
  async stage<T>(name: string, work: () => Promise<T>): Promise<T> {
    this.hooks.onStage?.(name, 'start');
    try {
      return await work();
    } finally {
      this.hooks.onStage?.(name, 'end');
    }
  }

  /** Runs work with a component's session, closed afterwards (released unless kept warm). */
  async withSession<T>(name: ComponentName, work: (s: OrtSession) => Promise<T>): Promise<T> {
    const s = await this.session(name);
    try {
      return await work(s);
    } finally {
      await this.sessions.close(name, s);
    }
  }
}
