// The engine's side of the worker contract: backend choice, bundle loading, jobs and cancel.
import { transfer, releaseProxy } from 'comlink';
import { ortBuild, ortThreads, wasmHeapBytes, webGpuProblem } from './runtime/ort';
import { gpuInfo } from './runtime/gpu-device';
import type { EngineApi, BundleSource, DeviceReport, JobId, RenderResult, BundleInfo } from '../src/shared/api';
import type { Backend, EventSink, GeneratorEvent } from '../src/shared/events';
import { validateRequest, type RenderRequest, timelineStates } from '../src/shared/request';
import { bundleSizes } from '../src/shared/manifest';
import { AppError } from '../src/shared/errors';
import { urlReader } from './bundle-url';
import { findCachedBundle, fetchManifest } from './store/bundles';
import { runJob, CancelFlag, type LoadedBundle, type PipelineHooks } from './pipeline/run';
import { rememberFrames } from './frame-store';

const jobs = new Map<JobId, CancelFlag>();

/** WebGPU when the device has it, else wasm; the reason is reported, never silent. */
export async function chooseBackend(prefer?: Backend): Promise<{ backend: Backend; reason?: string }> {
  if (prefer === 'wasm') return { backend: 'wasm', reason: 'wasm was requested' };
  const problem = await webGpuProblem();
  return problem ? { backend: 'wasm', reason: problem } : { backend: 'webgpu' };
}

export async function loadBundle(source: BundleSource, backend: Backend): Promise<LoadedBundle> {
  const manifestUrl = new URL(source.manifestUrl, self.location.href).href;
  // A bundle the model store holds complete is read from IndexedDB, without the network.
  const cached = await findCachedBundle(manifestUrl);
  if (cached)
    return { manifest: cached.manifest, read: cached.read, verify: cached.verify, verified: cached.verified, use: cached.use, backend };
  const manifest = await fetchManifest(manifestUrl);
  return { manifest, read: urlReader(manifestUrl), backend };
}

/** Options beyond the request: the backend to prefer and (tests, benchmarks) pipeline hooks. */
export interface RenderOptions {
  backend?: Backend;
  hooks?: PipelineHooks;
}

/** Runs a job end to end. Shared by the comlink API and in-page harnesses (parity tests, bench). */
export async function render(
  job: JobId,
  source: BundleSource,
  input: RenderRequest,
  onEvent: EventSink,
  options: RenderOptions = {},
): Promise<RenderResult> {
  if (jobs.has(job)) throw new AppError('InvalidRequest', `job ${job} is already running`);
  const cancel = new CancelFlag();
  jobs.set(job, cancel);
  // Frames are transferred, not copied, across the worker boundary.
  const emit = (event: GeneratorEvent) => onEvent(event.type === 'frame' ? transfer(event, [event.rgba.buffer]) : event);
  try {
    emit({ type: 'stage', stage: 'load' });
    let { backend, reason } = await chooseBackend(options.backend);
    let bundle = await loadBundle(source, backend);
    const limits = bundle.manifest.limits;
    const request = validateRequest(input, limits ? { min: limits.min_size, max: limits.max_size } : undefined);
    emit({ type: 'backend', backend, ...(reason ? { reason } : {}) });
    const inUse = bundle.use ?? (<T>(work: () => Promise<T>) => work());
    const output = await inUse(async () => {
      try {
        return await runJob(bundle, request, emit, cancel, options.hooks);
      } catch (error) {
        // A WebGPU failure that is not the user's doing falls back to wasm, and says so.
        if (backend !== 'webgpu' || cancel.cancelled || (error instanceof AppError && error.name !== 'Internal')) throw error;
        backend = 'wasm';
        reason = `WebGPU failed: ${error instanceof Error ? error.message : String(error)}`;
        emit({ type: 'backend', backend, reason });
        bundle = { ...bundle, backend };
        return runJob(bundle, request, emit, cancel, options.hooks);
      }
    });
    const layout = { ...output.layout, states: timelineStates(request) };
    rememberFrames({ width: request.width, height: request.height, state1: request.state1, state2: request.state2, frames: output.frames, layout });
    return {
      seed: request.seed,
      backend,
      width: request.width,
      height: request.height,
      frames: output.frames.map(({ index, scale, cached, place }) => ({ index, scale, cached, place })),
      layout: output.layout,
      timings: output.timings,
    };
  } finally {
    jobs.delete(job);
  }
}

export const engine = {
  async ping() {
    return { ok: true as const, crossOriginIsolated: self.crossOriginIsolated };
  },

  async probe(): Promise<DeviceReport> {
    const report: DeviceReport = {
      webgpu: false,
      shaderF16: false,
      crossOriginIsolated: self.crossOriginIsolated,
      threads: ortThreads,
      ortBuild,
      wasmHeapBytes: wasmHeapBytes(),
    };
    const problem = await webGpuProblem();
    if (problem) return { ...report, reason: problem };
    try {
      // The device the engine will run on (made now if needed): its limits are what a model gets.
      const gpu = await gpuInfo();
      return {
        ...report,
        webgpu: true,
        adapter: { vendor: gpu.vendor, architecture: gpu.architecture, description: gpu.description },
        shaderF16: gpu.features.includes('shader-f16'),
        maxBufferSize: gpu.limits.maxBufferSize,
        maxStorageBufferBindingSize: gpu.limits.maxStorageBufferBindingSize,
        limits: gpu.limits,
        adapterFeatures: gpu.adapterFeatures,
        features: gpu.features,
      };
    } catch (error) {
      return { ...report, reason: error instanceof Error ? error.message : String(error) };
    }
  },

  async inspectBundle(source: BundleSource): Promise<BundleInfo> {
    const manifest = await fetchManifest(new URL(source.manifestUrl, self.location.href).href);
    const { total, byComponent } = bundleSizes(manifest);
    return { manifest, totalBytes: total, bytesByComponent: byComponent };
  },

  async render(job: JobId, source: BundleSource, request: RenderRequest, onEvent: EventSink) {
    try {
      return await render(job, source, request, onEvent);
    } finally {
      // onEvent is a comlink proxy of the UI's callback: close its port once the job settles.
      (onEvent as Partial<Record<typeof releaseProxy, () => void>>)[releaseProxy]?.();
    }
  },

  async cancel(job: JobId) {
    const flag = jobs.get(job);
    if (flag) flag.cancelled = true;
  },
} satisfies EngineApi;
