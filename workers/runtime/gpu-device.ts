/**
 * The WebGPU device the engine runs on: requested here, with the adapter's own maximum limits and the
 * features the engine can use, and handed to onnxruntime-web (ort.ts) instead of letting ORT make one
 * with default limits. One device at a time; a lost device (or one that ran out of memory) is dropped,
 * and the next job asks for a new one.
 */
import { AppError } from '../../src/shared/errors';

/** Features onnxruntime-web's WebGPU EP uses when the device has them (its own default list). */
const WANTED_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query'] as const;

/**
 * The smallest subgroup for which the engine lets ORT use subgroups. ORT 1.30's flash attention (the
 * transformer's fused MultiHeadAttention) takes a subgroup path when the device has the feature, and
 * that path assumes subgroups of at least 16 lanes (ORT's later code checks the same bound): on
 * SwiftShader (4 lanes) it returned wrong attention (max error 0.8 on values of order 1;
 * tests/e2e/attention.spec.ts), and right values without the feature.
 */
export const MIN_SUBGROUP_SIZE = 16;

function wantedFeatures(adapter: GPUAdapter): GPUFeatureName[] {
  const subgroupMin = (adapter.info as GPUAdapterInfo & { subgroupMinSize?: number }).subgroupMinSize ?? 0;
  return WANTED_FEATURES.filter((f) => adapter.features.has(f) && (f !== 'subgroups' || subgroupMin >= MIN_SUBGROUP_SIZE));
}

/** Limits raised to the adapter's maximum: the 128 MiB / 256 MiB defaults are far too small for FLUX. */
export const RAISED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
  'maxBindGroups',
] as const;

export type RaisedLimit = (typeof RAISED_LIMITS)[number];

/** What the engine knows of its GPU, for the diagnostics panel and the preflight. */
export interface GpuInfo {
  vendor: string;
  architecture: string;
  description: string;
  /** The limits the device was created with (the adapter's maximum unless a test lowered them). */
  limits: Record<RaisedLimit, number>;
  /** Features the adapter offers, and those the device was created with. */
  adapterFeatures: string[];
  features: string[];
}

interface Current {
  device: GPUDevice;
  info: GpuInfo;
  /** Set when the device is lost; the promise below resolves then. */
  lost?: string;
  lostPromise: Promise<string>;
}

let current: Promise<Current> | undefined;
let generation = 0;
/** Tests only: limits below the adapter's, to force out-of-memory (validation) failures. */
let limitOverrides: Partial<Record<RaisedLimit, number>> = {};

/** Tests only: the next device is made with these limits (lower than the adapter's). Drops the current one. */
export function lowerGpuLimitsForTests(limits: Partial<Record<RaisedLimit, number>>): void {
  limitOverrides = { ...limits };
  dropGpuDevice('the limits were changed');
}

async function requestDevice(): Promise<Current> {
  if (!('gpu' in navigator) || !navigator.gpu) throw new AppError('WebGpuUnavailable', 'This browser has no WebGPU.');
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new AppError('WebGpuUnavailable', 'WebGPU found no usable GPU adapter.');
  const requiredFeatures = wantedFeatures(adapter);
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) {
    const max = adapter.limits[name];
    requiredLimits[name] = Math.min(max, limitOverrides[name] ?? max);
  }
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  } catch (error) {
    throw new AppError('WebGpuUnavailable', `The GPU refused a device: ${error instanceof Error ? error.message : String(error)}`);
  }
  const info: GpuInfo = {
    vendor: adapter.info.vendor,
    architecture: adapter.info.architecture,
    description: adapter.info.description,
    limits: Object.fromEntries(RAISED_LIMITS.map((name) => [name, device.limits[name]])) as Record<RaisedLimit, number>,
    adapterFeatures: [...adapter.features].map(String).sort(),
    features: [...device.features].map(String).sort(),
  };
  const state: Current = { device, info, lostPromise: Promise.resolve('') };
  state.lostPromise = device.lost.then((lost) => {
    state.lost = lost.message || lost.reason || 'unknown reason';
    return state.lost;
  });
  generation += 1;
  return state;
}

