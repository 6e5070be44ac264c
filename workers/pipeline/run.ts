/**
 * Orchestrates one Time Stream job on a loaded bundle: encoders once, the direction (batched,
 * cached), then every frame (same noise, pooled + scale·direction), decoding each frame as soon as
 * it is done. Stages run one after another and each session is released before the next large one
 * is created, so the peak is the largest stage, not the sum.
 */
import type { GeneratorEvent, EventSink, Backend } from '../../src/shared/events';
import type { RenderRequest } from '../../src/shared/request';
import type { BundleManifest, ComponentName } from '../../src/shared/manifest';
import { AppError } from '../../src/shared/errors';
import {
  tensorF32,
  tensorI64,
  runSession,
  readF32,
  gpuTensorF32,
  ortGpuDevice,
  type FileReader,
  type OrtSession,
  type OrtTensor,
  type SessionSetup,
} from '../runtime/ort';
import { stageSessions } from './sessions';
import { FixedLengthTokenizer } from '../runtime/tokenizers';
import { fluxSchedule, eulerStep } from './schedule';
import { gaussianNoise } from './rng';
import { latentShape, packLatents, unpackLatents, imageIds, textIds, toDecoderInput, tokenCount } from './latents';
import { drawTemplatePairs, directionPrompts, DirectionMean, shiftPooledInto, type TemplatePair } from './slider';
import { eulerGraph, unpackGraph } from './latent-graphs';
import { decoderOutputToRgba } from './image';
import { planFrames, progressiveOrder } from './frame-plan';
import { FrameCache, frameKey } from './frame-cache';

/** A bundle whose manifest is read, with a reader for its files. Sessions are made per stage. */
export interface LoadedBundle {
  manifest: BundleManifest;
  read: FileReader;
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

export interface JobOutput {
  /** In frame order. */
  frames: { index: number; scale: number; cached: boolean; rgba: Uint8ClampedArray<ArrayBuffer> }[];
  timings: Record<string, number>;
}

const frameCache = new FrameCache();

const DIRECTION_BATCH = 32;
const directionCache = new Map<string, Float32Array>();

export async function runJob(
  bundle: LoadedBundle,
  request: RenderRequest,
  emit: EventSink,
  cancel: CancelFlag,
  hooks: PipelineHooks = {},
): Promise<JobOutput> {
  const { manifest } = bundle;
  const timings: Record<string, number> = {};
  const timed = async <T>(stage: string, work: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    try {
      return await work();
    } finally {
      const ms = performance.now() - start;
      timings[stage] = (timings[stage] ?? 0) + ms;
      hooks.onTiming?.(stage, ms);
    }
  };
  const sessions = stageSessions(manifest, bundle.read, bundle.backend, {
    ...(hooks.keepWarm !== undefined ? { keepWarm: hooks.keepWarm } : {}),
    ...(hooks.gpuBufferCache ? { setup: { bufferCache: hooks.gpuBufferCache } } : {}),
    onPhase: (component, phase, ms) => hooks.onTiming?.(`${phase}:${component}`, ms),
  });
  const session = (name: ComponentName, setup?: SessionSetup) => timed(`session:${name}`, () => sessions.open(name, setup));
  // Every session.run is timed on its own (run:<name>): the rest of a stage's time is orchestration.
  const runTimed = async (name: string, s: OrtSession, feeds: Record<string, OrtTensor>, names: readonly string[], sync?: GPUDevice) => {
    const start = performance.now();
    try {
      const results = await runSession(s, feeds, names);
      if (sync) await sync.queue.onSubmittedWorkDone();
      return results;
    } finally {
      hooks.onTiming?.(`run:${name}`, performance.now() - start);
    }
  };
  /** Runs and reads the named outputs back as float32 arrays (then disposes every output). */
  const run = async (name: string, s: OrtSession, feeds: Record<string, OrtTensor>, names: readonly string[]) => {
    const results = await runTimed(name, s, feeds, names);
    try {
      return await Promise.all(names.map((n) => readF32(results[n]!)));
    } finally {
      for (const t of Object.values(results)) t.dispose();
    }
  };
  /** A stage whose peak memory the benchmark measures (session creation to release). */
  const stage = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    hooks.onStage?.(name, 'start');
    try {
      return await work();
    } finally {
      hooks.onStage?.(name, 'end');
    }
  };
  const withSession = async <T>(name: ComponentName, work: (s: OrtSession) => Promise<T>): Promise<T> => {
    const s = await session(name);
    try {
      return await work(s);
    } finally {
      await sessions.close(name, s);
    }
  };

