/**
 * Whether this machine can take a model, said before anything is downloaded or assembled (issue 14).
 * Pure: what is known of the model and what the browser reveals in, a verdict with numbers out. The
 * words are in i18n (`preflight.reason`), so every reason carries only facts.
 */
import type { DeviceReport } from './api';
import type { StorageEstimate } from './store-api';

const GiB = 2 ** 30;

/** onnxruntime-web's CPU build is wasm32: its memory cannot grow past 4 GiB. */
export const WASM_MEMORY_LIMIT = 4 * GiB;
/**
 * Chrome 138+ reports `quota = usage + min(10 GiB, disk)` in every window (normal and private alike),
 * so a reported 10 GiB free means "at least that much", not the limit it enforces.
 */
export const REPORTED_QUOTA_CAP = 10 * GiB;
/**
 * The most a component's weights may weigh on onnxruntime-web's asyncify build (browsers without JSPI:
 * Firefox, Safari, Chromium before 137), which holds them all in the page's memory while it loads them
 * (measured 1.8-2.0 bytes of page memory per byte of weights; docs/runtime.md).
 */
export const ASYNCIFY_WEIGHT_BUDGET = 2 * GiB;
/** Below this, practically every GPU that offers WebGPU holds the model: no GPU memory warning. */
export const GPU_WARN_BYTES = 2e9;
/** Below this, losing the stored copy costs little: no warning about unpersisted storage. */
export const PERSIST_WARN_BYTES = 1e9;
/** A private window's quota (where the browser shows it) is a small part of RAM; this when RAM is unknown. */
export const PRIVATE_QUOTA_FLOOR = 2e9;
/** Chrome reports at most 8 GB of device memory: 8 or more says nothing about a larger need. */
export const DEVICE_MEMORY_CAP_GB = 8;

/** What is known of a model before anything of it moves. */
export interface ModelNeeds {
  /** Bytes of its largest single tensor (exact, from an assembly template). */
  largestTensorBytes?: number;
  /** Bytes of its largest file (a bundle): no tensor is larger, but a tensor may be that large. */
  largestFileBytes?: number;
  /** Memory its largest stage needs (a source description's gpu_memory_bytes, or the largest component's weights). */
  stageBytes?: number;
  /** Bytes of its largest component's weights (one session): what the asyncify build must hold in the page. */
  largestComponentBytes?: number;
  /** Bytes to download, and bytes the store must still take (what is already stored left out). */
  downloadBytes: number;
  storeBytes: number;
}

/** What the browser reveals of this machine. */
export interface MachineFacts {
  /** engine.probe(); null while it runs. */
  device: DeviceReport | null;
  /** navigator.storage.estimate(); absent where the browser cannot say. */
  estimate?: StorageEstimate;
  /** navigator.storage.persisted(). */
  persisted?: boolean;
  /** navigator.deviceMemory (GB, coarse) where the browser has it. */
  deviceMemoryGb?: number;
}

export type PreflightLevel = 'ok' | 'warn' | 'refuse';

/** One finding, in facts (bytes); i18n words it. */
export type PreflightReason =
  /** A tensor larger than one GPU buffer can hold: the GPU cannot load the model at all. */
  | { kind: 'tensor'; level: 'refuse'; tensor: number; limit: number; limitName: 'maxBufferSize' | 'maxStorageBufferBindingSize' }
  /** A bundle file larger than one GPU buffer: whether one tensor is that large shows only when it loads. */
  | { kind: 'file'; level: 'warn'; file: number; limit: number }
  /** This browser's onnxruntime build cannot stream weights, and a component is too large to hold in the page. */
  | { kind: 'noStreaming'; level: 'refuse'; component: number; limit: number }
  /** No WebGPU, and the largest stage does not fit the CPU build's memory. */
  | { kind: 'wasm'; level: 'refuse'; need: number; limit: number; why: string }
  /** Browsers never say how much memory a GPU has: what the model needs and what we do know. */
  | { kind: 'gpuMemory'; level: 'warn'; need: number; adapter: string; buffer?: number }
  /** Looks like a private window (storage and Blobs in RAM) and the model does not fit its quota. */
  | { kind: 'privateNoRoom'; level: 'refuse'; need: number; free: number }
  /** Looks like a private window: it fits, but lives in RAM and is gone when the window closes. */
  | { kind: 'private'; level: 'warn'; need: number; quota: number }
  | { kind: 'noRoom'; level: 'refuse'; need: number; free: number }
  /** More than Chrome's capped report: it may still fit; the store finds out while writing. */
  | { kind: 'roomUnknown'; level: 'warn'; need: number; free: number }
  | { kind: 'notPersisted'; level: 'warn'; need: number }
  | { kind: 'lowMemory'; level: 'warn'; need: number; have: number };

export interface Preflight {
  level: PreflightLevel;
  reasons: PreflightReason[];
  /** Whether the device probe has answered (the GPU checks wait for it). */
  deviceKnown: boolean;
}

