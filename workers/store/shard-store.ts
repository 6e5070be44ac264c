// The store's IndexedDB records (idb-keyval over one object store of our own). The only code that
// touches IndexedDB. Keys are arrays, so one store holds every kind and ranges select a kind:
//   ['chunk', sha256, offset]  → Blob: bytes [offset, offset + size) of the file with that content
//   ['file', sha256]           → FileRecord: how much of that file is stored, and whether it is verified
//   ['pending', bundleId]      → BundleRecord: a download started (its files are kept while it lasts)
//   ['bundle', bundleId]       → BundleRecord: the commit marker, written last, once every file is verified
import { promisifyRequest, type UseStore } from 'idb-keyval';
import type { BundleManifest } from '../../src/shared/manifest';
import { AppError } from '../../src/shared/errors';
import type { Sha256State } from './sha256';

export const DB_NAME = 'time-stream-models';
export const STORE_NAME = 'records';

/** One file's content in the store, keyed by its sha256. */
export interface FileRecord {
  sha256: string;
  bytes: number;
  /** Bytes stored, as chunks tiling [0, stored). */
  stored: number;
  /** True once all bytes are stored and their sha256 matched; never before. */
  complete: boolean;
  /** The hash of the stored prefix, so a resumed download goes on hashing (partial files only). */
  hash?: Sha256State;
  /**
   * Generated files (the assembler's shards) are written under a key the caller chose, since their
   * sha256 is known only at the end: the finished file's record (keyed by its sha256) names that key
   * here, where its chunks are. Absent: the chunks are keyed by `sha256`.
   */
  chunks?: string;
  /** On a generated file's own record once it is finished: the sha256 of its content. */
  result?: string;
  /**
   * A generated file written out of order from one pass over a source file (the assembler's shards):
   * the source is read and hashed up to `offset`, and everything made from it is stored (`stored`
   * bytes, as chunks anywhere in the file). A stopped pass resumes there.
   */
  source?: { offset: number; hash: Sha256State };
  updatedAt: number;
}

/** A bundle version: committed (`bundle`) or being downloaded (`pending`). */
export interface BundleRecord {
  id: string;
  version: string;
  manifestUrl: string;
  manifest: BundleManifest;
  /** ms since the epoch: committed, or started. */
  at: number;
}

export type BundleKind = 'bundle' | 'pending';

let useStore: UseStore | undefined;
const db = (): UseStore => (useStore ??= healingStore());

function openDatabase(version?: number): Promise<IDBDatabase> {
  const opening = indexedDB.open(DB_NAME, version);
  opening.onupgradeneeded = () => {
    if (!opening.result.objectStoreNames.contains(STORE_NAME)) opening.result.createObjectStore(STORE_NAME);
  };
  return promisifyRequest(opening);
}

/**
 * idb-keyval's createStore, except that a database of our name without our object store (made by
 * anything that opened the name first, or left in an older shape) is upgraded to one version more with
 * the store added, keeping whatever else it holds; before, every action then failed with "One of the
 * specified object stores was not found". A tab that upgrades the database makes this one let go and
 * reopen it on its next action.
 */
function healingStore(): UseStore {
  const opened = (async () => {
    let database = await openDatabase();
    if (!database.objectStoreNames.contains(STORE_NAME)) {
      const version = database.version + 1;
      database.close();
      database = await openDatabase(version);
    }
    database.onversionchange = () => {
      database.close();
      useStore = undefined;
    };
    return database;
  })();
  opened.catch(() => (useStore = undefined));
  return (mode, callback) => opened.then((database) => callback(database.transaction(STORE_NAME, mode).objectStore(STORE_NAME)));
}

const kindRange = (kind: string) => IDBKeyRange.bound([kind], [kind, []]);
const chunkRange = (sha256: string) => IDBKeyRange.bound(['chunk', sha256], ['chunk', sha256, Infinity]);
const request = <T>(r: IDBRequest<T>) => promisifyRequest(r);
const committed = (s: IDBObjectStore) => promisifyRequest(s.transaction);

/** True for the error IndexedDB raises (or aborts a transaction with) when the origin is out of quota. */
export function isQuotaError(error: unknown): boolean {
  return error instanceof Error && error.name === 'QuotaExceededError';
}

