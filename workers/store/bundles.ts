// The model store's operations on whole bundles: plan, download (files in parallel, commit last),
// open a stored bundle for the engine, report and delete. Worker-side; the comlink face is api.ts.
import type { BundleSource } from '../../src/shared/api';
import type { EventSink, GeneratorEvent } from '../../src/shared/events';
import { AppError } from '../../src/shared/errors';
import { assertManifest, bundleFiles, type BundleFile, type BundleManifest } from '../../src/shared/manifest';
import type { DownloadPlan, DownloadResult, StorageEstimate, StorageReport, StoredBundle } from '../../src/shared/store-api';
import type { FileReader } from '../runtime/ort';
import { chunksCover } from './chunks';
import { abortError, downloadFile, unreachable } from './downloader';
import { fitsQuota, manifestProblem, planFiles, uniqueContents, type HeldFile } from './plan';
import { formatBytes, RateMeter, Throttle } from './progress';
import { ASSEMBLED_SCHEME, isAssembledUrl } from '../../src/shared/assemble-api';
import { policyRefusal } from '../../src/shared/csp';
import { Sha256 } from './sha256';
import * as db from './shard-store';

export interface StoreOptions {
  /** Injectable for tests; the browser's fetch otherwise. */
  fetch?: typeof fetch;
  /** Largest chunk record (default 4 MiB): what a reload or a crash can lose of a file in flight. */
  chunkBytes?: number;
  /** Files downloaded at once (default 3). */
  concurrency?: number;
  /**
   * Downloads of a file whose sha256 does not match, in all (default 2: a host that serves the same wrong
   * file twice will serve it a third time, and for the real transformer each try is 6.8 GB).
   */
  integrityAttempts?: number;
  /** Broken connections in a row, without progress, before a file fails (default 4). */
  networkRetries?: number;
  /** First pause before a retry, doubling (default 500 ms). */
  retryBaseMs?: number;
  /** A body that sends nothing for this long is dropped and resumed (default 30 s). */
  stallMs?: number;
  /** Shortest interval between two 'download' events of one file (default 100 ms). */
  progressIntervalMs?: number;
  /** Ask for persistent storage before downloading (default true; only a page can ask). */
  persist?: boolean;
  /** Stops the download between chunks. */
  signal?: AbortSignal;
}

export const DEFAULTS = {
  chunkBytes: 4 * 1024 * 1024,
  concurrency: 3,
  integrityAttempts: 2,
  networkRetries: 4,
  retryBaseMs: 500,
  stallMs: 30_000,
  progressIntervalMs: 100,
};

/** A bundle the store holds complete, as the engine reads it. */
export interface CachedBundle {
  manifest: BundleManifest;
  read: FileReader;
  /** Resolves once the stored file's bytes match its sha256 (hashed once per worker); else StorageDamaged. */
  verify(file: BundleFile): Promise<void>;
  /** Whether this worker has found the file's bytes matching its sha256 already. */
  verified(file: BundleFile): boolean;
  /** Runs a job on the bundle while no tab may delete it. */
  use<T>(work: () => Promise<T>): Promise<T>;
  version: string;
  manifestUrl: string;
}

const absolute = (url: string) => new URL(url, self.location.href).href;

/** Downloads in progress, by bundle id: one at a time per bundle, and deletable. */
const active = new Map<string, { controller: AbortController; settled: Promise<unknown> }>();
/** Files being written, by sha256: two bundles sharing a file never write it at once. */
const writingContents = new Map<string, Promise<unknown>>();
// ---------------------------------------------------------------------------------------------
// Browser storage facts

/**
 * The browser's estimate, corrected by what its writes said: after a refused write the quota is at most
 * the usage it was refused at (Chrome's estimate() keeps reporting a quota lowered since the page loaded).
 */
