// Runtime harness: workers/runtime (onnxruntime-web, our GPU device) in this page, driven by
// tests/e2e/runtime.spec.ts through `window.runtimeTest`. `?ort=jspi|asyncify` picks the build.
// Errors come back as { name, message }, the way comlink carries them.
import {
  createSession,
  createGraphSession,
  runF32,
  tensorF32,
  gpuTensorF32,
  writeGpuTensor,
  peekGpuF32,
  ortBuild,
  wasmHeapBytes,
  type OrtSession,
  type SessionSetup,
} from '../../workers/runtime/ort';
import { trackGpuMemory, gpuMemory, resetGpuPeak } from '../../workers/runtime/gpu-memory';
import { gpuDevice, gpuInfo, lowerGpuLimitsForTests } from '../../workers/runtime/gpu-device';
import type { Backend } from '../../src/shared/events';
import type { BundleComponent, BundleFile, BundleManifest } from '../../src/shared/manifest';

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

/** softmax(q·kᵀ/√d)·v per head, in float64: the reference for the attention graphs. */
function attentionReference(q: Float32Array, k: Float32Array, v: Float32Array, seq: number, heads: number, headDim: number) {
  const width = heads * headDim;
  const out = new Float64Array(seq * width);
  const scores = new Float64Array(seq);
  for (let h = 0; h < heads; h++)
    for (let i = 0; i < seq; i++) {
      let max = -Infinity;
      for (let j = 0; j < seq; j++) {
        let dot = 0;
        for (let d = 0; d < headDim; d++) dot += q[i * width + h * headDim + d]! * k[j * width + h * headDim + d]!;
        scores[j] = dot / Math.sqrt(headDim);
        max = Math.max(max, scores[j]!);
      }
      let sum = 0;
      for (let j = 0; j < seq; j++) sum += scores[j] = Math.exp(scores[j]! - max);
      for (let j = 0; j < seq; j++)
        for (let d = 0; d < headDim; d++) out[i * width + h * headDim + d]! += (scores[j]! / sum) * v[j * width + h * headDim + d]!;
    }
  return out;
}

/**
 * Runs tests/fixtures/attention/<graph>.onnx on random q, k, v [1, seq, 64] (4 heads of 16): the largest error
 * against the float64 reference, and the GPU buffer bytes the run added at its peak (WebGPU).
 */
async function runAttention(graph: string, seq: number, backend: Backend, checkValues: boolean) {
  trackGpuMemory();
  const bytes = new Uint8Array(await (await fetch(`/tests/fixtures/attention/${graph}.onnx`)).arrayBuffer());
  const attention = await createGraphSession(bytes, backend);
  try {
    const width = 64;
    const random = () => Float32Array.from({ length: seq * width }, () => Math.random() * 4 - 2);
    const [q, k, v] = [random(), random(), random()];
    const dims = [1, seq, width];
    const before = gpuMemory().liveBytes;
    resetGpuPeak();
    const [out] = await runF32(attention, { q: tensorF32(q, dims), k: tensorF32(k, dims), v: tensorF32(v, dims) }, ['out']);
    const runPeakBytes = gpuMemory().peakBytes - before;
    let maxError = NaN;
    if (checkValues) {
      const expected = attentionReference(q, k, v, seq, 4, 16);
      maxError = expected.reduce((m, e, i) => Math.max(m, Math.abs(e - out![i]!)), 0);
    }
    return { maxError, length: out!.length, runPeakBytes };
  } finally {
    await attention.release();
  }
}

/**
 * Graph capture on the built-in transformer (issue 15): a session with every dimension fixed and
 * enableGraphCapture, fed and fetched through fixed GPU buffers whose contents change between runs, against
 * a plain session on the same inputs. Returns the largest difference over 4 runs (the first captures, the
 * rest replay) and the median time of a run of each.
 */
