// Times one FLUX transformer call (a denoising step) with onnxruntime-web on WebGPU in Node, through
// Dawn (the `webgpu` npm package's dawn.node, the same WebGPU implementation Chrome uses), on a
// machine with a real GPU: the numbers this project cannot measure on SwiftShader.
//
//   node webgpu_step.mjs --ort DIR --dawn DIR --model DIR/transformer.onnx --config wide.json
//        [--sizes 512,768] [--text 256] [--runs 5] [--backend webgpu|wasm]
import { readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const argv = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const backend = arg('backend', 'webgpu');
const gpuMemory = { live: 0, peak: 0 };
const mib = (n) => (n / 2 ** 20).toFixed(1);
const runs = Number(arg('runs', 5));
const textLength = Number(arg('text', 256));
const sizes = String(arg('sizes', '512,768')).split(',').map(Number);
const modelPath = arg('model');
const config = JSON.parse(readFileSync(arg('config'), 'utf8')).config;

if (backend === 'webgpu') {
  const { create, globals } = await import(pathToFileURL(join(arg('dawn'), 'index.js')).href);
  Object.assign(globalThis, globals);
  // onnxruntime-web's threaded build writes from views on its shared wasm memory; browsers accept a
  // SharedArrayBuffer-backed view in writeBuffer, dawn.node answers "Invalid argument": copy first.
  const writeBuffer = globals.GPUQueue?.prototype.writeBuffer;
  if (writeBuffer) globals.GPUQueue.prototype.writeBuffer = function (buffer, offset, data, dataOffset = 0, size) {
    if (!(data.buffer instanceof SharedArrayBuffer) || !writeBuffer) return writeBuffer.call(this, buffer, offset, data, dataOffset, size);
    const unit = data.BYTES_PER_ELEMENT ?? 1;
    const bytes = (size ?? data.length - dataOffset) * unit;
    const copy = new Uint8Array(bytes);
    copy.set(new Uint8Array(data.buffer, data.byteOffset + dataOffset * unit, bytes));
    return writeBuffer.call(this, buffer, offset, copy, 0, bytes);
  };
  // GPU buffer bytes alive (created, not destroyed) and their peak, as workers/runtime/gpu-memory.ts counts them.
  const { GPUDevice: Device, GPUBuffer: Buffer } = globals;
  const sizes = new WeakMap();
  const createBuffer = Device.prototype.createBuffer;
  Device.prototype.createBuffer = function (d) {
    const b = createBuffer.call(this, d);
    sizes.set(b, d.size);
    gpuMemory.live += d.size;
    gpuMemory.peak = Math.max(gpuMemory.peak, gpuMemory.live);
    return b;
  };
  const destroy = Buffer.prototype.destroy;
  Buffer.prototype.destroy = function () {
    const n = sizes.get(this);
    if (n !== undefined) (gpuMemory.live -= n), sizes.delete(this);
    return destroy.call(this);
  };
  const gpu = create([]);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu, hardwareConcurrency: 16, userAgent: 'node' }, configurable: true });
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('no WebGPU adapter');
  console.log('adapter:', JSON.stringify(adapter.info), 'shader-f16:', adapter.features.has('shader-f16'));
  console.log('limits: maxBufferSize', adapter.limits.maxBufferSize, 'maxStorageBufferBindingSize', adapter.limits.maxStorageBufferBindingSize);
}
const ort = await import(pathToFileURL(join(arg('ort'), backend === 'webgpu' ? 'ort.webgpu.min.mjs' : 'ort.min.mjs')).href);
ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

const dir = dirname(modelPath);
const externalData = readdirSync(dir)
  .filter((f) => f.startsWith(`${basename(modelPath)}.data.`))
  .map((f) => ({ path: f, data: new Uint8Array(readFileSync(join(dir, f))) }));
let t = performance.now();
const session = await ort.InferenceSession.create(new Uint8Array(readFileSync(modelPath)), {
  executionProviders: [backend],
  graphOptimizationLevel: 'all',
  externalData,
  ...(backend === 'webgpu' ? { preferredOutputLocation: 'gpu-buffer' } : {}),
});
if (backend === 'webgpu') console.log(`GPU buffers: live after creation ${mib(gpuMemory.live)} MiB, peak while creating ${mib(gpuMemory.peak)} MiB`);
console.log(`session created in ${((performance.now() - t) / 1000).toFixed(1)} s (${externalData.reduce((n, e) => n + e.data.length, 0) / 2 ** 20 | 0} MiB of weights)`);

/** FLOPs of one call (scripts/bench.mjs' formula). */
function flops(c, S, Ltxt) {
  const D = c.num_attention_heads * c.attention_head_dim;
  const L = Ltxt + S;
  return (c.num_layers + c.num_single_layers) * (24 * L * D * D + 4 * L * L * D) + 2 * Ltxt * c.joint_attention_dim * D + 2 * S * 64 * D * 2
    + 2 * (256 * D + D * D + c.pooled_projection_dim * D + D * D) + (24 * c.num_layers + 6 * c.num_single_layers + 4) * D * D;
}
const real = { ...config, num_layers: 19, num_single_layers: 38 };
const randn = (n) => Float32Array.from({ length: n }, () => (Math.random() - 0.5) * 2);

