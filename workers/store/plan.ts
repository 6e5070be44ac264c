// What a download of a bundle involves, from its manifest and what the store holds. Pure.
import { COMPONENT_NAMES, bundleFiles, type BundleFile, type BundleManifest, type ComponentName } from '../../src/shared/manifest';
import type { DownloadPlan, PlannedFile, StorageEstimate } from '../../src/shared/store-api';
import { isCappedQuota } from '../../src/shared/preflight';

/** What the store holds of one file (by sha256). */
export interface HeldFile {
  stored: number;
  complete: boolean;
}

/** Files of each component, tokenizers under their encoder (as `bundleSizes` counts them). */
export function componentFiles(manifest: BundleManifest): Record<ComponentName, BundleFile[]> {
  const out = {} as Record<ComponentName, BundleFile[]>;
  for (const name of COMPONENT_NAMES) {
    const c = manifest.components[name];
    out[name] = [c.graph, ...c.external_data];
  }
  out.clip.push(...manifest.tokenizers.clip.files);
  out.t5.push(...manifest.tokenizers.t5.files);
  return out;
}

/** The bundle's files, each content (sha256) once: the store keys files by content. */
export function uniqueContents(manifest: BundleManifest): BundleFile[] {
  const seen = new Set<string>();
  return bundleFiles(manifest).filter((f) => (seen.has(f.sha256) ? false : (seen.add(f.sha256), true)));
}

/** Checks what the store relies on beyond `assertManifest`: sizes and hashes that can key and bound a file. */
export function manifestProblem(manifest: BundleManifest): string | undefined {
  for (const f of bundleFiles(manifest)) {
    if (!/^[0-9a-f]{64}$/.test(f.sha256 ?? '')) return `${f.path} has no valid sha256`;
    if (!Number.isSafeInteger(f.bytes) || f.bytes < 0) return `${f.path} has no valid byte size`;
    if (f.path.startsWith('/') || f.path.split('/').includes('..') || /^[a-z][a-z0-9+.-]*:/i.test(f.path)) {
      return `${f.path} is not a path inside the bundle`;
    }
  }
  if (!manifest.id || !manifest.version) return 'the manifest has no id or version';
  return undefined;
}

/** Bytes of a file the store already holds (capped at its size). */
function held(file: BundleFile, files: ReadonlyMap<string, HeldFile>): { cachedBytes: number; state: PlannedFile['state'] } {
  const h = files.get(file.sha256);
  if (!h) return { cachedBytes: 0, state: 'missing' };
  if (h.complete) return { cachedBytes: file.bytes, state: 'complete' };
  return { cachedBytes: Math.min(h.stored, file.bytes), state: h.stored > 0 ? 'partial' : 'missing' };
}

/** The plan's numbers: totals, per component, per file. Quota and persistence are added by the caller. */
export function planFiles(
  manifest: BundleManifest,
  files: ReadonlyMap<string, HeldFile>,
): Pick<DownloadPlan, 'totalBytes' | 'cachedBytes' | 'downloadBytes' | 'byComponent' | 'files'> {
  const planned: PlannedFile[] = bundleFiles(manifest).map((f) => ({ path: f.path, sha256: f.sha256, bytes: f.bytes, ...held(f, files) }));
  let totalBytes = 0;
  let cachedBytes = 0;
  for (const f of uniqueContents(manifest)) {
    totalBytes += f.bytes;
    cachedBytes += held(f, files).cachedBytes;
  }
  const byComponent = {} as DownloadPlan['byComponent'];
  for (const [name, list] of Object.entries(componentFiles(manifest)) as [ComponentName, BundleFile[]][]) {
    byComponent[name] = { bytes: 0, cachedBytes: 0 };
    for (const f of list) {
      byComponent[name].bytes += f.bytes;
      byComponent[name].cachedBytes += held(f, files).cachedBytes;
    }
  }
  return { totalBytes, cachedBytes, downloadBytes: totalBytes - cachedBytes, byComponent, files: planned };
}

/**
 * Whether `needed` more bytes fit the browser's quota; without an estimate, assume they do. Chrome
 * 138+ reports usage + exactly 10 GiB whatever the real room is: that means "at least 10 GiB", so it
 * refuses nothing (a real shortage is then named by the write that hits it, QuotaExceeded).
 */
export function fitsQuota(needed: number, estimate: StorageEstimate | undefined): { fits: boolean; available?: number } {
  if (!estimate) return { fits: true };
  const available = Math.max(0, estimate.quota - estimate.usage);
  return { fits: needed <= available || isCappedQuota(estimate), available };
}