export async function estimateStorage(): Promise<StorageEstimate | undefined> {
  let estimate: StorageEstimate | undefined;
  try {
    const e = await navigator.storage?.estimate?.();
    estimate = e && typeof e.quota === 'number' ? { usage: e.usage ?? 0, quota: e.quota } : undefined;
  } catch {
    return undefined;
  }
  const refused = db.quotaRefusal();
  if (!estimate || refused === undefined) return estimate;
  // Stored beyond the refusal since: the quota grew (space was freed elsewhere, or the browser gave more).
  if (estimate.usage > refused) {
    db.forgetQuotaRefusal();
    return estimate;
  }
  return { usage: estimate.usage, quota: Math.min(estimate.quota, refused), refusedAt: refused };
}

export async function isPersisted(): Promise<boolean> {
  try {
    return (await navigator.storage?.persisted?.()) ?? false;
  } catch {
    return false;
  }
}

/**
 * Asks the browser to keep the store's data. `navigator.storage.persist()` exists only on a page
 * (Window), not in a worker: there `asked` is false and the app's page must ask.
 */
export async function requestPersist(): Promise<{ persisted: boolean; asked: boolean }> {
  const storage = typeof navigator !== 'undefined' ? (navigator.storage as Partial<StorageManager> | undefined) : undefined;
  if (typeof storage?.persist !== 'function') return { persisted: await isPersisted(), asked: false };
  try {
    return { persisted: await storage.persist(), asked: true };
  } catch {
    return { persisted: await isPersisted(), asked: true };
  }
}

// ---------------------------------------------------------------------------------------------
// Manifests

/** Reads and checks a bundle's manifest from its URL (the engine's URL path uses it too). */
export async function fetchManifest(manifestUrl: string, fetchFn: typeof fetch = fetch): Promise<BundleManifest> {
  // An assembled bundle has no manifest on any host: it exists in the store or not at all.
  if (isAssembledUrl(manifestUrl)) {
    const record = (await db.getBundleRecords('bundle')).find((r) => r.manifestUrl === manifestUrl);
    if (record) return record.manifest;
    throw new AppError(
      'ModelNotDownloaded',
      `${manifestUrl.slice(ASSEMBLED_SCHEME.length)} is a model assembled in this browser and is not stored complete here; assemble it again (what is stored is kept).`,
    );
  }
  let response: Response;
  const since = performance.now();
  try {
    response = await fetchFn(manifestUrl, { cache: 'no-cache' });
  } catch (error) {
    throw (await policyRefusal(manifestUrl, since)) ?? unreachable(manifestUrl, error);
  }
  if (response.status === 404 || response.status === 410)
    throw new AppError('NotFound', `No model bundle at ${manifestUrl} (${response.status}).`);
  if (!response.ok) throw new AppError('DownloadFailed', `The model host answered ${response.status} for ${manifestUrl}.`);
  let manifest: unknown;
  try {
    manifest = await response.json();
  } catch {
    throw new AppError('BundleInvalid', `${manifestUrl} is not valid JSON.`);
  }
  try {
    assertManifest(manifest);
  } catch (error) {
    throw new AppError('BundleInvalid', `${manifestUrl}: ${(error as Error).message}.`);
  }
  const problem = manifestProblem(manifest);
  if (problem) throw new AppError('BundleInvalid', `${manifestUrl}: ${problem}.`);
  return manifest;
}

/** The manifest from the network; when the host cannot be reached, the stored one if a version is complete. */
async function currentManifest(
  manifestUrl: string,
  fetchFn: typeof fetch,
): Promise<{ manifest: BundleManifest; stored?: db.BundleRecord }> {
  const committed = (await db.getBundleRecords('bundle')).find((r) => r.manifestUrl === manifestUrl);
  try {
    return { manifest: await fetchManifest(manifestUrl, fetchFn), ...(committed ? { stored: committed } : {}) };
  } catch (error) {
    const offline = error instanceof AppError && (error.name === 'Offline' || error.name === 'DownloadFailed');
    if (offline && committed) return { manifest: committed.manifest, stored: committed };
    throw error;
  }
}

