// The only owner of onnxruntime-web: which build runs, environment, sessions, tensors.
//
// Two builds of the same native WebGPU execution provider (docs/runtime.md):
// - `jspi` (Chromium 137+, where WebAssembly.Suspending exists) takes Blob external data and streams
//   it one initializer at a time into GPU buffers: a component's weights never sit whole in this
//   worker's memory, so the 12B model can be loaded.
// - `asyncify` (every other WebGPU or wasm browser) turns every external-data Blob into an
//   ArrayBuffer first: all weights in JS memory. It is refused components above ASYNCIFY_WEIGHT_BUDGET.
import type * as OrtApi from 'onnxruntime-web/webgpu';
import asyncifyWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import jspiWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.jspi.wasm?url';
import type { Backend } from '../../src/shared/events';
import type { BundleComponent, BundleFile } from '../../src/shared/manifest';
import { AppError } from '../../src/shared/errors';
import { ASYNCIFY_WEIGHT_BUDGET } from '../../src/shared/preflight';
import { gpuDevice, guardGpu } from './gpu-device';

export type OrtBuild = 'jspi' | 'asyncify';

/** Whether this browser can run the jspi build (JavaScript Promise Integration). */
export const hasJspi = (): boolean => typeof (WebAssembly as { Suspending?: unknown }).Suspending === 'function';

/** jspi where it runs; `?ort=asyncify` (or `jspi`) on the page's or worker's URL forces one (tests, diagnostics). */
function chooseOrtBuild(): OrtBuild {
  const forced = new URLSearchParams(self.location.search).get('ort');
  if (forced === 'asyncify' || forced === 'jspi') return forced;
  return hasJspi() ? 'jspi' : 'asyncify';
}

let wasmMemory: WebAssembly.Memory | undefined;
/**
 * Remembers the Memory that ORT's wasm imports (emscripten creates it in JS and passes it in), so the
 * wasm heap's size can be reported. Only looks; nothing is changed.
 */
function watchWasmMemory(): void {
  const seen = (imports: WebAssembly.Imports | undefined) => {
    for (const module of Object.values(imports ?? {}))
      for (const value of Object.values(module)) if (value instanceof WebAssembly.Memory) wasmMemory = value;
  };
  const instantiate = WebAssembly.instantiate.bind(WebAssembly) as (...args: unknown[]) => Promise<unknown>;
  const instantiateStreaming = WebAssembly.instantiateStreaming.bind(WebAssembly) as (...args: unknown[]) => Promise<unknown>;
  Object.assign(WebAssembly, {
    instantiate: (source: unknown, imports?: WebAssembly.Imports) => (seen(imports), instantiate(source, imports)),
    instantiateStreaming: (source: unknown, imports?: WebAssembly.Imports) => (seen(imports), instantiateStreaming(source, imports)),
  });
}
watchWasmMemory();

export const ortBuild: OrtBuild = chooseOrtBuild();

/** Threads for wasm: threaded wasm needs SharedArrayBuffer, i.e. a cross-origin isolated page. */
export const ortThreads = self.crossOriginIsolated ? Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)) : 1;

let ortModule: typeof OrtApi | undefined;
let loading: Promise<typeof OrtApi> | undefined;

/**
 * Loads the chosen build on first use. Not a top-level await: a module worker whose imports are still
 * evaluating drops the messages it receives meanwhile (the page's first comlink call was lost).
 */
export function loadOrt(): Promise<typeof OrtApi> {
  loading ??= (async () => {
    if (ortBuild === 'jspi' && !hasJspi())
      throw new AppError('BackendFailed', 'The jspi build of onnxruntime-web was asked for, but this browser has no JSPI.');
    const module: typeof OrtApi = ortBuild === 'jspi' ? await import('onnxruntime-web/jspi') : await import('onnxruntime-web/webgpu');
    module.env.wasm.wasmPaths = { wasm: ortBuild === 'jspi' ? jspiWasmUrl : asyncifyWasmUrl };
    module.env.logLevel = 'error';
    module.env.wasm.numThreads = ortThreads;
    return (ortModule = module);
  })();
  loading.catch(() => (loading = undefined));
  return loading;
}

