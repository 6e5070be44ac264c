// The only owner of onnxruntime-web: environment, execution-provider choice, sessions, tensors.
// Import this module before anything that imports @huggingface/transformers: transformers points
// ORT's wasm at a CDN unless wasmPaths is already set, and the app must never reach a CDN.
import * as ort from 'onnxruntime-web/webgpu';
import ortWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import type { Backend } from '../../src/shared/events';
import type { BundleComponent, BundleFile } from '../../src/shared/manifest';
import { AppError } from '../../src/shared/errors';

ort.env.wasm.wasmPaths = { wasm: ortWasmUrl };
ort.env.logLevel = 'error';
// Threaded wasm needs SharedArrayBuffer, i.e. a cross-origin isolated page.
ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)) : 1;

export { ort };
export type OrtSession = ort.InferenceSession;
export type OrtTensor = ort.Tensor;

/** Reads a bundle file's bytes; the store implements it over IndexedDB, tests over URLs. */
export type FileReader = (file: BundleFile) => Promise<Uint8Array | Blob>;

/** Session options beyond the backend: where outputs stay, and WebGPU graph capture. */
export interface SessionSetup {
  /** WebGPU: keep these outputs (or all, with true) in GPU buffers instead of reading them back. */
  gpuOutputs?: boolean | readonly string[];
  /** WebGPU: capture the command stream on the first run and replay it (all inputs/outputs on the GPU). */
  graphCapture?: boolean;
  /**
   * WebGPU: what ORT does with a storage buffer it frees ('bucket', its default, keeps it for reuse;
   * 'disabled' destroys it). ORT reads it when it creates its device, i.e. at the page's first WebGPU
   * session; later sessions cannot change it.
   */
  bufferCache?: 'disabled' | 'lazyRelease' | 'simple' | 'bucket';
  /**
   * WebGPU: nodes to run on the CPU. Used for the text encoders' token-embedding Gather: its table
   * then stays in CPU memory instead of being uploaded (ORT uploads each initializer through a
   * staging buffer of its own size, so the largest table set the stage's GPU peak), and the lookup
   * of a few dozen rows costs nothing on the CPU.
   */
  cpuNodes?: readonly string[];
}

/** Where a session's time went while it was being made: reading the bundle's bytes, then creating it. */
export type SessionPhaseTimer = (phase: 'read' | 'create', ms: number) => void;

function ortOptions(backend: Backend, setup: SessionSetup): ort.InferenceSession.SessionOptions {
  // onnxruntime-web reads enableGraphCapture and the cache modes only when the EP is given as an object.
  const webgpu: ort.InferenceSession.WebGpuExecutionProviderOption & { storageBufferCacheMode?: string; forceCpuNodeNames?: readonly string[] } = {
    name: 'webgpu',
  };
  if (setup.bufferCache) webgpu.storageBufferCacheMode = setup.bufferCache;
  if (setup.cpuNodes?.length) webgpu.forceCpuNodeNames = setup.cpuNodes;
  const options: ort.InferenceSession.SessionOptions = { executionProviders: [backend === 'webgpu' ? webgpu : backend], graphOptimizationLevel: 'all' };
  if (backend === 'webgpu' && setup.gpuOutputs)
    options.preferredOutputLocation =
      setup.gpuOutputs === true ? 'gpu-buffer' : Object.fromEntries(setup.gpuOutputs.map((name) => [name, 'gpu-buffer' as const]));
  if (backend === 'webgpu' && setup.graphCapture) options.enableGraphCapture = true;
  return options;
}

/** Creates a session for a bundle component on one backend, with its weights as external data. */
export async function createSession(
  component: BundleComponent,
  read: FileReader,
  backend: Backend,
  setup: SessionSetup = {},
  onPhase?: SessionPhaseTimer,
): Promise<OrtSession> {
  let start = performance.now();
  const [graph, ...shards] = await Promise.all([read(component.graph), ...component.external_data.map(read)]);
  const graphBytes = graph instanceof Blob ? new Uint8Array(await graph.arrayBuffer()) : graph!;
  const externalData = await Promise.all(
    component.external_data.map(async (file, i) => {
      const data = shards[i]!;
      // The graph names each shard by its basename (docs/bundle-format.md).
      return { path: file.path.split('/').pop()!, data: data instanceof Blob ? new Uint8Array(await data.arrayBuffer()) : data };
    }),
  );
  onPhase?.('read', performance.now() - start);
  start = performance.now();
  try {
    return await ort.InferenceSession.create(graphBytes, { ...ortOptions(backend, setup), externalData });
  } finally {
    onPhase?.('create', performance.now() - start);
  }
}

/** A session for a graph built at run time (workers/pipeline/latent-graphs.ts). */
export function createGraphSession(model: Uint8Array, backend: Backend, setup: SessionSetup = {}): Promise<OrtSession> {
  return ort.InferenceSession.create(model, ortOptions(backend, setup));
}

export function tensorF32(data: Float32Array, dims: readonly number[]): OrtTensor {
  return new ort.Tensor('float32', data, dims);
}

export function tensorI64(data: BigInt64Array, dims: readonly number[]): OrtTensor {
  return new ort.Tensor('int64', data, dims);
}

/** The GPU device onnxruntime-web's WebGPU backend runs on (only after a WebGPU session exists). */
export async function ortGpuDevice(): Promise<GPUDevice> {
  return (await ort.env.webgpu.device) as GPUDevice;
}

/**
 * A float32 tensor in a GPU buffer of ORT's device, uploaded once (fixed feeds, noise): feeding it
 * costs no upload per run. dispose() destroys the buffer.
 */
export function gpuTensorF32(device: GPUDevice, data: Float32Array, dims: readonly number[]): OrtTensor {
  // Storage buffers are bound in 4-byte units; ORT pads its own the same way (16 bytes).
  const size = Math.max(16, Math.ceil(data.byteLength / 16) * 16);
  const buffer = device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  return ort.Tensor.fromGpuBuffer(buffer as unknown as ort.Tensor.GpuBufferType, { dataType: 'float32', dims, dispose: () => buffer.destroy() });
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
  const results = await session.run(feeds, names as string[]);
  for (const name of names) if (!results[name]) throw new AppError('Internal', `the model gave no "${name}" output`);
  return results;
}

/** A tensor's float32 data on the CPU (reads a GPU tensor back). */
export async function readF32(tensor: OrtTensor): Promise<Float32Array> {
  return (await tensor.getData()) as Float32Array;
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