function heldFiles(records: Map<string, db.FileRecord>): Map<string, HeldFile> {
  return new Map([...records].map(([sha, r]) => [sha, { stored: r.stored, complete: r.complete }]));
}

// ---------------------------------------------------------------------------------------------
// Plan and download

async function makePlan(manifestUrl: string, manifest: BundleManifest, stored?: db.BundleRecord): Promise<DownloadPlan> {
  const records = await db.getFileRecords(uniqueContents(manifest).map((f) => f.sha256));
  const numbers = planFiles(manifest, heldFiles(records));
  const [estimate, persisted] = await Promise.all([estimateStorage(), isPersisted()]);
  return {
    bundleId: manifest.id,
    version: manifest.version,
    ...(manifest.display_name ? { displayName: manifest.display_name } : {}),
    manifestUrl,
    ...numbers,
    ...(stored ? { installedVersion: stored.version } : {}),
    ...(estimate ? { estimate } : {}),
    fits: fitsQuota(numbers.downloadBytes, estimate).fits,
    persisted,
  };
}

/** What a download of the bundle would fetch, whether it fits, and what is stored already. */
export async function planDownload(source: BundleSource, options: StoreOptions = {}): Promise<DownloadPlan> {
  const manifestUrl = absolute(source.manifestUrl);
  const { manifest, stored } = await currentManifest(manifestUrl, options.fetch ?? fetch.bind(globalThis));
  return makePlan(manifestUrl, manifest, stored);
}

function quotaError(plan: DownloadPlan): AppError {
  const { usage = 0, quota = 0 } = plan.estimate ?? {};
  const available = Math.max(0, quota - usage);
  return new AppError(
    'QuotaExceeded',
    `${plan.displayName ?? plan.bundleId} needs ${formatBytes(plan.downloadBytes)} more (${plan.downloadBytes} bytes), but the browser lets this app store only ` +
      `${formatBytes(available)} more (${available} bytes; ${usage} of ${quota} used). Free disk space or delete a stored model, then try again.`,
  );
}

/** Sends events without ever letting the UI's callback (a comlink proxy) break the download. */
export function safeSink(onEvent: EventSink): EventSink {
  return (event: GeneratorEvent) => {
    try {
      const result = onEvent(event) as unknown;
      if (result instanceof Promise) result.catch(() => {});
    } catch {
      // The page went away; the download goes on and is stored.
    }
  };
}

/**
 * Downloads what is missing of a bundle, then commits it (its bundle record is written last) and
 * removes files no stored bundle uses any more. Rejects with named AppErrors.
 */
export async function downloadBundle(source: BundleSource, onEvent: EventSink, options: StoreOptions = {}): Promise<DownloadResult> {
  const started = performance.now();
  const opts = { ...DEFAULTS, ...options };
  const fetchFn = options.fetch ?? fetch.bind(globalThis);
  const emit = safeSink(onEvent);
  const manifestUrl = absolute(source.manifestUrl);
  const { manifest } = await currentManifest(manifestUrl, fetchFn);
  return withBundleLock(manifest.id, options.signal, () =>
    downloadLocked(manifestUrl, manifest, emit, opts, fetchFn, options.signal, started),
  );
}

