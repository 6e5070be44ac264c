// Small pure pieces behind the progress and frame views (unit-tested in node).
import type { DeviceReport, BundleInfo } from '../shared/api';
import { bundleFiles } from '../shared/manifest';
import type { GeneratorEvent, WaitCause } from '../shared/events';

/**
 * Time left for work measured in units (steps, bytes), from the average rate since the first
 * sample of the stage. Undefined until the rate is known.
 */
export class EtaEstimator {
  #origin: { done: number; at: number } | null = null;

  reset(): void {
    this.#origin = null;
  }

  update(done: number, total: number, now: number): number | undefined {
    if (!this.#origin || done < this.#origin.done) {
      this.#origin = { done, at: now };
      return undefined;
    }
    const units = done - this.#origin.done;
    const elapsed = now - this.#origin.at;
    if (units <= 0 || elapsed <= 0) return undefined;
    return Math.max(0, ((total - done) * elapsed) / units);
  }
}

/** A store download's or assembly's progress as the model panel shows it. */
export interface DownloadProgress {
  loaded: number;
  total: number;
  bytesPerSecond: number;
  file: string;
  etaMs?: number;
  /** A pause before the next try (a 'wait' event), until bytes flow again. */
  wait?: { cause: WaitCause; ms: number };
}

/** The panel's progress from a 'download' event: the store's own rate when it has one, else the estimator's. */
export function downloadProgress(event: Extract<GeneratorEvent, { type: 'download' }>, eta: EtaEstimator, now: number): DownloadProgress {
  const etaMs =
    event.bytesPerSecond > 0
      ? ((event.bundleTotal - event.bundleLoaded) / event.bytesPerSecond) * 1000
      : eta.update(event.bundleLoaded, event.bundleTotal, now);
  return {
    loaded: event.bundleLoaded,
    total: event.bundleTotal,
    bytesPerSecond: event.bytesPerSecond,
    file: event.file,
    ...(etaMs !== undefined ? { etaMs } : {}),
  };
}

/** The frame to draw for a wanted index: itself if ready, else the nearest ready one (earlier wins a tie), else null. */
export function nearestReady(index: number, ready: readonly boolean[]): number | null {
  if (ready[index]) return index;
  for (let d = 1; d < ready.length; d++) {
    if (ready[index - d]) return index - d;
    if (ready[index + d]) return index + d;
  }
  return null;
}

/** The middle frame, where the original's slider starts (scale 0). */
export function middleFrame(count: number): number {
  return Math.max(0, Math.floor((count - 1) / 2));
}

/** What the device check concludes, as facts; the words are in i18n. */
export type DeviceVerdict =
  | { kind: 'gpu'; adapter: string; shaderF16: boolean; lowMemory?: { need: number; have: number } }
  | { kind: 'wasm'; reason: string; lowMemory?: { need: number; have: number } }
  | { kind: 'memory'; need: number; have: number };

/**
 * GPU when WebGPU works and the model's largest weight file fits one GPU buffer; wasm when WebGPU
 * is missing; "memory" when the GPU cannot hold the largest piece. `deviceMemoryGb` is
 * navigator.deviceMemory (coarse, capped at 8 by Chrome), used only to warn.
 */
export function deviceVerdict(report: DeviceReport, bundle: BundleInfo | null, deviceMemoryGb?: number): DeviceVerdict {
  const largest = bundle ? Math.max(0, ...bundleFiles(bundle.manifest).map((f) => f.bytes)) : 0;
  const need = bundle?.totalBytes ?? 0;
  const have = deviceMemoryGb ? deviceMemoryGb * 1e9 : undefined;
  // Chrome caps deviceMemory at 8 GB, so only a device reporting less than the model is warned about.
  const lowMemory = have !== undefined && have < 8e9 && need > have ? { need, have } : undefined;
  if (!report.webgpu) return { kind: 'wasm', reason: report.reason ?? 'WebGPU is missing', ...(lowMemory ? { lowMemory } : {}) };
  const limit = report.maxBufferSize;
  if (limit !== undefined && largest > limit) return { kind: 'memory', need: largest, have: limit };
  const adapter = report.adapter
    ? [report.adapter.description, report.adapter.vendor, report.adapter.architecture].filter(Boolean).join(', ')
    : '';
  return { kind: 'gpu', adapter, shaderF16: report.shaderF16, ...(lowMemory ? { lowMemory } : {}) };
}
