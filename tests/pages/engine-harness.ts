// Parity harness: runs the real engine (onnxruntime-web in this page) on the tiny bundle with the
// reference's noise and template pairs injected, and measures the distance to diffusers' outputs.
import { render, engine } from '../../workers/engine';
import type { Backend, GeneratorEvent } from '../../src/shared/events';
import type { RenderRequest } from '../../src/shared/request';
import { DEFAULT_REQUEST } from '../../src/shared/request';
import { trackGpuMemory, gpuMemory, resetGpuPeak } from '../../workers/runtime/gpu-memory';
import { ortBuild } from '../../workers/runtime/ort';
import { gpuDevice } from '../../workers/runtime/gpu-device';

// Count WebGPU buffer bytes before onnxruntime-web creates its device.
trackGpuMemory();

interface TensorRef {
  file: string;
  dtype: 'float32' | 'int64' | 'uint8';
  shape: number[];
}
interface DirectionCase {
  name: string;
  target: string;
  opposite: string;
  pairs: [number, number][];
  direction: TensorRef;
}
interface GenerationCase {
  name: string;
  prompt: string;
  width: number;
  height: number;
  steps: number;
  max_sequence_length: 256 | 512;
  strength: number;
  frames_count: number;
  direction_case: string;
  clip_ids: TensorRef;
  t5_ids: TensorRef;
  pooled: TensorRef;
  t5_embeds: TensorRef;
  noise: TensorRef;
  frames: FrameRef[];
}
interface FrameRef {
  scale: number;
  step_latents: TensorRef[];
  image: TensorRef;
  rgb: TensorRef;
}
interface ReferenceIndex {
  bundle: string;
  direction_cases: DirectionCase[];
  generation_cases: GenerationCase[];
}

const FIXTURES = '/tests/fixtures/reference/tiny/';

