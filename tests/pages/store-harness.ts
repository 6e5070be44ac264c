// Model-store harness: the store's worker-side code run in this page (same IndexedDB, fetch and
// Blob as in the worker), driven by tests/e2e/store.spec.ts and scripts/bench-store.mjs through
// `window.storeTest`. Errors come back as { name, message }, the way comlink carries them.
import { wrap, proxy, type Remote } from 'comlink';
import * as store from '../../workers/store/bundles';
import { DB_NAME, STORE_NAME } from '../../workers/store/shard-store';
import { Sha256 } from '../../workers/store/sha256';
import type { GeneratorEvent } from '../../src/shared/events';
import type { GeneratorApi } from '../../src/shared/api';
import { bundleFiles } from '../../src/shared/manifest';

type Failure = { error: { name: string; message: string } };
const failure = (error: unknown): Failure => ({
  error: { name: error instanceof Error ? error.name : 'Error', message: error instanceof Error ? error.message : String(error) },
});
async function settle<T>(work: () => Promise<T>): Promise<T | Failure> {
  try {
    return await work();
  } catch (error) {
    return failure(error);
  }
}

const toHex = (buffer: ArrayBuffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');

/** Heap samples while `work` runs (Chromium's performance.memory; precise with --enable-precise-memory-info). */
async function withHeap<T>(
  work: () => Promise<T>,
): Promise<{ value: T; heapBefore: number; heapPeak: number; heapAfter: number; ms: number }> {
  const memory = (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory;
  const used = () => memory?.usedJSHeapSize ?? 0;
  const heapBefore = used();
  let heapPeak = heapBefore;
  const timer = setInterval(() => (heapPeak = Math.max(heapPeak, used())), 5);
  const start = performance.now();
  try {
    const value = await work();
    heapPeak = Math.max(heapPeak, used());
    return { value, heapBefore, heapPeak, heapAfter: used(), ms: performance.now() - start };
  } finally {
    clearInterval(timer);
  }
}

let events: GeneratorEvent[] = [];
let using: Promise<void> | undefined;
let releaseUse: (() => void) | undefined;
let running: { controller: AbortController; done: Promise<unknown> } | undefined;
let worker: Remote<GeneratorApi> | undefined;

const api = {
  options: {} as store.StoreOptions,
  events: () => events,
  clearEvents: () => void (events = []),

  plan: (url: string) => settle(() => store.planDownload({ manifestUrl: url }, api.options)),

  /** Downloads and waits; returns the result or the error. */
  download: (url: string, options: store.StoreOptions = {}) =>
    settle(() => store.downloadBundle({ manifestUrl: url }, (e) => events.push(e), { ...api.options, ...options })),

  /** Downloads with the JS heap sampled throughout (benchmark). */
  downloadWithHeap: (url: string, options: store.StoreOptions = {}) =>
    settle(() => withHeap(() => store.downloadBundle({ manifestUrl: url }, () => {}, { ...api.options, ...options }))),

  /** MB/s of the store's SHA-256 on `mb` MB held in memory (benchmark context). */
  hashSpeed(mb: number) {
    const data = new Uint8Array(mb * 1e6);
    for (let i = 0; i < data.length; i += 4096) data[i] = i & 0xff;
    const start = performance.now();
    const hash = new Sha256();
    for (let o = 0; o < data.length; o += 65536) hash.update(data.subarray(o, o + 65536));
    hash.hex();
    return mb / ((performance.now() - start) / 1000);
  },

  /** Baselines for the benchmark: fetch every file of a bundle (3 at once), reading the body, optionally hashing it; nothing is stored. */
  fetchOnly: async (url: string, hash: boolean) => {
    const manifest = (await (await fetch(url, { cache: 'no-store' })).json()) as import('../../src/shared/manifest').BundleManifest;
    const queue = bundleFiles(manifest);
    const start = performance.now();
    let bytes = 0;
    const worker = async () => {
      for (let file = queue.shift(); file; file = queue.shift()) {
        const reader = (await fetch(new URL(file.path, url), { cache: 'no-store' })).body!.getReader();
        const sha = hash ? new Sha256() : undefined;
        for (let r = await reader.read(); !r.done; r = await reader.read()) {
          bytes += r.value.length;
          sha?.update(r.value);
        }
        if (sha && sha.hex() !== file.sha256) throw new Error(`${file.path}: hash mismatch`);
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    return { bytes, seconds: (performance.now() - start) / 1000 };
  },

  /** Starts a download without waiting (for cancel and reload tests). */
  start(url: string, options: store.StoreOptions = {}) {
    const controller = new AbortController();
    const done = api.download(url, { ...options, signal: controller.signal });
    running = { controller, done };
  },
  cancel: () => running?.controller.abort(),
  wait: () => running?.done,

  /** Opens a stored bundle and reads every file as the engine would; hashes them with WebCrypto. */
  /** Verifies every file of a stored bundle (the check sessions wait for); the first failure, or ok. */
  verifyAll: (ref: string) =>
    settle(async () => {
      const bundle = await store.openCachedBundle(ref);
      for (const file of bundleFiles(bundle.manifest)) await bundle.verify(file);
      return 'ok';
    }),

  /** Tests: flips one byte of a stored file's first chunk in IndexedDB, as bit rot or a broken disk would. */
  damageStoredFile: (sha256: string, at: number) =>
    settle(
      () =>
        new Promise<void>((resolve, reject) => {
          const opening = indexedDB.open('time-stream-models');
          opening.onerror = () => reject(opening.error);
          opening.onsuccess = async () => {
            const database = opening.result;
            const key = ['chunk', sha256, 0];
            const read = database.transaction('records').objectStore('records').get(key);
            read.onsuccess = async () => {
              const bytes = new Uint8Array(await (read.result as Blob).arrayBuffer());
              bytes[at] = bytes[at]! ^ 0xff;
              const write = database
                .transaction('records', 'readwrite')
                .objectStore('records')
                .put(new Blob([bytes]), key);
              write.onsuccess = () => (database.close(), resolve());
              write.onerror = () => reject(write.error);
            };
          };
        }),
    ),

  open: (ref: string, hash = true) =>
    settle(async () => {
      const opened = await withHeap(async () => {
        const bundle = await store.openCachedBundle(ref);
        const files = [];
        for (const file of bundleFiles(bundle.manifest)) {
          const blob = await bundle.read(file);
          files.push({ path: file.path, size: blob instanceof Blob ? blob.size : blob.byteLength, isBlob: blob instanceof Blob, blob });
        }
        return { bundle, files };
      });
      const files = [];
      for (const f of opened.value.files) {
        const sha256 =
          hash && f.blob instanceof Blob ? toHex(await crypto.subtle.digest('SHA-256', await f.blob.arrayBuffer())) : undefined;
        files.push({ path: f.path, size: f.size, isBlob: f.isBlob, sha256 });
      }
      return {
        version: opened.value.bundle.version,
        files,
        ms: opened.ms,
        heapBefore: opened.heapBefore,
        heapPeak: opened.heapPeak,
        heapAfter: opened.heapAfter,
      };
    }),

  /** The engine's loadBundle (workers/engine.ts), which should take a complete bundle from the store. */
  /** Imports the engine (and onnxruntime-web) ahead, e.g. before going offline: the dev server serves modules. */
  loadEngine: async () => void (await import('../../workers/engine')),
  engineLoad: (url: string) =>
    settle(async () => {
      const { loadBundle } = await import('../../workers/engine');
      const loaded = await loadBundle({ manifestUrl: url }, 'wasm');
      const graph = await loaded.read(loaded.manifest.components.transformer.graph);
      return {
        id: loaded.manifest.id,
        version: loaded.manifest.version,
        graphIsBlob: graph instanceof Blob,
        graphSize: graph instanceof Blob ? graph.size : graph.byteLength,
      };
    }),

  /** Holds a stored bundle as a run does (CachedBundle.use) until releaseUse(); resolves once it is held. */
  holdUse: (url: string) =>
    settle(async () => {
      const bundle = await store.openCachedBundle(url);
      await new Promise<void>((held) => {
        using = bundle.use(() => new Promise<void>((release) => ((releaseUse = release), held())));
      });
      return 'held';
    }),
  releaseUse: () => (releaseUse?.(), settle(() => using!)),

  storage: () => settle(() => store.storageReport()),
  deleteBundle: (id?: string) => settle(() => store.deleteBundle(id)),
  persist: () => settle(() => store.requestPersist()),
  estimate: () => navigator.storage.estimate(),

  /** Deletes a file's chunk records behind the store's back, as an eviction would. */
  evict: (sha256: string) =>
    new Promise<number>((resolve, reject) => {
      const open = indexedDB.open(DB_NAME);
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const tx = open.result.transaction(STORE_NAME, 'readwrite');
        const range = IDBKeyRange.bound(['chunk', sha256], ['chunk', sha256, Infinity]);
        const count = tx.objectStore(STORE_NAME).count(range);
        tx.objectStore(STORE_NAME).delete(range);
        tx.oncomplete = () => (open.result.close(), resolve(count.result));
        tx.onerror = () => reject(tx.error);
      };
    }),

  /** The same store through the app's real worker and comlink (workers/generator.worker.ts). */
  viaWorker: {
    start() {
      const w = new Worker(new URL('../../workers/generator.worker.ts', import.meta.url), { type: 'module', name: 'generator' });
      worker = wrap<GeneratorApi>(w);
      return worker.ping();
    },
    plan: (url: string) => settle(() => worker!.planDownload({ manifestUrl: url })),
    download: (url: string) =>
      settle(() =>
        worker!.download(
          'job-1',
          { manifestUrl: url },
          proxy((e: GeneratorEvent) => void events.push(e)),
        ),
      ),
    storage: () => settle(() => worker!.storage()),
    persist: () => settle(() => worker!.persist()),
    deleteBundle: (id?: string) => settle(() => worker!.deleteBundle(id)),
  },
};

export type StoreTest = typeof api;
(window as unknown as { storeTest: StoreTest }).storeTest = api;
document.getElementById('status')!.textContent = 'ready';