/** The loaded build, for the synchronous tensor helpers (every job loads it before making tensors). */
function ort(): typeof OrtApi {
  if (!ortModule) throw new AppError('Internal', 'onnxruntime-web is used before loadOrt() finished.');
  return ortModule;
}

export type OrtSession = OrtApi.InferenceSession;
export type OrtTensor = OrtApi.Tensor;

/** The size of onnxruntime-web's wasm heap (one per page, never shrunk): 0 before its first session. */
export function wasmHeapBytes(): number {
  return wasmMemory?.buffer.byteLength ?? 0;
}

/** Reads a bundle file's bytes; the store implements it over IndexedDB (Blobs), tests over URLs. */
export type FileReader = (file: BundleFile) => Promise<Uint8Array | Blob>;

/** Session options beyond the backend: where outputs stay, and WebGPU graph capture. */
export interface SessionSetup {
  /** WebGPU: keep these outputs (or all, with true) in GPU buffers instead of reading them back. */
  gpuOutputs?: boolean | readonly string[];
  /**
   * WebGPU: capture the command stream on the first run and replay it on later runs. ORT then ignores
   * the feeds it is given: every input and output must be a GPU buffer, the same ones on every run
   * (write new values into them), and every node must run on WebGPU (see fixedDims).
   */
  graphCapture?: boolean;
  /**
   * Values for the graph's symbolic dimensions (ORT's freeDimensionOverrides): with every shape known
   * when the session is made, ORT folds the shape arithmetic into constants, so no node is left on the
   * CPU for it. The session then runs only at those sizes.
   */
  fixedDims?: Readonly<Record<string, number>>;
  /**
   * WebGPU: what ORT does with a storage buffer it frees ('bucket', its default, keeps it for reuse;
   * 'disabled' destroys it). ORT reads it when it first sees a device; later sessions on that device
   * cannot change it.
   */
  bufferCache?: 'disabled' | 'lazyRelease' | 'simple' | 'bucket';
  /**
   * WebGPU: nodes to run on the CPU. Used for the text encoders' token-embedding Gather: its table
   * then stays in CPU memory (ORT's wasm heap) instead of being uploaded (ORT uploads each initializer
   * through a staging buffer of its own size, so the largest table set the stage's GPU peak), and the
   * lookup of a few dozen rows costs nothing on the CPU.
   */
  cpuNodes?: readonly string[];
}

/** Where a session's time went while it was being made: reading the bundle's bytes, then creating it. */
export type SessionPhaseTimer = (phase: 'read' | 'create', ms: number) => void;

/**
 * Errors only from a session's own log: at ORT's default (warning) every WebGPU session printed
 * "VerifyEachNodeIsAssignedToAnEp" (shape ops placed on the CPU, as designed) through console.error.
 */
const SESSION_LOG_ERRORS_ONLY = 3;

async function ortOptions(backend: Backend, setup: SessionSetup): Promise<OrtApi.InferenceSession.SessionOptions> {
  const common = { graphOptimizationLevel: 'all', logSeverityLevel: SESSION_LOG_ERRORS_ONLY } as const;
  if (backend !== 'webgpu') return { executionProviders: [backend], ...common };
  // onnxruntime-web reads the device, enableGraphCapture and the cache modes only when the EP is an object.
  const webgpu: OrtApi.InferenceSession.WebGpuExecutionProviderOption & {
    device?: GPUDevice;
    storageBufferCacheMode?: string;
    forceCpuNodeNames?: readonly string[];
  } = { name: 'webgpu', device: await gpuDevice() };
  if (setup.bufferCache) webgpu.storageBufferCacheMode = setup.bufferCache;
  if (setup.cpuNodes?.length) webgpu.forceCpuNodeNames = setup.cpuNodes;
  const options: OrtApi.InferenceSession.SessionOptions = { executionProviders: [webgpu], ...common };
  if (setup.gpuOutputs)
    options.preferredOutputLocation =
      setup.gpuOutputs === true ? 'gpu-buffer' : Object.fromEntries(setup.gpuOutputs.map((name) => [name, 'gpu-buffer' as const]));
  if (setup.graphCapture) options.enableGraphCapture = true;
  if (setup.fixedDims) options.freeDimensionOverrides = { ...setup.fixedDims };
  return options;
}

