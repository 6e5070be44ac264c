// Assembler harness: the assembler and the store run in this page (same IndexedDB, fetch and Blob as
// in the worker), driven by tests/e2e/assemble.spec.ts and scripts/bench-assemble.mjs through
// `window.assembleTest`. Errors come back as { name, message }, the way comlink carries them.
import { wrap, proxy, type Remote } from 'comlink';
import type { GeneratorApi } from '../../src/shared/api';
import { assembleBundle, planAssembly, type AssembleOptions } from '../../workers/assemble/assembler';
import * as store from '../../workers/store/bundles';
import * as db from '../../workers/store/shard-store';
import { Sha256 } from '../../workers/store/sha256';
import type { SourceDescription } from '../../src/shared/assemble-api';
import type { GeneratorEvent } from '../../src/shared/events';
import { bundleFiles } from '../../src/shared/manifest';
import type { RenderRequest } from '../../src/shared/request';

type Failure = { error: { name: string; message: string } };
async function settle<T>(work: () => Promise<T>): Promise<T | Failure> {
  try {
    return await work();
  } catch (error) {
    return {
      error: { name: error instanceof Error ? error.name : 'Error', message: error instanceof Error ? error.message : String(error) },
    };
  }
}
const toHex = (buffer: ArrayBuffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
const sha256 = async (data: ArrayBuffer | ArrayBufferView) =>
  toHex(
    await crypto.subtle.digest(
      'SHA-256',
      data instanceof ArrayBuffer ? data : new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength),
    ),
  );

let events: GeneratorEvent[] = [];
let running: { controller: AbortController; done: Promise<unknown> } | undefined;
let worker: Remote<GeneratorApi> | undefined;

const api = {
  options: {} as AssembleOptions,
  events: () => events,
  clearEvents: () => void (events = []),

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

  plan: (source: SourceDescription) => settle(() => planAssembly(source, api.options)),
  assemble: (source: SourceDescription, options: AssembleOptions = {}) =>
    settle(() => assembleBundle(source, (e) => events.push(e), { ...api.options, ...options })),

  /** Bytes of every chunk record in the store (what IndexedDB holds for it, read directly). */
  async chunkBytes() {
    const sizes = await db.getChunkSizes([...(await db.getChunkedContents())]);
    let n = 0;
    for (const list of sizes.values()) for (const c of list) n += c.size;
    return n;
  },

  /**
   * Assembles while sampling, every few ms, the store's chunk bytes, its own accounting (the storage
   * report's usedBytes) and navigator.storage.estimate()'s usage: the largest of each comes back.
   */
  async assembleSampled(source: SourceDescription, options: AssembleOptions = {}) {
    const usage = async () => (await navigator.storage.estimate()).usage ?? 0;
    const peak = { chunkBytes: 0, usedBytes: 0, usage: 0, usageBefore: await usage(), samples: 0 };
    let sampling = true;
    const sample = async () => {
      const [chunks, report, used] = await Promise.all([api.chunkBytes(), store.storageReport(), usage()]);
      peak.chunkBytes = Math.max(peak.chunkBytes, chunks);
      peak.usedBytes = Math.max(peak.usedBytes, report.usedBytes);
      peak.usage = Math.max(peak.usage, used);
      peak.samples++;
    };
    const sampler = (async () => {
      while (sampling) {
        await sample();
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const result = await api.assemble(source, options);
    sampling = false;
    await sampler;
    await sample(); // the end state too
    return { result, peak };
  },

  /** Starts an assembly without waiting (cancel and reload tests). */
  start(source: SourceDescription) {
    const controller = new AbortController();
    running = { controller, done: api.assemble(source, { signal: controller.signal }) };
  },
  cancel: () => running?.controller.abort(),
  wait: () => running?.done,

  /** Opens a stored bundle as the engine does and hashes every file it reads (WebCrypto). */
  open: (ref: string) =>
    settle(async () => {
      const bundle = await store.openCachedBundle(ref);
      const files = [];
      for (const file of bundleFiles(bundle.manifest)) {
        const data = await bundle.read(file);
        const bytes = data instanceof Blob ? await data.arrayBuffer() : data;
        files.push({ path: file.path, size: bytes.byteLength, sha256: await sha256(bytes), listed: file.sha256 });
      }
      return { version: bundle.version, manifestUrl: bundle.manifestUrl, manifest: bundle.manifest, files };
    }),

  /** Imports the engine (and onnxruntime-web) ahead, e.g. before going offline. */
  loadEngine: async () => void (await import('../../workers/engine')),

  /** Renders a job on wasm with the engine; returns each frame's RGBA sha256 by index. */
  render: (manifestUrl: string, request: RenderRequest) =>
    settle(async () => {
      const { render } = await import('../../workers/engine');
      const frames: Promise<[number, string]>[] = [];
      const result = await render(
        `job-${Math.random()}`,
        { manifestUrl },
        request,
        (e) => {
          if (e.type === 'frame') frames.push(sha256(e.rgba).then((h) => [e.index, h]));
        },
        // No frame cache: both bundles have the same version, and each must really run.
        { backend: 'wasm', hooks: { frameCache: false } },
      );
      const hashes = Object.fromEntries(await Promise.all(frames));
      return { backend: result.backend, cached: result.frames.some((f) => f.cached), frames: result.frames.map((f) => hashes[f.index]!) };
    }),

  /** The engine's loadBundle (workers/engine.ts): a stored bundle comes from IndexedDB, without the network. */
  engineLoad: (url: string) =>
    settle(async () => {
      const { loadBundle } = await import('../../workers/engine');
      const loaded = await loadBundle({ manifestUrl: url }, 'wasm');
      const graph = await loaded.read(loaded.manifest.components.transformer.graph);
      return { id: loaded.manifest.id, version: loaded.manifest.version, graphIsBlob: graph instanceof Blob };
    }),

  /** The assembler through the app's real worker and comlink (workers/generator.worker.ts). */
  viaWorker: {
    start() {
      const w = new Worker(new URL('../../workers/generator.worker.ts', import.meta.url), { type: 'module', name: 'generator' });
      worker = wrap<GeneratorApi>(w);
      return worker.ping();
    },
    plan: (source: SourceDescription) => settle(() => worker!.planAssembly(source)),
    assemble: (source: SourceDescription) =>
      settle(() =>
        worker!.assemble(
          'assemble-1',
          source,
          proxy((e: GeneratorEvent) => void events.push(e)),
        ),
      ),
  },

  storage: () => settle(() => store.storageReport()),
  deleteBundle: (id?: string) => settle(() => store.deleteBundle(id)),
};

export type AssembleTest = typeof api;
(window as unknown as { assembleTest: AssembleTest }).assembleTest = api;
document.getElementById('status')!.textContent = 'ready';