  // Frames already rendered with the same inputs come from the cache (never when tensors are injected).
  const plan = planFrames(request.strength, request.frames);
  const useCache = hooks.frameCache !== false && !hooks.noise && !hooks.direction && !hooks.pairs;
  const keyOf = (scale: number) => frameKey({ bundleVersion: manifest.version, backend: bundle.backend, request, scale });
  const frames: JobOutput['frames'] = [];
  const todo: number[] = [];
  for (const index of progressiveOrder(plan.length)) {
    const { scale } = plan[index]!;
    const cached = useCache ? frameCache.get(keyOf(scale)) : undefined;
    if (cached) {
      frames[index] = { index, scale, cached: true, rgba: cached };
      emit({ type: 'frame', index, count: plan.length, scale, width: request.width, height: request.height, rgba: cached.slice() });
    } else todo.push(index);
  }
  if (todo.length > 0) await renderFrames(todo);
  emit({ type: 'stage', stage: 'done' });
  return { frames, timings };

  async function renderFrames(todo: number[]): Promise<void> {
    emit({ type: 'stage', stage: 'text' });
    const tokenizers = await timed('tokenizers', () => loadTokenizers(bundle, request.maxSequenceLength));
    const clipIds = tokenizers.clip.encode([request.prompt]);
    const t5Ids = tokenizers.t5.encode([request.prompt]);

    // T5 runs once per job; release it before anything else is loaded.
    const t5 = await stage('t5', () =>
      withSession('t5', (s) =>
        timed('t5', async () => (await run('t5', s, { input_ids: tensorI64(t5Ids, [1, t5Ids.length]) }, ['last_hidden_state']))[0]!),
      ),
    );
    cancel.check();

    const { pooled, direction } = await stage('clip', () =>
      withSession('clip', async (clip) => {
        const encodePooled = async (ids: BigInt64Array, rows: number) =>
          (await run('clip', clip, { input_ids: tensorI64(ids, [rows, ids.length / rows]) }, ['pooled']))[0]!;
        const pooled = await timed('clip', () => encodePooled(clipIds, 1));
        emit({ type: 'stage', stage: 'direction' });
        const direction =
          hooks.direction ??
          (await timed('direction', () => findDirection(bundle, request, tokenizers.clip, encodePooled, emit, cancel, hooks)));
        return { pooled, direction };
      }),
    );
    hooks.onEncoded?.({ clipIds, t5Ids, pooled, t5, direction });
    cancel.check();

    const shape = latentShape(request.width, request.height, manifest.vae.latent_channels, manifest.vae.spatial_factor);
    const tokens = tokenCount(shape);
    const noise = hooks.noise ?? packLatents(gaussianNoise(request.seed, tokens * 64), shape);
    if (noise.length !== tokens * 64) throw new AppError('Internal', `injected noise has ${noise.length} values, expected ${tokens * 64}`);
    const schedule = fluxSchedule(request.steps, manifest.scheduler.shift, manifest.scheduler.num_train_timesteps);
    const textLength = t5Ids.length;
    // Latents stay on the GPU between steps on WebGPU; wasm keeps them in JS (there is no copy to save).
    const onGpu = bundle.backend === 'webgpu' && hooks.gpuLatents !== false;
    const inputs: Record<'encoder_hidden_states' | 'img_ids' | 'txt_ids', [Float32Array, number[]]> = {
      encoder_hidden_states: [t5, [1, textLength, t5.length / textLength]],
      img_ids: [imageIds(shape), [tokens, 3]],
      txt_ids: [textIds(textLength), [textLength, 3]],
    };
    const timesteps = Array.from(schedule.timestepInputs, (t) => tensorF32(Float32Array.of(t), [1]));
    const dts = Array.from({ length: request.steps }, (_, i) => Math.fround(schedule.sigmas[i + 1]! - schedule.sigmas[i]!));

    emit({ type: 'stage', stage: 'denoise' });
    await stage('denoise', async () => {
      const transformer = await session('transformer', onGpu ? { gpuOutputs: ['out'] } : {});
      const decoder = await session('decoder').catch(async (e: unknown) => {
        await sessions.close('transformer', transformer);
        throw e;
      });
      // GPU tensors made for this job; disposed (their buffers destroyed) when the stage ends.
      const owned: OrtTensor[] = [];
      const total = todo.length * request.steps;
      let gpu: { device: GPUDevice; euler: OrtSession; unpack: OrtSession; dt: OrtTensor[]; vae: Record<'scaling' | 'shift', OrtTensor> } | undefined;
      // The latest Euler output on the GPU (ORT's buffer): disposed even when a cancel ends the frame early.
      let stepLatents: OrtTensor | undefined;
      try {
        let fixedFeeds: Record<string, OrtTensor>;
        if (onGpu) {
          const device = await ortGpuDevice();
          const upload = (data: Float32Array, dims: readonly number[]) => {
            const t = gpuTensorF32(device, data, dims);
            owned.push(t);
            return t;
          };
          fixedFeeds = Object.fromEntries(Object.entries(inputs).map(([name, [data, dims]]) => [name, upload(data, dims)]));
          const { channels, rows, cols } = shape;
          gpu = {
            device,
            euler: await sessions.graph(`euler:${tokens}`, () => eulerGraph(tokens), { gpuOutputs: true }),
            unpack: await sessions.graph(`unpack:${channels}x${rows}x${cols}`, () => unpackGraph(channels, rows, cols), { gpuOutputs: true }),
            dt: dts.map((dt) => tensorF32(Float32Array.of(dt), [1])),
            vae: {
              scaling: tensorF32(Float32Array.of(manifest.vae.scaling_factor), [1]),
              shift: tensorF32(Float32Array.of(manifest.vae.shift_factor), [1]),
            },
          };
        } else fixedFeeds = Object.fromEntries(Object.entries(inputs).map(([name, [data, dims]]) => [name, tensorF32(data, dims)]));
        const sync = hooks.syncGpu ? gpu?.device : undefined;
        const noiseFeed = onGpu ? (owned.push(gpuTensorF32(gpu!.device, noise, [1, tokens, 64])), owned.at(-1)!) : undefined;
        const pooledFrame = new Float32Array(pooled.length);

        await timed('frames', async () => {
          for (const [k, f] of todo.entries()) {
            const { scale } = plan[f]!;
            shiftPooledInto(pooledFrame, pooled, direction, scale);
            const pooledFeed = tensorF32(pooledFrame, [1, pooled.length]);
            // wasm: x is updated in place; WebGPU: x is a GPU tensor, replaced by each Euler step's output.
            let x: Float32Array | undefined;
            let xGpu: OrtTensor | undefined = noiseFeed;
            if (!gpu) x = Float32Array.from(noise);
            for (let step = 0; step < request.steps; step++) {
              cancel.check();
              emit({
                type: 'progress',
                stage: 'denoise',
                done: k * request.steps + step,
                total,
                frame: k,
                frames: todo.length,
                step,
                steps: request.steps,
              });
              const feeds = {
                ...fixedFeeds,
                hidden_states: xGpu ?? tensorF32(x!, [1, tokens, 64]),
                pooled_projections: pooledFeed,
                timestep: timesteps[step]!,
              };
              if (gpu) {
                const { out: v } = await timed('transformer', () => runTimed('transformer', transformer, feeds, ['out'], sync));
                let next: OrtTensor;
                try {
                  ({ x_next: next } = await timed('euler', () => runTimed('euler', gpu!.euler, { x: xGpu!, v: v!, dt: gpu!.dt[step]! }, ['x_next'], sync)) as { x_next: OrtTensor });
                } finally {
                  v!.dispose();
                }
                stepLatents?.dispose();
                xGpu = stepLatents = next;
                // Read back only when a hook asks for each step's latents (parity tests).
                if (hooks.onStep) hooks.onStep(f, step, Float32Array.from(await timed('readback', () => readF32(xGpu!))));
              } else {
                const [v] = await timed('transformer', () => run('transformer', transformer, feeds, ['out']));
                eulerStep(x!, v!, schedule.sigmas[step]!, schedule.sigmas[step + 1]!);
                hooks.onStep?.(f, step, Float32Array.from(x!));
              }
            }
            cancel.check();
            let image: Float32Array;
            if (gpu) {
              const { latents } = await timed('unpack', () => runTimed('unpack', gpu!.unpack, { x: xGpu!, ...gpu!.vae }, ['latents'], sync));
              stepLatents?.dispose();
              stepLatents = undefined;
              try {
                [image] = await timed('decode', () => run('decoder', decoder, { latents: latents! }, ['image'])) as [Float32Array];
              } finally {
                latents!.dispose();
              }
            } else {
              const latents = toDecoderInput(unpackLatents(x!, shape), manifest.vae.scaling_factor, manifest.vae.shift_factor);
              [image] = await timed('decode', () =>
                run('decoder', decoder, { latents: tensorF32(latents, [1, shape.channels, shape.rows, shape.cols]) }, ['image']),
              ) as [Float32Array];
            }
            hooks.onDecoded?.(f, image);
            const rgba = decoderOutputToRgba(image, request.width, request.height);
            frames[f] = { index: f, scale, cached: false, rgba };
            if (useCache) frameCache.set(keyOf(scale), rgba);
            emit({ type: 'frame', index: f, count: plan.length, scale, width: request.width, height: request.height, rgba: rgba.slice() });
          }
        });
      } finally {
        stepLatents?.dispose();
        for (const t of owned) t.dispose();
        await Promise.all([
          sessions.close('transformer', transformer),
          sessions.close('decoder', decoder),
          ...(gpu ? [sessions.closeGraph(gpu.euler), sessions.closeGraph(gpu.unpack)] : []),
        ]);
      }
      emit({ type: 'progress', stage: 'denoise', done: total, total });
    });
  }
}