/** Runs ORT work on the backend: on WebGPU under error scopes, so a GPU failure ends it in words. */
const onBackend = <T>(backend: Backend, what: string, work: () => Promise<T>): Promise<T> =>
  backend === 'webgpu' ? guardGpu(what, work) : work();

/** Sessions made for WebGPU: their runs go through guardGpu. */
const onWebGpu = new WeakSet<OrtSession>();
const track = (backend: Backend, session: OrtSession) => (backend === 'webgpu' && onWebGpu.add(session), session);

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/**
 * Creates a session for a bundle component on one backend, with its weights as external data. On the
 * jspi build the stored Blobs go to ORT as they are (streamed per initializer); only the graph itself
 * is read into memory. The asyncify build refuses a component above ASYNCIFY_WEIGHT_BUDGET with a
 * message instead of a crashed tab (the preflight says so before anything is downloaded).
 */
export async function createSession(
  component: BundleComponent,
  read: FileReader,
  backend: Backend,
  setup: SessionSetup = {},
  onPhase?: SessionPhaseTimer,
): Promise<OrtSession> {
  const weights = component.external_data.reduce((n, f) => n + f.bytes, 0);
  if (ortBuild === 'asyncify' && weights > ASYNCIFY_WEIGHT_BUDGET)
    throw new AppError(
      'BackendFailed',
      `This model's ${component.graph.path.split('/')[0]} weighs ${gib(weights)}; this browser's onnxruntime build would hold all of it ` +
        `in the page's memory (at most ${gib(ASYNCIFY_WEIGHT_BUDGET)}). Use a Chromium-based browser, version 137 or newer, which streams weights to the GPU.`,
    );
  let start = performance.now();
  const [graph, ...shards] = await Promise.all([read(component.graph), ...component.external_data.map(read)]);
  const graphBytes = graph instanceof Blob ? new Uint8Array(await graph.arrayBuffer()) : graph!;
  // The graph names each shard by its basename (docs/bundle-format.md). A Blob is never read here: the
  // jspi build streams it, the asyncify build reads it whole itself (it cannot do otherwise).
  const externalData = component.external_data.map((file, i) => ({ path: file.path.split('/').pop()!, data: shards[i]! }));
  onPhase?.('read', performance.now() - start);
  start = performance.now();
  try {
    await loadOrt();
    const options = { ...(await ortOptions(backend, setup)), externalData };
    return track(
      backend,
      await onBackend(backend, `loading ${component.graph.path}`, () => ort().InferenceSession.create(graphBytes, options)),
    );
  } finally {
    onPhase?.('create', performance.now() - start);
  }
}

/** A session for a graph built at run time (workers/pipeline/latent-graphs.ts). */
export async function createGraphSession(model: Uint8Array, backend: Backend, setup: SessionSetup = {}): Promise<OrtSession> {
  await loadOrt();
  const options = await ortOptions(backend, setup);
  return track(backend, await onBackend(backend, 'preparing the latent graphs', () => ort().InferenceSession.create(model, options)));
}

export function tensorF32(data: Float32Array, dims: readonly number[]): OrtTensor {
  return new (ort().Tensor)('float32', data, dims);
}

