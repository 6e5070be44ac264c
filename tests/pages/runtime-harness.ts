// Runtime harness: workers/runtime (onnxruntime-web, our GPU device) in this page, driven by
// tests/e2e/runtime.spec.ts through `window.runtimeTest`. `?ort=jspi|asyncify` picks the build.
// Errors come back as { name, message }, the way comlink carries them.
import { createSession, runF32, tensorF32, ortBuild, wasmHeapBytes, type OrtSession } from '../../workers/runtime/ort';
import { gpuDevice, gpuInfo, lowerGpuLimitsForTests } from '../../workers/runtime/gpu-device';
import type { Backend } from '../../src/shared/events';
import type { BundleComponent, BundleFile } from '../../src/shared/manifest';

const MiB = 2 ** 20;

async function settle<T>(work: () => Promise<T>): Promise<T | { error: { name: string; message: string } }> {
  try {
    return await work();
  } catch (error) {
    return {
      error: { name: error instanceof Error ? error.name : 'Error', message: error instanceof Error ? error.message : String(error) },
    };
  }
}

/** Every Blob.arrayBuffer() call of 1 MiB or more, by size: the streaming path makes none on weights. */
const wholeReads: number[] = [];
const arrayBuffer = Blob.prototype.arrayBuffer;
Blob.prototype.arrayBuffer = function (this: Blob) {
  if (this.size >= MiB) wholeReads.push(this.size);
  return arrayBuffer.call(this);
};

let session: OrtSession | undefined;

/**
 * Makes the chain graph of tests/fixtures/stream (y = x·W1·…·Wn, every W [k, k] float32 = 1/k) with
 * its weights fetched from `weightsUrl` as a Blob: a large fetched Blob is backed by disk in a normal
 * profile, as the store's IndexedDB Blobs are (one assembled from JS arrays is held in memory, and
 * Chromium refuses to read one of 512 MiB or more back here).
 */
async function createChain(k: number, n: number, backend: Backend, weightsUrl: string) {
  const graph = new Uint8Array(await (await fetch(`/tests/fixtures/stream/chain-${k}x${n}.onnx`)).arrayBuffer());
  const weights = await (await fetch(weightsUrl)).blob();
  if (weights.size !== n * k * k * 4) throw new Error(`the weights have ${weights.size} bytes, not ${n * k * k * 4}`);
  const file = (path: string, bytes: number): BundleFile => ({ path, bytes, sha256: '' });
  const component: BundleComponent = {
    graph: file('chain/chain.onnx', graph.byteLength),
    external_data: [file('chain/weights.bin', weights.size)],
    inputs: [],
    outputs: [],
    config: {},
  };
  wholeReads.length = 0;
  const start = performance.now();
  session = await createSession(component, async (f) => (f.path.endsWith('.onnx') ? graph : weights), backend);
  return { createMs: performance.now() - start, weightBytes: weights.size, wholeReads: [...wholeReads] };
}

const api = {
  ortBuild: () => ortBuild,
  wasmHeapBytes,
  gpuInfo: () => settle(gpuInfo),
  createChain: (k: number, n: number, backend: Backend, weightsUrl: string) => settle(() => createChain(k, n, backend, weightsUrl)),
  /** Runs the chain on a random x: y must be mean(x) in every element. Returns the largest error. */
  runChain: (k: number) =>
    settle(async () => {
      const x = Float32Array.from({ length: k }, () => Math.random());
      const mean = x.reduce((a, b) => a + b, 0) / k;
      const [y] = await runF32(session!, { x: tensorF32(x, [1, k]) }, ['y']);
      return { maxError: y!.reduce((m, v) => Math.max(m, Math.abs(v - mean)), 0), length: y!.length };
    }),
  release: async () => {
    await session?.release();
    session = undefined;
  },
  lowerLimits: (limits: Record<string, number>) => lowerGpuLimitsForTests(limits),
  destroyDevice: async () => (await gpuDevice()).destroy(),
};

declare global {
  interface Window {
    runtimeTest: typeof api;
  }
}
window.runtimeTest = api;
document.getElementById('status')!.textContent = 'ready';