/** downloadBundle once this tab holds the bundle's lock: the plan reads what the store holds now. */
async function downloadLocked(
  manifestUrl: string,
  manifest: BundleManifest,
  emit: EventSink,
  opts: typeof DEFAULTS & StoreOptions,
  fetchFn: typeof fetch,
  outer: AbortSignal | undefined,
  started: number,
): Promise<DownloadResult> {
  const stored = (await db.getBundleRecords('bundle')).find((r) => r.manifestUrl === manifestUrl);
  const job = claimBundle(manifest.id, outer);
  try {
    const plan = await makePlan(manifestUrl, manifest, stored);
    // Before any byte moves: the browser must have room for what is missing.
    if (!plan.fits) throw quotaError(plan);
    const { persisted } = opts.persist ? await requestPersist() : { persisted: plan.persisted };
    const complete = new Set(plan.files.filter((f) => f.state === 'complete').map((f) => f.sha256));
    const reusedBytes = uniqueContents(manifest).reduce((n, f) => (complete.has(f.sha256) ? n + f.bytes : n), 0);
    const record: db.BundleRecord = { id: manifest.id, version: manifest.version, manifestUrl, manifest, at: Date.now() };
    const alreadyCommitted = stored?.version === manifest.version && plan.downloadBytes === 0;
    let downloadedBytes = 0;
    if (!alreadyCommitted) {
      await db.putPending(record);
      emit({ type: 'stage', stage: 'download' });
      downloadedBytes = await downloadFiles(manifestUrl, manifest, plan, opts, fetchFn, job.signal, emit);
      if (job.signal.aborted) throw abortError();
      // The commit marker, written only now that every file is stored and verified.
      await db.commitBundle({ ...record, at: Date.now() });
    }
    const removedBytes = await collectGarbage();
    return {
      bundleId: manifest.id,
      version: manifest.version,
      downloadedBytes,
      reusedBytes,
      removedBytes,
      seconds: (performance.now() - started) / 1000,
      persisted,
    };
  } finally {
    job.release();
  }
}

/** The Web Lock every tab takes to write, delete or use one bundle; absent where Web Locks are missing. */
const bundleLock = (id: string) => `time-stream-bundle:${id}`;
const webLocks = (): LockManager | undefined => (typeof navigator !== 'undefined' ? navigator.locks : undefined);

/**
 * Runs `work` holding the bundle's lock across every tab and worker of the origin (Web Locks):
 * downloads, assemblies and deletions of one bundle never overlap, and each reads the store only once
 * it holds the lock, so a second tab finds what the first one stored instead of fetching it again (or
 * writing over it from its own, older idea of what is stored). Without Web Locks the work just runs.
 */
export async function withBundleLock<T>(id: string, signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
  const locks = webLocks();
  if (!locks) return work();
  try {
    return (await locks.request(bundleLock(id), signal ? { signal } : {}, work)) as T;
  } catch (error) {
    // Cancelled while another tab held the lock.
    if (signal?.aborted && !(error instanceof AppError)) throw abortError();
    throw error;
  }
}

/**
 * Runs a job on a stored bundle holding its lock shared: while it runs, a delete from any tab is refused
 * (it would pull the weights from under the run). When another tab holds the lock to write the bundle,
 * the job runs without it rather than wait.
 */
function whileInUse(id: string) {
  return <T>(work: () => Promise<T>): Promise<T> => {
    const locks = webLocks();
    if (!locks) return work();
    return locks.request(bundleLock(id), { mode: 'shared', ifAvailable: true }, () => work()) as Promise<T>;
  };
}

/** Deletes while holding the bundle's lock; refused when another tab is writing or using it. */
async function withDeleteLock<T>(id: string, work: () => Promise<T>): Promise<T> {
  const locks = webLocks();
  if (!locks) return work();
  return (await locks.request(bundleLock(id), { ifAvailable: true }, async (lock) => {
    if (!lock)
      throw new AppError(
        'InvalidRequest',
        `${id} is being downloaded, assembled or used for a run in another tab of this site; delete it when that is done.`,
      );
    return work();
  })) as T;
}

/**
 * Marks a bundle as being written (a download, or an assembly): one job per bundle id at a time, and
 * deleteBundle stops it. The returned signal fires on `outer` or on a deletion; release() when done.
 */
export function claimBundle(id: string, outer?: AbortSignal): { signal: AbortSignal; release(): void } {
  if (active.has(id)) throw new AppError('InvalidRequest', `${id} is already being downloaded or assembled.`);
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort();
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  if (outer?.aborted) controller.abort();
  let settle!: () => void;
  active.set(id, { controller, settled: new Promise<void>((resolve) => (settle = resolve)) });
  return {
    signal: controller.signal,
    release() {
      outer?.removeEventListener('abort', onOuterAbort);
      active.delete(id);
      settle();
    },
  };
}