/**
 * The usage at which the browser last refused a write: the real ceiling when estimate() still reports
 * an older, larger quota. Kept for this worker's life; estimateStorage() forgets it once usage passes it.
 */
let refusedAtUsage: number | undefined;

export function quotaRefusal(): number | undefined {
  return refusedAtUsage;
}

export function forgetQuotaRefusal(): void {
  refusedAtUsage = undefined;
}

async function noteQuotaRefusal(): Promise<void> {
  try {
    const usage = (await navigator.storage?.estimate?.())?.usage;
    if (typeof usage === 'number') refusedAtUsage = usage;
  } catch {
    // No estimate: nothing to learn from.
  }
}

/** Runs a write and rethrows a quota failure as the named AppError; never swallowed. */
async function write(what: string, work: (s: IDBObjectStore) => void): Promise<void> {
  try {
    await db()('readwrite', (s) => {
      work(s);
      return committed(s);
    });
  } catch (error) {
    if (isQuotaError(error)) {
      await noteQuotaRefusal();
      throw new AppError(
        'QuotaExceeded',
        `The browser refused to store more (${what}): the storage quota is used up. Free some space, or delete a stored model.`,
      );
    }
    throw error;
  }
}

export function getFileRecords(sha256s: readonly string[]): Promise<Map<string, FileRecord>> {
  return db()('readonly', async (s) => {
    const records = await Promise.all(sha256s.map((sha) => request<FileRecord | undefined>(s.get(['file', sha]))));
    return new Map(records.filter((r): r is FileRecord => !!r).map((r) => [r.sha256, r]));
  });
}

export function getAllFileRecords(): Promise<FileRecord[]> {
  return db()('readonly', (s) => request<FileRecord[]>(s.getAll(kindRange('file'))));
}

export function getBundleRecords(kind: BundleKind): Promise<BundleRecord[]> {
  return db()('readonly', (s) => request<BundleRecord[]>(s.getAll(kindRange(kind))));
}

export function getBundleRecord(kind: BundleKind, id: string): Promise<BundleRecord | undefined> {
  return db()('readonly', (s) => request<BundleRecord | undefined>(s.get([kind, id])));
}

/** Stores one chunk and the file's progress in ONE transaction: the two never disagree. */
export function putChunk(offset: number, blob: Blob, record: FileRecord, what: string): Promise<void> {
  return write(what, (s) => {
    s.put(blob, ['chunk', record.sha256, offset]);
    s.put(record, ['file', record.sha256]);
  });
}

/** Stores one chunk of a generated file written out of order; its record is written separately (putFileRecords). */
export function putChunkAt(key: string, offset: number, blob: Blob, what: string): Promise<void> {
  return write(what, (s) => s.put(blob, ['chunk', key, offset]));
}

/** Several files' records in one transaction (they never disagree). */
export function putFileRecords(records: readonly FileRecord[], what: string): Promise<void> {
  return write(what, (s) => {
    for (const r of records) s.put(r, ['file', r.sha256]);
  });
}

/** Deletes a file's chunks whose offsets lie in [start, end) of each range (not its record). */
export function deleteChunkRanges(key: string, ranges: readonly { start: number; end: number }[]): Promise<void> {
  if (ranges.length === 0) return Promise.resolve();
  return write('a deletion', (s) => {
    for (const r of ranges) s.delete(IDBKeyRange.bound(['chunk', key, r.start], ['chunk', key, r.end], false, true));
  });
}

export function putFileRecord(record: FileRecord, what: string): Promise<void> {
  return write(what, (s) => s.put(record, ['file', record.sha256]));
}

export function putPending(record: BundleRecord): Promise<void> {
  return write(`the download record of ${record.id}`, (s) => s.put(record, ['pending', record.id]));
}

/** The commit: the bundle record goes in, its pending record goes out, together. */
export function commitBundle(record: BundleRecord): Promise<void> {
  return write(`the bundle record of ${record.id}`, (s) => {
    s.put(record, ['bundle', record.id]);
    s.delete(['pending', record.id]);
  });
}

