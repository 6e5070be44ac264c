// Real-size check harness (scripts/real-size-check.mjs, opt-in, never in CI): assembles a bundle through
// the app's own worker and comlink (as the model panel does: generator.worker.ts → assemble), then opens
// it from IndexedDB and renders one frame on WebGPU by calling the pipeline directly (runJob does not
// validate the request, so the check can use a shape far below the app's limits without widening them).
// Measures per stage: GPU buffer bytes (created minus destroyed), the page's JS heap, the wasm heap, and
// checks every output's shape and finiteness. Process memory is sampled by the node script.
import { wrap, proxy, type Remote } from 'comlink';
import type { GeneratorApi } from '../../src/shared/api';
import type { SourceDescription, AssemblyResult } from '../../src/shared/assemble-api';
import { assembledManifestUrl } from '../../src/shared/assemble-api';
import type { GeneratorEvent } from '../../src/shared/events';
import { DEFAULT_REQUEST, type RenderRequest } from '../../src/shared/request';
import { bundleSizes } from '../../src/shared/manifest';
import * as ortModule from '../../workers/runtime/ort';
import { runJob, CancelFlag, type LoadedBundle } from '../../workers/pipeline/run';
import * as store from '../../workers/store/bundles';
import { trackGpuMemory, gpuMemory, resetGpuPeak } from '../../workers/runtime/gpu-memory';

// Count WebGPU buffer bytes before any device exists (ORT's or ours).
trackGpuMemory();

type Failure = { name: string; message: string };
const failure = (error: unknown): Failure => ({
  name: error instanceof Error ? error.name : 'Error',
  message: error instanceof Error ? error.message : String(error),
});

/** The wasm heap of onnxruntime-web, where workers/runtime/ort.ts reports it (wasmHeapBytes, added by the lead). */
const wasmHeapFn = (ortModule as unknown as { wasmHeapBytes?: () => number | Promise<number> }).wasmHeapBytes;
async function wasmHeap(): Promise<number | null> {
  if (!wasmHeapFn) return null;
  try {
    return await wasmHeapFn();
  } catch {
    return null;
  }
}

/** JS heap in use (exact with --enable-precise-memory-info). */
const heapBytes = () => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? null;

interface StagePeak {
  heapPeak: number | null;
  wasmPeak: number | null;
  gpuPeak: number;
  gpuLiveAtEnd: number;
}
const marks: { stage: string; phase: 'start' | 'end'; at: number }[] = [];
const timings: { stage: string; ms: number; at: number }[] = [];
const peaks: Record<string, StagePeak> = {};
let current: string | undefined;
const max = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));

async function sample(): Promise<void> {
  if (!current) return;
  const p = peaks[current]!;
  p.heapPeak = max(p.heapPeak, heapBytes());
  p.wasmPeak = max(p.wasmPeak, await wasmHeap());
}
setInterval(() => void sample(), 250);
// What a hang waits on (seen: the CPU idle inside InferenceSession.create). The promises a session's
// creation and runs wait for are counted while pending; every 60 s the page says which are open, and for
// how long, on a line the check prints without counting it as progress.
const pending = new Map<number, { what: string; since: number }>();
let nextId = 0;
function track<T>(what: string, promise: Promise<T>): Promise<T> {
  const id = nextId++;
  pending.set(id, { what, since: performance.now() });
  const done = () => pending.delete(id);
  promise.then(done, done);
  return promise;
}
function wrapAsync(proto: object, name: string, label: string): void {
  const original = (proto as Record<string, (...args: unknown[]) => Promise<unknown>>)[name]!;
  (proto as Record<string, unknown>)[name] = function (this: unknown, ...args: unknown[]) {
    return track(label, original.apply(this, args));
  };
}
wrapAsync(Blob.prototype, 'arrayBuffer', 'Blob.arrayBuffer');
wrapAsync(Blob.prototype, 'text', 'Blob.text');
// onnxruntime-web's jspi build reads each initializer of a Blob as blob.slice(…).stream() with a BYOB reader.
if (typeof ReadableStreamBYOBReader !== 'undefined') wrapAsync(ReadableStreamBYOBReader.prototype, 'read', 'BYOB read');
wrapAsync(ReadableStreamDefaultReader.prototype, 'read', 'stream read');
if (typeof GPUBuffer !== 'undefined') wrapAsync(GPUBuffer.prototype, 'mapAsync', 'GPUBuffer.mapAsync');
if (typeof GPUQueue !== 'undefined') wrapAsync(GPUQueue.prototype, 'onSubmittedWorkDone', 'GPUQueue.onSubmittedWorkDone');
if (typeof GPUDevice !== 'undefined') wrapAsync(GPUDevice.prototype, 'popErrorScope', 'GPUDevice.popErrorScope');
setInterval(() => {
  const now = performance.now();
  const open = [...pending.values()].filter((p) => now - p.since > 10_000);
  const byWhat = new Map<string, { n: number; oldest: number }>();
  for (const p of open) {
    const e = byWhat.get(p.what) ?? { n: 0, oldest: 0 };
    byWhat.set(p.what, { n: e.n + 1, oldest: Math.max(e.oldest, (now - p.since) / 1000) });
  }
  const list = [...byWhat].map(([what, e]) => `${what} x${e.n} (oldest ${e.oldest.toFixed(0)} s)`).join(', ');
  console.info(`[real-size-wait] ${pending.size} tracked promises pending; over 10 s: ${list || 'none'}`);
}, 60_000);