/** Runs the per-file downloads, a few at once; the first failure stops the others (they keep what they stored). */
async function downloadFiles(
  manifestUrl: string,
  manifest: BundleManifest,
  plan: DownloadPlan,
  opts: typeof DEFAULTS,
  fetchFn: typeof fetch,
  outer: AbortSignal,
  emit: EventSink,
): Promise<number> {
  const queue = uniqueContents(manifest).filter((f) => plan.files.find((p) => p.sha256 === f.sha256)?.state !== 'complete');
  const stop = new AbortController();
  const onOuter = () => stop.abort();
  outer.addEventListener('abort', onOuter, { once: true });

  // Progress: per file bytes received, the bundle's sum, a speed over the last seconds.
  const received = new Map<string, number>(queue.map((f) => [f.sha256, plan.files.find((p) => p.sha256 === f.sha256)!.cachedBytes]));
  const base = plan.cachedBytes - [...received.values()].reduce((a, b) => a + b, 0);
  const sessionStart = [...received.values()].reduce((a, b) => a + b, 0);
  const meter = new RateMeter();
  const throttle = new Throttle(opts.progressIntervalMs);
  const report = (file: BundleFile, bytes: number, force = false) => {
    received.set(file.sha256, bytes);
    const now = performance.now();
    let sum = 0;
    for (const n of received.values()) sum += n;
    const bytesPerSecond = meter.sample(now, sum - sessionStart);
    if (!throttle.pass(file.sha256, now, force || bytes === file.bytes)) return;
    emit({
      type: 'download',
      file: file.path,
      loaded: bytes,
      total: file.bytes,
      bundleLoaded: base + sum,
      bundleTotal: plan.totalBytes,
      bytesPerSecond,
    });
  };

  let fetched = 0;
  let firstError: unknown;
  const next = () => queue.shift();
  const worker = async () => {
    for (let file = next(); file && !stop.signal.aborted; file = next()) {
      const url = new URL(file.path, manifestUrl).href;
      const one = file;
      report(one, received.get(one.sha256) ?? 0, true);
      try {
        const bytes = await withContentLock(one.sha256, () =>
          downloadFile(url, one, {
            fetch: fetchFn,
            chunkBytes: opts.chunkBytes,
            integrityAttempts: opts.integrityAttempts,
            networkRetries: opts.networkRetries,
            retryBaseMs: opts.retryBaseMs,
            stallMs: opts.stallMs,
            signal: stop.signal,
            onBytes: (f, bytes) => report(f, bytes, bytes === 0),
            onVerify: (f, ok, attempt) => emit({ type: 'verify', file: f.path, ok, attempt, attempts: opts.integrityAttempts }),
            onWait: (f, ms, cause) => emit({ type: 'wait', file: f.path, ms, cause }),
          }),
        );
        fetched += bytes;
        // Also when another download stored this content meanwhile: the file is there, whole.
        report(one, one.bytes, true);
      } catch (error) {
        if (firstError === undefined && !(error instanceof Error && error.name === 'AbortError' && !outer.aborted)) firstError = error;
        stop.abort();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, queue.length)) }, worker));
  } finally {
    outer.removeEventListener('abort', onOuter);
  }
  if (firstError !== undefined) throw outer.aborted ? abortError() : firstError;
  if (outer.aborted) throw abortError();
  return fetched;
}