/** Whether the reported quota is Chrome's predictable one (usage + exactly 10 GiB), not a real limit. */
export function isCappedQuota(estimate: StorageEstimate): boolean {
  return estimate.quota - estimate.usage === REPORTED_QUOTA_CAP;
}

/**
 * Whether this looks like a private window: storage not persisted and a quota that is not Chrome's
 * capped report and smaller than a quarter of RAM (or 2 GB where RAM is unknown). Browsers that show
 * a private window's real quota give it a small part of RAM (Chromium without the static quota:
 * 1.39 GB on a 25 GB machine, against 162 GB in a normal profile); Chrome 138+ hides it, and then
 * this says no.
 */
export function looksPrivate(facts: Pick<MachineFacts, 'estimate' | 'persisted' | 'deviceMemoryGb'>): boolean {
  const { estimate, persisted, deviceMemoryGb } = facts;
  if (!estimate || persisted !== false || isCappedQuota(estimate)) return false;
  const ram = deviceMemoryGb ? deviceMemoryGb * GiB : 0;
  return estimate.quota < Math.max(PRIVATE_QUOTA_FLOOR, ram / 4);
}

/** The verdict: refuse when it cannot work here, warn with the numbers when it may not. */
export function preflight(needs: ModelNeeds, facts: MachineFacts): Preflight {
  const reasons: PreflightReason[] = [...deviceReasons(needs, facts), ...storageReasons(needs, facts)];
  const level: PreflightLevel = reasons.some((r) => r.level === 'refuse') ? 'refuse' : reasons.length ? 'warn' : 'ok';
  return { level, reasons, deviceKnown: facts.device !== null };
}

function deviceReasons(needs: ModelNeeds, { device, deviceMemoryGb }: MachineFacts): PreflightReason[] {
  const reasons: PreflightReason[] = [];
  const stage = needs.stageBytes ?? 0;
  if (device?.ortBuild === 'asyncify' && (needs.largestComponentBytes ?? 0) > ASYNCIFY_WEIGHT_BUDGET)
    reasons.push({ kind: 'noStreaming', level: 'refuse', component: needs.largestComponentBytes!, limit: ASYNCIFY_WEIGHT_BUDGET });
  if (device && !device.webgpu) {
    // Everything then runs in the CPU build's memory: a stage larger than it cannot load.
    if (stage > WASM_MEMORY_LIMIT)
      reasons.push({ kind: 'wasm', level: 'refuse', need: stage, limit: WASM_MEMORY_LIMIT, why: device.reason ?? '' });
  } else if (device) {
    // Each tensor is one GPU buffer, bound whole as storage: both limits apply.
    const tight = (['maxBufferSize', 'maxStorageBufferBindingSize'] as const)
      .flatMap((name) => (device[name] !== undefined ? [{ name, limit: device[name] }] : []))
      .sort((a, b) => a.limit - b.limit)[0];
    if (tight && needs.largestTensorBytes !== undefined && needs.largestTensorBytes > tight.limit) {
      reasons.push({ kind: 'tensor', level: 'refuse', tensor: needs.largestTensorBytes, limit: tight.limit, limitName: tight.name });
    } else if (tight && needs.largestTensorBytes === undefined && (needs.largestFileBytes ?? 0) > tight.limit) {
      reasons.push({ kind: 'file', level: 'warn', file: needs.largestFileBytes!, limit: tight.limit });
    }
    if (stage > GPU_WARN_BYTES) {
      const adapter = device.adapter ? [device.adapter.description, device.adapter.vendor].filter(Boolean).join(', ') : '';
      reasons.push({ kind: 'gpuMemory', level: 'warn', need: stage, adapter, ...(tight ? { buffer: tight.limit } : {}) });
    }
  }
  const have = deviceMemoryGb ? deviceMemoryGb * GiB : undefined;
  if (have !== undefined && deviceMemoryGb! < DEVICE_MEMORY_CAP_GB && stage > have) {
    reasons.push({ kind: 'lowMemory', level: 'warn', need: stage, have });
  }
  return reasons;
}

function storageReasons(needs: ModelNeeds, facts: MachineFacts): PreflightReason[] {
  const { estimate, persisted } = facts;
  const need = needs.storeBytes;
  if (need <= 0) return [];
  const reasons: PreflightReason[] = [];
  const free = estimate ? Math.max(0, estimate.quota - estimate.usage) : undefined;
  if (estimate && free !== undefined && looksPrivate(facts)) {
    reasons.push(
      need > free
        ? { kind: 'privateNoRoom', level: 'refuse', need, free }
        : { kind: 'private', level: 'warn', need, quota: estimate.quota },
    );
    // A private window never keeps anything: "not persisted" would say the same again.
    return reasons;
  }
  if (estimate && free !== undefined && need > free) {
    reasons.push(
      isCappedQuota(estimate) ? { kind: 'roomUnknown', level: 'warn', need, free } : { kind: 'noRoom', level: 'refuse', need, free },
    );
  }
  if (persisted === false && need > PERSIST_WARN_BYTES) reasons.push({ kind: 'notPersisted', level: 'warn', need });
  return reasons;
}