function stageStart(stage: string): void {
  current = stage;
  resetGpuPeak();
  peaks[stage] = { heapPeak: heapBytes(), wasmPeak: null, gpuPeak: gpuMemory().liveBytes, gpuLiveAtEnd: 0 };
  marks.push({ stage, phase: 'start', at: Date.now() });
  console.info(`[real-size] ${stage} start; GPU live ${(gpuMemory().liveBytes / 1e9).toFixed(2)} GB`);
  void sample();
}
function stageEnd(stage: string): void {
  void sample();
  const m = gpuMemory();
  const p = peaks[stage]!;
  p.gpuPeak = Math.max(p.gpuPeak, m.peakBytes);
  p.gpuLiveAtEnd = m.liveBytes;
  marks.push({ stage, phase: 'end', at: Date.now() });
  console.info(`[real-size] ${stage} end; GPU live ${(m.liveBytes / 1e9).toFixed(2)} GB, peak ${(p.gpuPeak / 1e9).toFixed(2)} GB`);
  if (current === stage) current = undefined;
}

/** Shape (from the array's length) and finiteness of one output. */
function describe(data: Float32Array, shape: number[]) {
  let nonFinite = 0;
  let min = Infinity;
  let maxValue = -Infinity;
  let sumAbs = 0;
  for (const v of data) {
    if (!Number.isFinite(v)) {
      nonFinite++;
      continue;
    }
    if (v < min) min = v;
    if (v > maxValue) maxValue = v;
    sumAbs += Math.abs(v);
  }
  const expected = shape.reduce((n, d) => n * d, 1);
  return {
    shape,
    length: data.length,
    shapeOk: data.length === expected,
    nonFinite,
    min,
    max: maxValue,
    meanAbs: sumAbs / Math.max(1, data.length),
  };
}

// ------------------------------------------------------------------------------------------ assembly

let worker: Worker | undefined;
let remote: Remote<GeneratorApi> | undefined;
const assembly = {
  running: false,
  result: undefined as AssemblyResult | undefined,
  error: undefined as Failure | undefined,
  events: 0,
  lastDownload: undefined as Extract<GeneratorEvent, { type: 'download' }> | undefined,
  lastEvent: undefined as string | undefined,
  storagePeak: 0,
  storageNow: 0,
  quota: 0,
};

async function pollStorage(): Promise<void> {
  const e = await navigator.storage.estimate();
  assembly.storageNow = e.usage ?? 0;
  assembly.quota = e.quota ?? 0;
  assembly.storagePeak = Math.max(assembly.storagePeak, assembly.storageNow);
}