async function checkGraphCapture() {
  const manifest = (await (await fetch('/models/tiny/manifest.json')).json()) as BundleManifest;
  const component = manifest.components.transformer;
  const read = async (f: BundleFile) => new Uint8Array(await (await fetch(`/models/tiny/${f.path}`)).arrayBuffer());
  const [tokens, textLength] = [16, 12];
  const config = component.config as { joint_attention_dim: number; pooled_projection_dim: number };
  const device = await gpuDevice();
  const random = (n: number) => Float32Array.from({ length: n }, () => Math.random() * 2 - 1);
  const inputs: Record<string, [Float32Array, number[]]> = {
    hidden_states: [random(tokens * 64), [1, tokens, 64]],
    encoder_hidden_states: [random(textLength * config.joint_attention_dim), [1, textLength, config.joint_attention_dim]],
    pooled_projections: [random(config.pooled_projection_dim), [1, config.pooled_projection_dim]],
    timestep: [Float32Array.of(1), [1]],
    img_ids: [new Float32Array(tokens * 3), [tokens, 3]],
    txt_ids: [new Float32Array(textLength * 3), [textLength, 3]],
  };
  const plain = await createSession(component, read, 'webgpu');
  const captured = await createSession(component, read, 'webgpu', {
    graphCapture: true,
    gpuOutputs: true,
    fixedDims: { batch: 1, N: tokens, L: textLength },
  });
  const fixed = Object.fromEntries(Object.entries(inputs).map(([name, [data, dims]]) => [name, gpuTensorF32(device, data, dims)]));
  const out = gpuTensorF32(device, new Float32Array(tokens * 64), [1, tokens, 64]);
  let maxDiff = 0;
  const plainMs: number[] = [];
  const replayMs: number[] = [];
  try {
    for (let run = 0; run < 4; run++) {
      const hidden = random(tokens * 64);
      const timestep = Float32Array.of(1 - run / 4);
      writeGpuTensor(device, fixed.hidden_states!, hidden);
      writeGpuTensor(device, fixed.timestep!, timestep);
      let start = performance.now();
      await captured.run(fixed, { out });
      const replayed = await peekGpuF32(device, out);
      if (run > 0) replayMs.push(performance.now() - start);
      const feeds = Object.fromEntries(Object.entries(inputs).map(([name, [data, dims]]) => [name, tensorF32(data, dims)]));
      feeds.hidden_states = tensorF32(hidden, [1, tokens, 64]);
      feeds.timestep = tensorF32(timestep, [1]);
      start = performance.now();
      const [expected] = await runF32(plain, feeds, ['out']);
      if (run > 0) plainMs.push(performance.now() - start);
      maxDiff = Math.max(
        maxDiff,
        expected!.reduce((m, v, i) => Math.max(m, Math.abs(v - replayed[i]!)), 0),
      );
    }
  } finally {
    for (const t of [...Object.values(fixed), out]) t.dispose();
    await plain.release();
    await captured.release();
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;
  return { maxDiff, replaysRight: maxDiff < 1e-3, plainMs: median(plainMs), replayMs: median(replayMs) };
}

/**
 * One transformer call of a bundle at width x height with `textLength` text tokens, random inputs, on
 * WebGPU: the weights' GPU bytes, the bytes the call added at its peak (its working set) and its time.
 * `bufferCache` 'disabled' makes ORT destroy what it frees, so the peak is then the live tensors alone.
 */
async function transformerCall(manifestUrl: string, size: number, textLength: number, bufferCache?: SessionSetup['bufferCache']) {
  trackGpuMemory();
  const base = manifestUrl.slice(0, manifestUrl.lastIndexOf('/') + 1);
  const manifest = (await (await fetch(manifestUrl)).json()) as BundleManifest;
  const component = manifest.components.transformer;
  const config = component.config as { joint_attention_dim: number; pooled_projection_dim: number };
  const read = async (f: BundleFile) => new Uint8Array(await (await fetch(base + f.path)).arrayBuffer());
  const before = gpuMemory().liveBytes;
  const transformer = await createSession(component, read, 'webgpu', bufferCache ? { bufferCache } : {});
  try {
    const weightBytes = gpuMemory().liveBytes - before;
    const side = size / 16;
    const tokens = side * side;
    const ids = new Float32Array(tokens * 3);
    for (let i = 0; i < tokens; i++) [ids[i * 3 + 1], ids[i * 3 + 2]] = [Math.floor(i / side), i % side];
    const random = (n: number) => Float32Array.from({ length: n }, () => Math.random() * 2 - 1);
    const feeds = {
      hidden_states: tensorF32(random(tokens * 64), [1, tokens, 64]),
      encoder_hidden_states: tensorF32(random(textLength * config.joint_attention_dim), [1, textLength, config.joint_attention_dim]),
      pooled_projections: tensorF32(random(config.pooled_projection_dim), [1, config.pooled_projection_dim]),
      timestep: tensorF32(Float32Array.of(1), [1]),
      img_ids: tensorF32(ids, [tokens, 3]),
      txt_ids: tensorF32(new Float32Array(textLength * 3), [textLength, 3]),
    };
    const live = gpuMemory().liveBytes;
    resetGpuPeak();
    const start = performance.now();
    const [out] = await runF32(transformer, feeds, ['out']);
    const runMs = performance.now() - start;
    return { weightBytes, callBytes: gpuMemory().peakBytes - live, runMs, finite: out!.every(Number.isFinite) };
  } finally {
    await transformer.release();
  }
}

const api = {
  transformerCall: (manifestUrl: string, size: number, textLength: number, bufferCache?: SessionSetup['bufferCache']) =>
    settle(() => transformerCall(manifestUrl, size, textLength, bufferCache)),
  checkGraphCapture: () => settle(checkGraphCapture),
  runAttention: (graph: string, seq: number, backend: Backend, checkValues = true) =>
    settle(() => runAttention(graph, seq, backend, checkValues)),
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