async function withContentLock<T>(sha256: string, work: () => Promise<T>): Promise<T> {
  while (writingContents.has(sha256)) await writingContents.get(sha256)!.catch(() => {});
  const running = work();
  writingContents.set(sha256, running);
  try {
    return await running;
  } finally {
    writingContents.delete(sha256);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading a stored bundle

/** Throws StorageEvicted (and un-commits the bundle, so a download fetches what is missing). */
async function evicted(record: db.BundleRecord, missing: BundleFile[]): Promise<never> {
  await db.deleteContents(missing.map((f) => f.sha256));
  await db.uncommitBundle({ ...record, at: Date.now() });
  const bytes = missing.reduce((n, f) => n + f.bytes, 0);
  throw new AppError(
    'StorageEvicted',
    `The browser removed stored data of ${record.manifest.display_name ?? record.id} (${missing.length} file(s), ${formatBytes(bytes)}). ` +
      `Download it again: only the missing part will be fetched.`,
  );
}

/** Stored files whose bytes were hashed and matched in this worker: each is hashed once per worker. */
const verifiedContents = new Map<string, Promise<void>>();
/** Contents whose check passed in this worker (verify then resolves at once). */
const passedContents = new Set<string>();

/**
 * Hashes a stored file's bytes (streamed from its Blob) against its sha256. A mismatch removes that file
 * and un-commits the bundle, so a download fetches exactly it, and throws StorageDamaged.
 */
async function checkStoredFile(record: db.BundleRecord, file: BundleFile, blob: Blob): Promise<void> {
  const hash = new Sha256();
  const reader = blob.stream().getReader();
  for (let piece = await reader.read(); !piece.done; piece = await reader.read()) hash.update(piece.value);
  if (hash.hex() === file.sha256) return;
  await db.deleteContents([file.sha256]);
  await db.uncommitBundle({ ...record, at: Date.now() });
  throw new AppError(
    'StorageDamaged',
    `${file.path} of ${record.manifest.display_name ?? record.id} is damaged in this browser's storage: its bytes no longer match ` +
      `their sha256. It was removed; download the model again and only this file (${formatBytes(file.bytes)}) will be fetched.`,
  );
}

/** The files of a committed bundle whose stored chunks do not add up to the file. */
async function missingFiles(manifest: BundleManifest): Promise<BundleFile[]> {
  const contents = uniqueContents(manifest);
  const shas = contents.map((f) => f.sha256);
  const [records, chunks] = await Promise.all([db.getFileRecords(shas), db.getChunkSizes(shas)]);
  return contents.filter((f) => !records.get(f.sha256)?.complete || !chunksCover(chunks.get(f.sha256) ?? [], f.bytes));
}

/**
 * The stored bundle with this id or manifest URL, when one is complete; no network is used.
 * Undefined when none is; StorageEvicted when one was committed but its data is gone.
 */
export async function findCachedBundle(ref: string): Promise<CachedBundle | undefined> {
  if (typeof indexedDB === 'undefined') return undefined;
  let url: string | undefined;
  try {
    url = absolute(ref);
  } catch {
    url = undefined;
  }
  let records: db.BundleRecord[];
  try {
    records = await db.getBundleRecords('bundle');
  } catch {
    // No usable IndexedDB here (storage disabled, a private mode): nothing is stored.
    return undefined;
  }
  const record = records.find((r) => r.id === ref) ?? records.find((r) => r.manifestUrl === url);
  if (!record) return undefined;
  const missing = await missingFiles(record.manifest);
  if (missing.length > 0) await evicted(record, missing);
  const read: FileReader = async (file) => {
    const { complete, chunks } = await db.getStoredFile(file.sha256);
    const tiles = chunks.map((c) => ({ offset: c.offset, size: c.blob.size }));
    if (!complete || !chunksCover(tiles, file.bytes)) await evicted(record, [file]);
    // A Blob of the stored Blobs: no byte is copied into the JS heap here.
    return new Blob(chunks.map((c) => c.blob));
  };
  const verify = (file: BundleFile): Promise<void> => {
    let check = verifiedContents.get(file.sha256);
    if (!check) {
      check = read(file).then((blob) => checkStoredFile(record, file, blob as Blob));
      check.then(
        () => passedContents.add(file.sha256),
        () => verifiedContents.delete(file.sha256),
      );
      verifiedContents.set(file.sha256, check);
    }
    return check;
  };
  return {
    manifest: record.manifest,
    read,
    verify,
    verified: (file) => passedContents.has(file.sha256),
    use: whileInUse(record.id),
    version: record.version,
    manifestUrl: record.manifestUrl,
  };
}

/** Like findCachedBundle, but a bundle that is not stored complete is an error (ModelNotDownloaded). */
export async function openCachedBundle(ref: string): Promise<CachedBundle> {
  const bundle = await findCachedBundle(ref);
  if (!bundle) throw new AppError('ModelNotDownloaded', `${ref} is not stored on this device; download it first.`);
  return bundle;
}

// ---------------------------------------------------------------------------------------------
// Storage report, deletion, garbage collection

function describe(record: db.BundleRecord, state: StoredBundle['state'], files: Map<string, db.FileRecord>): StoredBundle {
  const contents = uniqueContents(record.manifest);
  let storedBytes = 0;
  let completeFiles = 0;
  for (const f of contents) {
    const r = files.get(f.sha256);
    if (r?.complete) completeFiles++;
    storedBytes += r ? (r.complete ? f.bytes : Math.min(r.stored, f.bytes)) : 0;
  }
  return {
    id: record.id,
    version: record.version,
    ...(record.manifest.display_name ? { displayName: record.manifest.display_name } : {}),
    manifestUrl: record.manifestUrl,
    state,
    totalBytes: contents.reduce((n, f) => n + f.bytes, 0),
    storedBytes,
    files: contents.length,
    completeFiles,
    updatedAt: record.at,
  };
}

export async function storageReport(): Promise<StorageReport> {
  const [bundles, pending, fileList, estimate, persisted] = await Promise.all([
    db.getBundleRecords('bundle'),
    db.getBundleRecords('pending'),
    db.getAllFileRecords(),
    estimateStorage(),
    isPersisted(),
  ]);
  const files = new Map(fileList.map((f) => [f.sha256, f]));
  return {
    bundles: [...bundles.map((b) => describe(b, 'complete', files)), ...pending.map((p) => describe(p, 'partial', files))],
    // A finished generated file has two records (its own, and the one under its sha256): count it once.
    usedBytes: fileList.reduce((n, f) => (f.result ? n : n + (f.complete ? f.bytes : f.stored)), 0),
    ...(estimate ? { estimate } : {}),
    persisted,
  };
}

/** Removes the data of files that no stored or pending bundle lists; returns the bytes freed. */
export async function collectGarbage(): Promise<number> {
  const [bundles, pending, fileList, chunked] = await Promise.all([
    db.getBundleRecords('bundle'),
    db.getBundleRecords('pending'),
    db.getAllFileRecords(),
    db.getChunkedContents(),
  ]);
  const keep = new Set<string>(writingContents.keys());
  for (const r of [...bundles, ...pending]) for (const f of bundleFiles(r.manifest)) keep.add(f.sha256);
  // A generated file's chunks (and its own record) live under the key its record names.
  for (const f of fileList) if (f.chunks && keep.has(f.sha256)) keep.add(f.chunks);
  const drop = new Set<string>();
  let bytes = 0;
  for (const f of fileList) {
    if (keep.has(f.sha256)) continue;
    drop.add(f.sha256);
    bytes += f.complete ? f.bytes : f.stored;
  }
  for (const sha of chunked) if (!keep.has(sha)) drop.add(sha);
  await db.deleteContents([...drop]);
  return bytes;
}

/** Deletes a bundle (its downloads are cancelled first), or everything the store holds. */
export async function deleteBundle(id?: string): Promise<StorageReport> {
  const stopping = [...active].filter(([bundleId]) => id === undefined || bundleId === id);
  for (const [, run] of stopping) run.controller.abort();
  await Promise.all(stopping.map(([, run]) => run.settled));
  if (id === undefined) await db.clearAll();
  else
    await withDeleteLock(id, async () => {
      await db.deleteBundleRecords(id);
      await collectGarbage();
    });
  return storageReport();
}