const api = {
  /** The WebGPU adapter the check renders on. */
  async adapter() {
    const adapter = await navigator.gpu?.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return null;
    const { vendor, architecture, description } = adapter.info;
    return {
      vendor,
      architecture,
      description,
      maxBufferSize: adapter.limits.maxBufferSize,
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      shaderF16: adapter.features.has('shader-f16'),
      wasmHeapReported: wasmHeapFn !== undefined,
      crossOriginIsolated: self.crossOriginIsolated,
    };
  },

  /** Whether the store holds the bundle complete (a reused profile). */
  isStored: async (id: string) => (await store.findCachedBundle(assembledManifestUrl(id))) !== undefined,

  /** Starts the assembly in the app's worker (comlink), as the model panel does; poll with assemblyStatus(). */
  startAssembly(source: SourceDescription) {
    worker = new Worker(new URL('../../workers/generator.worker.ts', import.meta.url), { type: 'module', name: 'generator' });
    // A worker that fails to load never answers comlink: end the assembly with its error instead.
    worker.addEventListener('error', (e) => {
      assembly.error = { name: 'WorkerError', message: e.message || 'the worker failed to load' };
      assembly.running = false;
    });
    remote = wrap<GeneratorApi>(worker);
    assembly.running = true;
    stageStart('assemble');
    const timer = setInterval(() => void pollStorage(), 1000);
    void pollStorage();
    remote
      .assemble(
        'real-size-assemble',
        source,
        proxy((e: GeneratorEvent) => {
          assembly.events++;
          assembly.lastEvent = e.type === 'warning' ? `warning ${e.code} ${e.detail ?? ''}` : e.type;
          if (e.type === 'download') assembly.lastDownload = e;
        }),
      )
      .then(
        (r) => void (assembly.result = r),
        (error: unknown) => void (assembly.error = failure(error)),
      )
      .finally(async () => {
        clearInterval(timer);
        await pollStorage();
        stageEnd('assemble');
        assembly.running = false;
      });
  },
  assemblyStatus: () => ({ ...assembly, heap: heapBytes() }),

  /** Ends the assembly worker, so that its memory is gone before the render. */
  stopWorker() {
    worker?.terminate();
    worker = undefined;
    remote = undefined;
  },

  /**
   * Opens the stored bundle from IndexedDB and renders the first frame of a 3-frame job on WebGPU,
   * then cancels the job (planFrames gives no finite scale for a 1-frame job; frame 0 of 3 has scale
   * −strength). Returns every timing, per-stage peaks and the outputs' shapes and ranges.
   */
  async render(id: string, size: number, maxSequenceLength: number) {
    const out: {
      manifestBytes?: ReturnType<typeof bundleSizes>;
      widths?: { t5: number; clip: number };
      t5?: ReturnType<typeof describe>;
      pooled?: ReturnType<typeof describe>;
      direction?: ReturnType<typeof describe>;
      image?: ReturnType<typeof describe>;
      tokens?: number;
      error?: Failure;
      cancelledAfterFirstFrame?: boolean;
      events: string[];
    } = { events: [] };
    stageStart('open');
    let bundle: LoadedBundle;
    try {
      const cached = await store.openCachedBundle(assembledManifestUrl(id));
      // As the engine loads a stored bundle: every file is hashed beside its session's creation (verify).
      bundle = { manifest: cached.manifest, read: cached.read, verify: cached.verify, verified: cached.verified, backend: 'webgpu' };
      out.manifestBytes = bundleSizes(cached.manifest);
      // The contract's widths: T5's d_model (4096) and CLIP's hidden size (768) for FLUX.1-schnell.
      out.widths = {
        t5: Number(cached.manifest.components.t5.config.d_model),
        clip: Number(cached.manifest.components.clip.config.hidden_size),
      };
    } catch (error) {
      out.error = failure(error);
      return { ...out, marks, timings, peaks };
    } finally {
      stageEnd('open');
    }
    const request: RenderRequest = {
      ...DEFAULT_REQUEST,
      prompt: 'a tomato',
      state1: 'fresh',
      state2: 'rotten',
      width: size,
      height: size,
      steps: 1,
      frames: 3,
      strength: 0,
      iterations: 0,
      seed: 0,
      // Check only (runJob does not validate): the T5 tokenizer pads to min(this, max_length).
      maxSequenceLength: maxSequenceLength as RenderRequest['maxSequenceLength'],
    };
    const cancel = new CancelFlag();
    let decoded = false;
    try {
      await runJob(
        bundle,
        request,
        (e) => {
          if (e.type === 'stage' || e.type === 'warning') out.events.push(e.type === 'stage' ? `stage:${e.stage}` : `warning:${e.code}`);
          if (e.type === 'frame') out.events.push(`frame:${e.index}`);
        },
        cancel,
        {
          frameCache: false,
          syncGpu: true,
          onStage: (stage, phase) => (phase === 'start' ? stageStart(stage) : stageEnd(stage)),
          onTiming: (stage, ms) => {
            console.info(`[real-size] ${stage} ${(ms / 1000).toFixed(1)} s`);
            timings.push({ stage, ms, at: Date.now() });
            void sample();
          },
          onEncoded: (e) => {
            out.tokens = e.t5Ids.length;
            out.t5 = describe(e.t5, [1, e.t5Ids.length, e.t5.length / Math.max(1, e.t5Ids.length)]);
            out.pooled = describe(e.pooled, [1, e.pooled.length]);
            out.direction = describe(e.direction, [1, e.direction.length]);
          },
          onDecoded: (_frame, image) => {
            out.image = describe(image, [1, 3, size, size]);
            decoded = true;
            cancel.cancelled = true;
          },
        },
      );
    } catch (error) {
      if (decoded && error instanceof Error && error.name === 'AbortError') out.cancelledAfterFirstFrame = true;
      else out.error = failure(error);
    }
    return { ...out, marks, timings, peaks, gpuAfter: gpuMemory(), wasmAfter: await wasmHeap(), heapAfter: heapBytes() };
  },

  marks: () => marks,
  peaks: () => peaks,
  deleteBundle: async (id: string) => {
    try {
      await store.deleteBundle(id);
      return null;
    } catch (error) {
      return failure(error);
    }
  },
};

export type RealSizeTest = typeof api;
(window as unknown as { realSize: RealSizeTest }).realSize = api;
document.getElementById('status')!.textContent = 'ready';