/** Turns a committed bundle back into a pending one (its data went missing). */
export function uncommitBundle(record: BundleRecord): Promise<void> {
  return write(`the download record of ${record.id}`, (s) => {
    s.delete(['bundle', record.id]);
    s.put(record, ['pending', record.id]);
  });
}

export function deleteBundleRecords(id: string): Promise<void> {
  return write(`the records of ${id}`, (s) => {
    s.delete(['bundle', id]);
    s.delete(['pending', id]);
  });
}

/** Whether a file is complete, and its chunks in offset order as Blob handles (their bytes stay on disk), read together. */
export function getStoredFile(sha256: string): Promise<{ complete: boolean; chunks: { offset: number; blob: Blob }[] }> {
  return db()('readonly', async (s) => {
    const record = await request<FileRecord | undefined>(s.get(['file', sha256]));
    const range = chunkRange(record?.chunks ?? sha256);
    const [keys, blobs] = await Promise.all([request(s.getAllKeys(range)), request<Blob[]>(s.getAll(range))]);
    return {
      complete: record?.complete === true,
      chunks: keys.map((key, i) => ({ offset: (key as [string, string, number])[2], blob: blobs[i]! })),
    };
  });
}

/** Offsets and sizes of the chunks of many files, in one transaction (no bytes are read). */
export function getChunkSizes(sha256s: readonly string[]): Promise<Map<string, { offset: number; size: number }[]>> {
  return db()('readonly', async (s) => {
    const lists = await Promise.all(
      sha256s.map(async (sha) => {
        const record = await request<FileRecord | undefined>(s.get(['file', sha]));
        const range = chunkRange(record?.chunks ?? sha);
        const [keys, blobs] = await Promise.all([request(s.getAllKeys(range)), request<Blob[]>(s.getAll(range))]);
        return keys.map((key, i) => ({ offset: (key as [string, string, number])[2], size: blobs[i]?.size ?? 0 }));
      }),
    );
    return new Map(sha256s.map((sha, i) => [sha, lists[i]!]));
  });
}

/** A file's record and its chunks' offsets and sizes, read in one transaction (a consistent snapshot). */
export function getFileAndChunkSizes(key: string): Promise<{ record?: FileRecord; chunks: { offset: number; size: number }[] }> {
  return db()('readonly', async (s) => {
    const record = await request<FileRecord | undefined>(s.get(['file', key]));
    const range = chunkRange(record?.chunks ?? key);
    const [keys, blobs] = await Promise.all([request(s.getAllKeys(range)), request<Blob[]>(s.getAll(range))]);
    const chunks = keys.map((k, i) => ({ offset: (k as [string, string, number])[2], size: blobs[i]?.size ?? 0 }));
    return record ? { record, chunks } : { chunks };
  });
}

/** The sha256 of every file that has chunks. */
export function getChunkedContents(): Promise<Set<string>> {
  return db()('readonly', async (s) => {
    const keys = await request(s.getAllKeys(kindRange('chunk')));
    return new Set(keys.map((key) => (key as [string, string, number])[1]));
  });
}

/**
 * Deletes files' chunks and records (a generated file's chunks and its own record too). Deleting is
 * not refused for quota, so errors here are rethrown as they are.
 */
export async function deleteContents(sha256s: readonly string[]): Promise<void> {
  if (sha256s.length === 0) return;
  const records = await getFileRecords(sha256s);
  return write('a deletion', (s) => {
    for (const sha of sha256s) {
      const key = records.get(sha)?.chunks;
      for (const k of key ? [sha, key] : [sha]) {
        s.delete(chunkRange(k));
        s.delete(['file', k]);
      }
    }
  });
}

/**
 * A generated file is finished: its record under its sha256 (complete, chunks under `record.chunks`)
 * and its own record marked with the result, in one transaction.
 */
export function finishGeneratedFile(record: FileRecord, generated: FileRecord, what: string): Promise<void> {
  return write(what, (s) => {
    s.put(record, ['file', record.sha256]);
    s.put(generated, ['file', generated.sha256]);
  });
}

export function clearAll(): Promise<void> {
  return write('a deletion', (s) => s.clear());
}