function currentDevice(): Promise<Current> {
  if (!current) {
    const made = requestDevice();
    current = made;
    made.then(
      (state) => void state.lostPromise.then(() => current === made && (current = undefined)),
      () => current === made && (current = undefined),
    );
  }
  return current;
}

/** The engine's GPU device (made on first use, again after a loss). */
export async function gpuDevice(): Promise<GPUDevice> {
  return (await currentDevice()).device;
}

/** The adapter and device the engine uses (makes the device if needed). */
export async function gpuInfo(): Promise<GpuInfo> {
  return (await currentDevice()).info;
}

/** Bumps on every new device: sessions made on an older one must not be reused. */
export function gpuGeneration(): number {
  return generation;
}

/** Forgets (and destroys) the current device: the next use asks for a new one. */
export function dropGpuDevice(why: string): void {
  const was = current;
  current = undefined;
  void was?.then(
    (state) => {
      state.lost ??= why;
      state.device.destroy();
    },
    () => undefined,
  );
}

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(2)} GB`;

/**
 * Runs GPU work (a session being made, a run) under error scopes, and ends it with a message in words
 * when the GPU runs out of memory, refuses an allocation, or is lost meanwhile (the race keeps a run
 * whose device vanished from hanging). After such a failure the device is dropped: ORT's buffers go
 * with it, and the next job starts on a fresh device.
 */
export async function guardGpu<T>(what: string, work: () => Promise<T>): Promise<T> {
  const state = await currentDevice();
  const { device } = state;
  const lostError = (reason: string) =>
    new AppError('DeviceLost', `The GPU device was lost while ${what} (${reason}). The job stopped; the next job starts on a new device.`);
  if (state.lost) throw lostError(state.lost);
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  const running = work();
  let result: T;
  try {
    result = await Promise.race([running, state.lostPromise.then((reason) => Promise.reject(lostError(reason)))]);
  } catch (error) {
    if (state.lost || (error instanceof AppError && error.name === 'DeviceLost')) {
      // ORT's own call goes on inside its wasm after we stop waiting for it; on a destroyed device it
      // fails fast. Let it end before anything else touches ORT (measured: a new session made while it
      // still ran failed with "__next_prime overflow" and the next job hung). Scopes on a lost device
      // need no popping.
      await Promise.race([running.catch(() => undefined), delay(LOST_WORK_SETTLE_MS)]);
      dropGpuDevice('lost');
      throw lostError(state.lost ?? 'lost');
    }
    // Pop the scopes even when the work failed; a GPU error found there explains the failure better.
    const gpuError = await popScopes(device);
    if (gpuError) throw failure(gpuError, what, state.info);
    throw error;
  }
  const gpuError = await popScopes(device);
  if (gpuError) throw failure(gpuError, what, state.info);
  return result;
}

/** How long a lost device's abandoned ORT call may take to unwind before the job ends anyway. */
const LOST_WORK_SETTLE_MS = 10_000;
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function popScopes(device: GPUDevice): Promise<GPUError | null> {
  const validation = await device.popErrorScope().catch(() => null);
  const memory = await device.popErrorScope().catch(() => null);
  return memory ?? validation;
}

function failure(error: GPUError, what: string, info: GpuInfo): AppError {
  dropGpuDevice('failed');
  if (error instanceof GPUOutOfMemoryError)
    return new AppError(
      'OutOfMemory',
      `The GPU ran out of memory while ${what}. Close other tabs or programs that use the GPU, or choose a smaller image size.`,
    );
  // A validation error about a size is an allocation past the device's limits; anything else is a backend fault.
  if (/size|limit|memory/i.test(error.message))
    return new AppError(
      'OutOfMemory',
      `The GPU refused an allocation while ${what}: its largest buffer is ${gb(info.limits.maxBufferSize)} and one binding at most ` +
        `${gb(info.limits.maxStorageBufferBindingSize)} (${error.message}).`,
    );
  return new AppError('BackendFailed', `The GPU rejected the work while ${what}: ${error.message}`);
}