/** Direction in pooled CLIP space: mean over template rounds of pooled(pos) − pooled(neg), batched. */
async function findDirection(
  bundle: LoadedBundle,
  request: RenderRequest,
  tokenizer: FixedLengthTokenizer,
  encodePooled: (ids: BigInt64Array, rows: number) => Promise<Float32Array>,
  emit: (e: GeneratorEvent) => void,
  cancel: CancelFlag,
  hooks: PipelineHooks,
): Promise<Float32Array> {
  const injectedPairs = hooks.pairs;
  const batch = hooks.directionBatch ?? DIRECTION_BATCH;
  const key = JSON.stringify([
    bundle.manifest.version,
    request.state1,
    request.state2,
    request.iterations,
    request.seed,
    injectedPairs ?? null,
  ]);
  const cached = hooks.directionBatch === undefined && hooks.directionCompact === undefined ? directionCache.get(key) : undefined;
  if (cached) return cached;
  // The Space's target is the 2nd state and its opposite the 1st.
  const pairs = injectedPairs ?? drawTemplatePairs(request.seed, request.iterations);
  const { positive, negative } = directionPrompts(request.state2, request.state1, pairs);
  let mean: DirectionMean | undefined;
  const rounds = Math.max(1, Math.floor(batch / 2));
  for (let start = 0; start < positive.length; start += rounds) {
    cancel.check();
    const end = Math.min(positive.length, start + rounds);
    const rows = end - start;
    // The positive and negative prompts of these rounds go through CLIP together (or one by one).
    const prompts = [...positive.slice(start, end), ...negative.slice(start, end)];
    const parts: Float32Array[] = [];
    for (let p = 0; p < prompts.length; p += batch) {
      const slice = prompts.slice(p, p + batch);
      const ids = hooks.directionCompact === false ? tokenizer.encode(slice) : tokenizer.encodeCompact(slice).ids;
      parts.push(await encodePooled(ids, slice.length));
    }
    const pooled = parts.length === 1 ? parts[0]! : concat(parts);
    const dim = pooled.length / (2 * rows);
    mean ??= new DirectionMean(dim);
    mean.add(pooled.subarray(0, rows * dim), pooled.subarray(rows * dim));
    emit({ type: 'progress', stage: 'direction', done: end, total: positive.length });
  }
  const direction = mean!.result();
  directionCache.set(key, direction);
  if (directionCache.size > 32) directionCache.delete(directionCache.keys().next().value!);
  return direction;
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

const tokenizerCache = new Map<string, Promise<{ clip: FixedLengthTokenizer; t5: FixedLengthTokenizer }>>();

function loadTokenizers(bundle: LoadedBundle, t5Length: number) {
  const key = `${bundle.manifest.version}:${t5Length}`;
  let entry = tokenizerCache.get(key);
  if (!entry) {
    entry = (async () => {
      const readJson = async (files: BundleManifest['tokenizers']['clip']['files'], name: string) => {
        const file = files.find((f) => f.path.endsWith(name));
        if (!file) throw new AppError('BundleInvalid', `the bundle's tokenizer has no ${name}`);
        const data = await bundle.read(file);
        const text = data instanceof Blob ? await data.text() : new TextDecoder().decode(data);
        return JSON.parse(text) as Record<string, unknown>;
      };
      const make = async (spec: BundleManifest['tokenizers']['clip'], maxLength: number) =>
        new FixedLengthTokenizer(
          await readJson(spec.files, 'tokenizer.json'),
          await readJson(spec.files, 'tokenizer_config.json'),
          maxLength,
        );
      const { clip, t5 } = bundle.manifest.tokenizers;
      return { clip: await make(clip, clip.max_length), t5: await make(t5, Math.min(t5Length, t5.max_length)) };
    })();
    entry.catch(() => tokenizerCache.delete(key));
    tokenizerCache.set(key, entry);
  }
  return entry;
}