async function loadTensor(ref: TensorRef): Promise<Float32Array | BigInt64Array | Uint8Array> {
  const buffer = await (await fetch(FIXTURES + ref.file)).arrayBuffer();
  if (ref.dtype === 'float32') return new Float32Array(buffer);
  if (ref.dtype === 'int64') return new BigInt64Array(buffer);
  return new Uint8Array(buffer);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function psnr(rgba: Uint8ClampedArray, rgb: Uint8Array): number {
  let se = 0;
  const n = rgb.length / 3;
  for (let p = 0; p < n; p++) for (let c = 0; c < 3; c++) se += (rgba[p * 4 + c]! - rgb[p * 3 + c]!) ** 2;
  const mse = se / (n * 3);
  return mse === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((255 * 255) / mse);
}

function sameIds(a: BigInt64Array, b: BigInt64Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

async function index(): Promise<ReferenceIndex> {
  return (await fetch(FIXTURES + 'index.json')).json();
}

function requestFor(c: GenerationCase, d: DirectionCase): RenderRequest {
  return {
    ...DEFAULT_REQUEST,
    prompt: c.prompt,
    state1: d.opposite,
    state2: d.target,
    strength: c.strength,
    frames: c.frames_count,
    iterations: d.pairs.length,
    steps: c.steps,
    seed: 0,
    width: c.width,
    height: c.height,
    maxSequenceLength: c.max_sequence_length,
  };
}

// ?bundle=<manifest URL> points the harness at another bundle (benchmarks, scratch exports).
const MANIFEST = { manifestUrl: new URLSearchParams(location.search).get('bundle') ?? '/models/tiny/manifest.json' };

/** Runs one generation case and returns the worst distances to the reference. */
async function runParity(name: string, backend: Backend) {
  const ref = await index();
  const c = ref.generation_cases.find((g) => g.name === name);
  if (!c) throw new Error(`no case ${name}`);
  const d = ref.direction_cases.find((x) => x.name === c.direction_case)!;
  const frameRefs = c.frames;
  const noise = (await loadTensor(c.noise)) as Float32Array;
  const steps: Float32Array[][] = [];
  const images: Float32Array[] = [];
  const rgbas: Uint8ClampedArray[] = [];
  let encoded:
    { clipIds: BigInt64Array; t5Ids: BigInt64Array; pooled: Float32Array; t5: Float32Array; direction: Float32Array } | undefined;
  const events: GeneratorEvent[] = [];
  const result = await render(
    `parity-${name}-${backend}`,
    MANIFEST,
    requestFor(c, d),
    (e) => {
      events.push(e.type === 'frame' ? { ...e, rgba: new Uint8ClampedArray(0) } : e);
      if (e.type === 'frame') rgbas[e.index] = e.rgba;
    },
    {
      backend,
      hooks: {
        noise,
        pairs: d.pairs,
        onEncoded: (e) => (encoded = e),
        onStep: (f, s, x) => ((steps[f] ??= [])[s] = x),
        onDecoded: (f, image) => (images[f] = image),
      },
    },
  );
  const metrics = {
    backend: result.backend,
    ortBuild,
    clipIdsEqual: sameIds(encoded!.clipIds, (await loadTensor(c.clip_ids)) as BigInt64Array),
    t5IdsEqual: sameIds(encoded!.t5Ids, (await loadTensor(c.t5_ids)) as BigInt64Array),
    pooled: maxAbsDiff(encoded!.pooled, (await loadTensor(c.pooled)) as Float32Array),
    t5: maxAbsDiff(encoded!.t5, (await loadTensor(c.t5_embeds)) as Float32Array),
    direction: maxAbsDiff(encoded!.direction, (await loadTensor(d.direction)) as Float32Array),
    latents: 0,
    image: 0,
    minPsnr: Number.POSITIVE_INFINITY,
    frames: rgbas.length,
    stepsSeen: steps.map((s) => s.length),
    timings: result.timings,
    backendEvents: events.filter((e) => e.type === 'backend'),
  };
  for (let f = 0; f < frameRefs.length; f++) {
    const fr = frameRefs[f]!;
    for (let s = 0; s < fr.step_latents.length; s++)
      metrics.latents = Math.max(metrics.latents, maxAbsDiff(steps[f]![s]!, (await loadTensor(fr.step_latents[s]!)) as Float32Array));
    metrics.image = Math.max(metrics.image, maxAbsDiff(images[f]!, (await loadTensor(fr.image)) as Float32Array));
    metrics.minPsnr = Math.min(metrics.minPsnr, psnr(rgbas[f]!, (await loadTensor(fr.rgb)) as Uint8Array));
  }
  return metrics;
}

/**
 * Runs a request with the engine's own seeded noise and direction. With `cancelAtStep`, cancels the
 * job when that denoising step starts. Returns the frames' bytes, the events, and the error name.
 */
async function runPlain(request: Partial<RenderRequest>, backend: Backend, job = 'plain', cancelAtStep?: number, frameCache = true) {
  const frames: number[][] = [];
  const events: string[] = [];
  const sessions: string[] = [];
  let cancelled = false;
  try {
    const result = await render(
      job,
      MANIFEST,
      { ...DEFAULT_REQUEST, width: 64, height: 64, ...request },
      (e) => {
        if (e.type === 'progress' && e.stage === 'denoise' && e.step !== undefined) {
          events.push(`${cancelled ? 'after-cancel:' : ''}step:${e.frame}:${e.step}`);
          if (e.done === cancelAtStep) {
            cancelled = true;
            void engine.cancel(job);
          }
        } else events.push(e.type === 'stage' ? `stage:${e.stage}` : e.type);
        if (e.type === 'frame') frames[e.index] = Array.from(e.rgba);
      },
      { backend, hooks: { frameCache, onTiming: (stage) => stage.startsWith('session:') && sessions.push(stage) } },
    );
    const rendered = result.frames.filter((f) => !f.cached).map((f) => f.index);
    return { result, frames, events, sessions, rendered, error: null };
  } catch (error) {
    return { result: null, frames, events, sessions, error: { name: (error as Error).name, message: (error as Error).message } };
  }
}

interface BenchOptions {
  backend: Backend;
  manifestUrl?: string;
  /** Prompts per CLIP run for the direction (1 = one at a time). */
  directionBatch?: number;
  /** false: pad direction prompts to 77 tokens as the Space does. */
  directionCompact?: boolean;
  /** Override the bundle-size rule: false releases every stage's sessions after it (peak = largest stage). */
  keepWarm?: boolean;
  /** false: WebGPU reads latents back every step and steps in JS (the engine before issue 8). */
  gpuLatents?: boolean;
  /** Wait for the GPU after each GPU-resident run so per-run times are true (see PipelineHooks.syncGpu). */
  syncGpu?: boolean;
  /** ORT's WebGPU storage-buffer cache mode for this page's sessions (PipelineHooks.gpuBufferCache). */
  gpuBufferCache?: 'disabled' | 'lazyRelease' | 'simple' | 'bucket';
  /** Also encode the frames as a video (workers/video/encoder.ts) and time it. */
  video?: boolean;
}

/** JS heap in use (Chromium with --enable-precise-memory-info gives exact numbers). */
function heapBytes(): number {
  return (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? Number.NaN;
}

/**
 * One timed job for scripts/bench.mjs: every stage's times (every session.run as run:<name>), the GPU
 * buffer bytes held at each measured stage's peak (t5, clip, denoise: session creation to release),
 * the JS heap's peak at stage and step boundaries, and optionally the video encode. The frame cache
 * is off: every frame is rendered.
 */
async function runBench(request: Partial<RenderRequest>, options: BenchOptions) {
  const times: Record<string, number[]> = {};
  const stages: Record<string, { peakBytes: number; liveAtEnd: number }> = {};
  // Per component: the GPU peak of its stage so far when its session was created, and the bytes live then.
  const created: Record<string, { peakBytes: number; liveBytes: number }> = {};
  let heapPeak = heapBytes();
  const sampleHeap = () => (heapPeak = Math.max(heapPeak, heapBytes()));
  const frames: { rgba: Uint8ClampedArray<ArrayBuffer> }[] = [];
  const before = gpuMemory();
  resetGpuPeak();
  const start = performance.now();
  const req = { ...DEFAULT_REQUEST, width: 64, height: 64, ...request };
  const result = await render(
    `bench-${performance.now()}`,
    { manifestUrl: options.manifestUrl ?? MANIFEST.manifestUrl },
    req,
    (e) => {
      if (e.type === 'frame') frames[e.index] = { rgba: e.rgba as Uint8ClampedArray<ArrayBuffer> };
    },
    {
      backend: options.backend,
      hooks: {
        frameCache: false,
        onTiming: (stage, ms) => {
          (times[stage] ??= []).push(ms);
          sampleHeap();
          if (stage.startsWith('create:')) created[stage.slice(7)] = gpuMemory();
        },
        onStage: (stage, phase) => {
          sampleHeap();
          if (phase === 'start') resetGpuPeak();
          else {
            const m = gpuMemory();
            stages[stage] = { peakBytes: m.peakBytes, liveAtEnd: m.liveBytes };
            resetGpuPeak();
          }
        },
        ...(options.directionBatch ? { directionBatch: options.directionBatch } : {}),
        ...(options.directionCompact !== undefined ? { directionCompact: options.directionCompact } : {}),
        ...(options.keepWarm !== undefined ? { keepWarm: options.keepWarm } : {}),
        ...(options.gpuLatents !== undefined ? { gpuLatents: options.gpuLatents } : {}),
        ...(options.syncGpu ? { syncGpu: true } : {}),
        ...(options.gpuBufferCache ? { gpuBufferCache: options.gpuBufferCache } : {}),
      },
    },
  );
  const wallMs = performance.now() - start;
  let videoMs: number | undefined;
  let videoCodec: string | undefined;
  if (options.video) {
    const { encodeVideo } = await import('../../workers/video/encoder');
    const t = performance.now();
    const video = await encodeVideo({ width: req.width, height: req.height, frames }, undefined);
    videoMs = performance.now() - t;
    videoCodec = video.codec;
  }
  return {
    backend: result.backend,
    wallMs,
    times,
    stages,
    created,
    gpuBefore: before,
    gpuAfter: gpuMemory(),
    heapPeak,
    videoMs,
    videoCodec,
  };
}

/**
 * A WebGPU job whose GPU device is destroyed when its first denoising step starts (as a driver reset or
 * a crashed GPU process would), then the same job again: the first must end in words, the second run.
 */
async function runLosingDevice(request: Partial<RenderRequest>) {
  const full = { ...DEFAULT_REQUEST, width: 64, height: 64, ...request };
  let lost: { name: string; message: string } | undefined;
  try {
    await render(
      'lose-device',
      MANIFEST,
      full,
      (e) => {
        if (e.type === 'progress' && e.stage === 'denoise' && e.done === 0) void gpuDevice().then((d) => d.destroy());
      },
      { backend: 'webgpu', hooks: { frameCache: false } },
    );
  } catch (error) {
    lost = { name: (error as Error).name, message: (error as Error).message };
  }
  const next = await render('after-loss', MANIFEST, full, () => undefined, { backend: 'webgpu', hooks: { frameCache: false } });
  return { lost, next: { backend: next.backend, frames: next.frames.length } };
}

Object.assign(window, { runLosingDevice, runParity, runPlain, runBench, referenceIndex: index, engineRender: render });
document.getElementById('status')!.textContent = 'ready';