export function tensorI64(data: BigInt64Array, dims: readonly number[]): OrtTensor {
  return new (ort().Tensor)('int64', data, dims);
}

/**
 * A float32 tensor in a GPU buffer of ORT's device, uploaded once (fixed feeds, noise): feeding it
 * costs no upload per run. dispose() destroys the buffer; getData() reads it back.
 */
export function gpuTensorF32(device: GPUDevice, data: Float32Array, dims: readonly number[]): OrtTensor {
  // Storage buffers are bound in 4-byte units; ORT pads its own the same way (16 bytes).
  const size = Math.max(16, Math.ceil(data.byteLength / 16) * 16);
  const buffer = device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  return ort().Tensor.fromGpuBuffer(buffer as unknown as OrtApi.Tensor.GpuBufferType, {
    dataType: 'float32',
    dims,
    download: () => downloadF32(device, buffer, data.length),
    dispose: () => buffer.destroy(),
  });
}

async function downloadF32(device: GPUDevice, buffer: GPUBuffer, length: number): Promise<Float32Array> {
  const staging = device.createBuffer({ size: buffer.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    const encoder = device.createCommandEncoder();
    encoder.copyBufferToBuffer(buffer, 0, staging, 0, buffer.size);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    return new Float32Array(staging.getMappedRange().slice(0, length * 4));
  } finally {
    staging.destroy();
  }
}

/**
 * Reads a GPU tensor back without changing it: ORT's getData() turns the tensor into a CPU tensor, which
 * a graph-captured session's fixed input or output must never become.
 */
export function peekGpuF32(device: GPUDevice, tensor: OrtTensor): Promise<Float32Array> {
  return guardGpu('reading a result from the GPU', () => downloadF32(device, tensor.gpuBuffer as unknown as GPUBuffer, tensor.size));
}

/** Overwrites a gpuTensorF32's contents (same size), ordered before any later run on the queue. */
export function writeGpuTensor(device: GPUDevice, tensor: OrtTensor, data: Float32Array): void {
  device.queue.writeBuffer(tensor.gpuBuffer as unknown as GPUBuffer, 0, data.buffer, data.byteOffset, data.byteLength);
}

/** Runs a session; outputs stay where the session puts them (CPU, or GPU buffers). Caller disposes. */
export async function runSession(
  session: OrtSession,
  feeds: Record<string, OrtTensor>,
  names: readonly string[],
): Promise<Record<string, OrtTensor>> {
  const run = () => session.run(feeds, names as string[]);
  const results = onWebGpu.has(session) ? await guardGpu('running the model', run) : await run();
  for (const name of names) if (!results[name]) throw new AppError('Internal', `the model gave no "${name}" output`);
  return results;
}

/** A tensor's float32 data on the CPU (reads a GPU tensor back). */
export async function readF32(tensor: OrtTensor): Promise<Float32Array> {
  const read = async () => (await tensor.getData()) as Float32Array;
  return tensor.location === 'gpu-buffer' ? guardGpu('reading a result from the GPU', read) : read();
}

/** Runs a session and returns the named outputs as float32 arrays (read back to the CPU). */
export async function runF32(session: OrtSession, feeds: Record<string, OrtTensor>, names: readonly string[]): Promise<Float32Array[]> {
  const results = await runSession(session, feeds, names);
  try {
    return await Promise.all(names.map((name) => readF32(results[name]!)));
  } finally {
    for (const t of Object.values(results)) t.dispose();
  }
}

/** Why WebGPU cannot be used here, or undefined when an adapter is available. */
export async function webGpuProblem(): Promise<string | undefined> {
  if (!('gpu' in navigator) || !navigator.gpu) return 'this browser has no WebGPU (navigator.gpu is missing)';
  try {
    const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return 'WebGPU found no usable GPU adapter';
  } catch (error) {
    return `WebGPU failed to start: ${error instanceof Error ? error.message : String(error)}`;
  }
  return undefined;
}