for (const size of sizes) {
  const side = size / 16;
  const S = side * side;
  const ids = new Float32Array(S * 3);
  for (let i = 0; i < S; i++) (ids[i * 3 + 1] = Math.floor(i / side)), (ids[i * 3 + 2] = i % side);
  const feeds = {
    hidden_states: new ort.Tensor('float32', randn(S * 64), [1, S, 64]),
    encoder_hidden_states: new ort.Tensor('float32', randn(textLength * config.joint_attention_dim), [1, textLength, config.joint_attention_dim]),
    pooled_projections: new ort.Tensor('float32', randn(config.pooled_projection_dim), [1, config.pooled_projection_dim]),
    timestep: new ort.Tensor('float32', Float32Array.of(1), [1]),
    img_ids: new ort.Tensor('float32', ids, [S, 3]),
    txt_ids: new ort.Tensor('float32', new Float32Array(textLength * 3), [textLength, 3]),
  };
  const times = [];
  gpuMemory.peak = gpuMemory.live;
  for (let r = 0; r <= runs; r++) {
    t = performance.now();
    const out = (await session.run(feeds)).out;
    // Wait for the GPU: reading the output back is the one sure fence (its 256 KiB cost is in the time).
    const data = await out.getData(true);
    const ms = performance.now() - t;
    if (r === 0) console.log(`  ${size}x${size}: first run (shader compile) ${(ms / 1000).toFixed(1)} s, out[0..3] ${Array.from(data.slice(0, 3), (x) => x.toFixed(3))}, finite ${data.every(Number.isFinite)}`);
    else times.push(ms);
  }
  times.sort((a, b) => a - b);
  const med = times[times.length >> 1];
  const f = flops(config, S, textLength);
  const fr = flops(real, S, textLength);
  console.log(
    `  ${size}x${size} (S=${S}, L_txt=${textLength}): median ${med.toFixed(1)} ms over ${runs} runs (min ${times[0].toFixed(1)}), ` +
      `${(f / 1e9).toFixed(0)} GFLOP -> ${(f / med / 1e6).toFixed(0)} GFLOP/s; the full 19+38-block model is ${(fr / 1e12).toFixed(1)} TFLOP per step: ` +
      `${((fr / f) * med / 1000).toFixed(2)} s per step at this rate`,
  );
  if (backend === 'webgpu') console.log(`  GPU buffers: peak while running ${mib(gpuMemory.peak)} MiB, live after ${mib(gpuMemory.live)} MiB`);
}

// GPU-resident inputs and a pre-allocated output (what the engine's step loop does), with and without
// WebGPU graph capture (ORT records the command stream on the first run and replays it).
if (backend === 'webgpu') {
  const device = await ort.env.webgpu.device;
  const gpuTensor = (data, dims) => {
    const buffer = device.createBuffer({ size: Math.ceil(data.byteLength / 16) * 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(buffer, 0, data);
    return ort.Tensor.fromGpuBuffer(buffer, { dataType: 'float32', dims });
  };
  const readBack = async (tensor) => {
    const source = tensor.gpuBuffer;
    const staging = device.createBuffer({ size: source.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const encoder = device.createCommandEncoder();
    encoder.copyBufferToBuffer(source, 0, staging, 0, source.size);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const data = new Float32Array(staging.getMappedRange().slice(0));
    staging.destroy();
    return data;
  };
  const size = sizes[0];
  const side = size / 16;
  const S = side * side;
  let capture;
  try {
    // Every dimension fixed (freeDimensionOverrides): ORT folds the shape ops, so every node runs on WebGPU.
    capture = await ort.InferenceSession.create(new Uint8Array(readFileSync(modelPath)), {
      executionProviders: [{ name: 'webgpu' }],
      graphOptimizationLevel: 'all',
      externalData,
      enableGraphCapture: true,
      preferredOutputLocation: 'gpu-buffer',
      freeDimensionOverrides: { batch: 1, N: S, L: textLength },
    });
  } catch (e) {
    console.log(`graph capture: session not created: ${e.message ?? e}`);
  }
  const ids = new Float32Array(S * 3);
  for (let i = 0; i < S; i++) (ids[i * 3 + 1] = Math.floor(i / side)), (ids[i * 3 + 2] = i % side);
  const feeds = {
    hidden_states: gpuTensor(randn(S * 64), [1, S, 64]),
    encoder_hidden_states: gpuTensor(randn(textLength * config.joint_attention_dim), [1, textLength, config.joint_attention_dim]),
    pooled_projections: gpuTensor(randn(config.pooled_projection_dim), [1, config.pooled_projection_dim]),
    timestep: gpuTensor(Float32Array.of(1), [1]),
    img_ids: gpuTensor(ids, [S, 3]),
    txt_ids: gpuTensor(new Float32Array(textLength * 3), [textLength, 3]),
  };
  const out = gpuTensor(new Float32Array(S * 64), [1, S, 64]);
  let expected;
  for (const [label, s] of [['GPU inputs, no capture', session], ['GPU inputs, graph capture', capture]]) {
    if (!s) continue;
    const times = [];
    try {
      for (let r = 0; r <= runs; r++) {
        t = performance.now();
        await s.run(feeds, { out });
        await device.queue.onSubmittedWorkDone();
        if (r) times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      // The replays must give what the plain session gave on the same inputs (on SwiftShader they do not: docs/runtime.md).
      const got = await readBack(out);
      expected ??= got;
      const maxDiff = got.reduce((m, v, i) => Math.max(m, Math.abs(v - expected[i])), 0);
      console.log(`  ${size}x${size} ${label}: median ${times[times.length >> 1].toFixed(1)} ms (min ${times[0].toFixed(1)}), max |diff| from no capture ${maxDiff.toExponential(2)}`);
    } catch (e) {
      console.log(`  ${label}: run failed: ${e.message ?? e}`);
    }
  }
  await capture?.release();
}
await session.release();
