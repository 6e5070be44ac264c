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

/** Creates a session for a bundle component on one backend, with its weights as external data. */
export async function createSession(component: BundleComponent, read: FileReader, backend: Backend): Promise<OrtSession> {
  const [graph, ...shards] = await Promise.all([read(component.graph), ...component.external_data.map(read)]);
  const graphBytes = graph instanceof Blob ? new Uint8Array(await graph.arrayBuffer()) : graph!;
  const externalData = await Promise.all(
    component.external_data.map(async (file, i) => {
      const data = shards[i]!;
      // The graph names each shard by its basename (docs/bundle-format.md).
      return { path: file.path.split('/').pop()!, data: data instanceof Blob ? new Uint8Array(await data.arrayBuffer()) : data };
    }),
  );
  return ort.InferenceSession.create(graphBytes, {
    executionProviders: [backend],
    externalData,
    graphOptimizationLevel: 'all',
  });
}

export function tensorF32(data: Float32Array, dims: readonly number[]): OrtTensor {
  return new ort.Tensor('float32', data, dims);
}

export function tensorI64(data: BigInt64Array, dims: readonly number[]): OrtTensor {
  return new ort.Tensor('int64', data, dims);
}

/** Runs a session and returns the named outputs as float32 arrays (read back to the CPU). */
export async function runF32(session: OrtSession, feeds: Record<string, OrtTensor>, names: readonly string[]): Promise<Float32Array[]> {
  const results = await session.run(feeds, names as string[]);
  try {
    return await Promise.all(
      names.map(async (name) => {
        const t = results[name];
        if (!t) throw new AppError('Internal', `the model gave no "${name}" output`);
        return (await t.getData()) as Float32Array;
      }),
    );
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
