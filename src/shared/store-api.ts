/** The model store's part of the worker contract (workers/store). Numbers only: the UI words them. */
import type { BundleSource, JobId } from './api';
import type { ComponentName } from './manifest';
import type { EventSink } from './events';

/** Where one file of a bundle stands in the store. `partial` files resume where they stopped. */
export type StoredFileState = 'complete' | 'partial' | 'missing';

export interface PlannedFile {
  path: string;
  sha256: string;
  bytes: number;
  /** Bytes already stored: all of them when complete, the stored prefix when partial. */
  cachedBytes: number;
  state: StoredFileState;
}

/** What the browser says about this origin's storage (`navigator.storage.estimate()`). */
export interface StorageEstimate {
  usage: number;
  /** What the browser reports, or less: the usage at which it refused a write (`refusedAt`), if that is lower. */
  quota: number;
  /**
   * The usage at which the browser refused a write (QuotaExceededError) while this worker ran, when
   * `navigator.storage.estimate()` still reports a larger quota (a quota lowered after the page loaded).
   */
  refusedAt?: number;
}

/** What a download of a bundle will move, known before any byte of a weight file moves. */
export interface DownloadPlan {
  bundleId: string;
  version: string;
  displayName?: string;
  /** Absolute URL of the manifest. */
  manifestUrl: string;
  /** Bytes of all the bundle's files (each content once). */
  totalBytes: number;
  /** Bytes already in the store (complete files, and the stored prefix of partial ones). */
  cachedBytes: number;
  /** Bytes still to fetch: totalBytes − cachedBytes. */
  downloadBytes: number;
  /** Per component (tokenizers counted under their encoder, as `bundleSizes`). */
  byComponent: Record<ComponentName, { bytes: number; cachedBytes: number }>;
  files: PlannedFile[];
  /** The version of this bundle that is complete in the store now, if any (a download replaces it). */
  installedVersion?: string;
  /** Absent where the browser cannot estimate. */
  estimate?: StorageEstimate;
  /** Whether downloadBytes fits in quota − usage (true when there is no estimate). */
  fits: boolean;
  /** Whether the browser already keeps this origin's storage persistently. */
  persisted: boolean;
}

export interface DownloadOptions {
  /** Ask the browser to keep the models (`navigator.storage.persist()`) before downloading; default true. */
  persist?: boolean;
}

export interface DownloadResult {
  bundleId: string;
  version: string;
  /** Bytes fetched and stored by this call. */
  downloadedBytes: number;
  /** Bytes that were already stored and verified (not fetched again). */
  reusedBytes: number;
  /** Bytes of files no stored bundle uses any more (an older version's), removed after the commit. */
  removedBytes: number;
  seconds: number;
  /** The browser's answer about persistent storage. */
  persisted: boolean;
}

/** One bundle version in the store. */
export interface StoredBundle {
  id: string;
  version: string;
  displayName?: string;
  manifestUrl: string;
  /** `complete`: committed and usable offline; `partial`: a download that stopped or is running. */
  state: 'complete' | 'partial';
  totalBytes: number;
  storedBytes: number;
  files: number;
  completeFiles: number;
  /** ms since the epoch: committed (complete) or started (partial). */
  updatedAt: number;
}

/** What the store holds, for the storage panel. */
export interface StorageReport {
  bundles: StoredBundle[];
  /** Bytes of model data the store holds (all files, complete and partial, each content once). */
  usedBytes: number;
  estimate?: StorageEstimate;
  persisted: boolean;
}

/** The model store: downloads bundles into IndexedDB, resumably and verified, and reports on them. */
export interface StoreApi {
  /** Reads a bundle's manifest and says what a download would fetch, and whether it fits. No weights move. */
  planDownload(source: BundleSource): Promise<DownloadPlan>;
  /**
   * Downloads what is missing of a bundle, resuming partial files, verifying every file's sha256, and
   * commits the bundle when all are stored. Progress arrives as 'download' and 'verify' events.
   * Rejects with an AppError name: Offline, DownloadFailed (host unreachable), NotFound, QuotaExceeded
   * (before or during), IntegrityMismatch, BundleInvalid, or AbortError after `cancelDownload`.
   */
  download(job: JobId, source: BundleSource, onEvent: EventSink, options?: DownloadOptions): Promise<DownloadResult>;
  /** Stops a download between chunks; what was stored stays for the next `download` to resume. */
  cancelDownload(job: JobId): Promise<void>;
  storage(): Promise<StorageReport>;
  /** Deletes one bundle (all its versions, complete or partial), or everything when `id` is left out. */
  deleteBundle(id?: string): Promise<StorageReport>;
  /**
   * Asks the browser to keep the stored models (`navigator.storage.persist()`) and returns its answer.
   * The Storage Standard offers persist() to pages only, not workers: where it cannot ask, `asked` is
   * false and `persisted` is the current state; the page must then ask itself.
   */
  persist(): Promise<{ persisted: boolean; asked: boolean }>;
}
