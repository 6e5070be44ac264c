/**
 * The assembler (docs/assembly.md): a template of graphs without weights + public weight files
 * (GGUF, safetensors) → a normal bundle in the model store, which the engine opens like any other.
 *
 * 1. template.json is fetched; each source's header is read with HTTP Range requests; every layout
 *    entry is resolved and checked (layout.ts). Any problem stops here: nothing is written.
 * 2. Graphs and tokenizer files are downloaded by the store's downloader (verified, resumable).
 * 3. Each source is read once, front to back, and hashed as it streams; the tensors the layout needs
 *    are converted (repack.ts) and written at their shard offsets as they pass (source-pass.ts,
 *    scatter.ts). A stopped pass resumes at the last tensor boundary it recorded. Only when the
 *    source's sha256 matches are its shards hashed (read back from the store) and committed;
 *    otherwise what was written from it is deleted.
 * 4. The manifest (template manifest + shard sha256s + tokenizer files + version) is committed last.
 */
import type { AssemblyPlan, AssemblyResult, SourceDescription, WeightSource } from '../../src/shared/assemble-api';
import type { Activations } from '../../src/shared/manifest';
import { assembledManifestUrl } from '../../src/shared/assemble-api';
import type { EventSink } from '../../src/shared/events';
import { AppError } from '../../src/shared/errors';
import {
  bundleSizes,
  COMPONENT_NAMES,
  transformerActivations,
  type BundleFile,
  type BundleManifest,
  type ComponentName,
} from '../../src/shared/manifest';
import {
  claimBundle,
  collectGarbage,
  DEFAULTS as STORE_DEFAULTS,
  estimateStorage,
  findCachedBundle,
  safeSink,
  withBundleLock,
} from '../store/bundles';
import { abortError, downloadFile, unreachable } from '../store/downloader';
import { generatedState } from '../store/generated';
import { fitsQuota } from '../store/plan';
import { formatBytes, RateMeter, Throttle } from '../store/progress';
import { Sha256 } from '../store/sha256';
import * as db from '../store/shard-store';
import { readGguf, type ByteSource } from './gguf';
import { assertTemplate, planComponent, type PlannedEntry, type SourceTensor, type Template } from './layout';
import { chooseTemplate, deviceHasShaderF16, storedActivations, type TemplateChoice } from './precision';
import { readSafetensors } from './safetensors';
import { resumeOffset, runSourcePass, type ShardTask } from './source-pass';
import { keepPrefix, rangeSource, type Counter, type StreamOptions } from './stream';

/** Bumped when the assembler would write different bytes for the same template and sources. */
const ASSEMBLER_VERSION = 1;

export interface AssembleOptions {
  fetch?: typeof fetch;
  /** Largest chunk record (default 16 MiB, the store's). */
  chunkBytes?: number;
  /** Source bytes converted at once (default 8 MiB; whole rows). */
  readBytes?: number;
  /** Source bytes read ahead of the conversion (default 64 MiB). */
  readAheadBytes?: number;
  /** Failed requests in a row before a source read fails (default 4). */
  networkRetries?: number;
  retryBaseMs?: number;
  progressIntervalMs?: number;
  signal?: AbortSignal;
  /**
   * Whether the engine's GPU has shader-f16, which decides between a source's `template_f16` and its
   * `template` (precision.ts). Default: asked of the engine's WebGPU device. Tests set it.
   */
  shaderF16?: boolean;
}

const DEFAULTS = {
  chunkBytes: 16 * 1024 * 1024,
  readBytes: 8 * 1024 * 1024,
  networkRetries: 4,
  retryBaseMs: 500,
  progressIntervalMs: 100,
  readAheadBytes: 64 * 1024 * 1024,
  // Copied files go through the store's downloader, with its rules.
  integrityAttempts: STORE_DEFAULTS.integrityAttempts,
  stallMs: STORE_DEFAULTS.stallMs,
};
type Options = typeof DEFAULTS & { fetch: typeof fetch; signal?: AbortSignal; shaderF16?: boolean; onWait?: StreamOptions['onWait'] };

const absolute = (url: string) => new URL(url, self.location.href).href;
const fileName = (url: string) => decodeURIComponent(new URL(url).pathname.split('/').pop() || url);
const hex = (text: string) => new Sha256().update(new TextEncoder().encode(text)).hex();

// ---------------------------------------------------------------------------------------------
// Template

async function loadTemplate(url: string, fetchFn: typeof fetch): Promise<{ template: Template; sha256: string }> {
  let response: Response;
  try {
    response = await fetchFn(url, { cache: 'no-cache' });
  } catch (error) {
    throw unreachable(url, error);
  }
  if (response.status === 404 || response.status === 410)
    throw new AppError('NotFound', `No model template at ${url} (${response.status}).`);
  if (!response.ok) throw new AppError('DownloadFailed', `The host answered ${response.status} for ${url}.`);
  const text = await response.text();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AppError('BundleInvalid', `${url} is not valid JSON.`);
  }
  assertTemplate(value, url);
  return { template: value, sha256: hex(text) };
}

/** What determines a shard's bytes: its key in the store while it is written (its sha256 comes at the end). */
function shardKey(templateSha: string, component: ComponentName, index: number, shard: BundleFile, source: WeightSource): string {
  const recipe = {
    assembler: ASSEMBLER_VERSION,
    template: templateSha,
    component,
    index,
    path: shard.path,
    bytes: shard.bytes,
    source: { url: source.url, bytes: source.bytes, sha256: source.sha256, format: source.format, naming: source.naming },
  };
  return `gen-${hex(JSON.stringify(recipe))}`;
}

/**
 * The copied files: graphs (next to template.json) and tokenizer files (the source's `files`, or the
 * template's own). Without `pin` (a plan), a file that publishes no size or hash counts as 0 bytes and
 * not stored, and is not fetched.
 */
async function copiedFiles(
  template: Template,
  templateUrl: string,
  source: SourceDescription,
  stored: Map<string, BundleFile>,
  pin?: Options,
): Promise<{ file: BundleFile; url: string }[]> {
  const out: { file: BundleFile; url: string }[] = [];
  for (const c of COMPONENT_NAMES) {
    const graph = template.manifest.components[c].graph;
    out.push({ file: graph, url: new URL(graph.path, templateUrl).href });
  }
  const given = new Map(source.files.map((f) => [f.path, f]));
  for (const t of ['clip', 't5'] as const) {
    for (const f of template.manifest.tokenizers[t].files) {
      const s = given.get(f.path);
      if (s) {
        const url = absolute(s.url);
        const known =
          s.bytes !== null && s.sha256 !== null ? { bytes: s.bytes, sha256: s.sha256 } : (pinnedFiles.get(url) ?? stored.get(s.path));
        const pinned = known ?? (pin ? await pinUnpublished(url, s.path, pin) : { bytes: 0, sha256: '' });
        out.push({ file: { path: s.path, ...pinned }, url });
      } else if (f.sha256 && Number.isSafeInteger(f.bytes)) out.push({ file: f, url: new URL(f.path, templateUrl).href });
      else throw new AppError('BundleInvalid', `${source.id}: the template needs ${f.path}, which the source description does not list.`);
    }
  }
  return out;
}

const pinnedFiles = new Map<string, { bytes: number; sha256: string }>();

/**
 * Size and sha256 of a small copied file whose publisher gives neither (trust on first use): fetched
 * once per worker and hashed; the store's downloader then fetches it against that hash (usually from
 * the HTTP cache) and the assembled manifest keeps it, so later opens check the same bytes.
 */
async function pinUnpublished(url: string, path: string, opts: Options): Promise<{ bytes: number; sha256: string }> {
  let response: Response;
  try {
    response = await opts.fetch(url, opts.signal ? { signal: opts.signal } : {});
  } catch (e) {
    if (opts.signal?.aborted) throw abortError();
    throw unreachable(url, e);
  }
  if (response.status === 404 || response.status === 410)
    throw new AppError('NotFound', `${path}: ${url} answered HTTP ${response.status}.`);
  if (!response.ok) throw new AppError('DownloadFailed', `${path}: ${url} answered HTTP ${response.status}.`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.length > UNPUBLISHED_LIMIT)
    throw new AppError(
      'BundleInvalid',
      `${path}: ${formatBytes(bytes.length)} is too large for a file without a published sha256 (at most ${formatBytes(UNPUBLISHED_LIMIT)}).`,
    );
  const pinned = { bytes: bytes.length, sha256: new Sha256().update(bytes).hex() };
  pinnedFiles.set(url, pinned);
  return pinned;
}

/** The tokenizer files of this id's stored assembly (committed, else started): their hashes were pinned then. */
async function pinnedInStore(id: string): Promise<Map<string, BundleFile>> {
  const record = (await db.getBundleRecord('bundle', id)) ?? (await db.getBundleRecord('pending', id));
  const files = record ? [...record.manifest.tokenizers.clip.files, ...record.manifest.tokenizers.t5.files] : [];
  return new Map(files.map((f) => [f.path, f]));
}

/** Copied files without a published hash are small (tokenizers); anything larger must publish one. */
const UNPUBLISHED_LIMIT = 64 * 2 ** 20;

/** The bundle's manifest with the shard hashes given (real ones, or the store keys of unfinished shards). */
function buildManifest(
  template: Template,
  source: SourceDescription,
  files: { file: BundleFile }[],
  shardShas: Record<ComponentName, string[]>,
  version: string,
): BundleManifest {
  const m = structuredClone(template.manifest);
  for (const c of COMPONENT_NAMES) {
    m.components[c].external_data = m.components[c].external_data.map((f, i) => ({
      path: f.path,
      bytes: f.bytes,
      sha256: shardShas[c][i]!,
    }));
  }
  const byPath = new Map(files.map(({ file }) => [file.path, file]));
  for (const t of ['clip', 't5'] as const) m.tokenizers[t].files = m.tokenizers[t].files.map((f) => byPath.get(f.path)!);
  m.id = source.id;
  m.display_name = source.display_name;
  m.license = `${source.license.name} (${source.license.url})`;
  m.source = `assembled in the browser from ${COMPONENT_NAMES.map((c) => `${c}: ${source.components[c].url}`).join('; ')}; template ${template.id}`;
  m.version = version;
  return m;
}

/** bundle-format.md: sha256 of the sorted file hashes joined by "\n". */
export function bundleVersion(manifest: BundleManifest): string {
  const shas: string[] = [];
  for (const c of COMPONENT_NAMES)
    shas.push(manifest.components[c].graph.sha256, ...manifest.components[c].external_data.map((f) => f.sha256));
  shas.push(...manifest.tokenizers.clip.files.map((f) => f.sha256), ...manifest.tokenizers.t5.files.map((f) => f.sha256));
  return hex(shas.sort().join('\n'));
}

// ---------------------------------------------------------------------------------------------
// Sources

interface OpenSource {
  url: string;
  label: string;
  tensors: Map<string, SourceTensor>;
  /** The file's first bytes, read for the header: the pass over the file starts after them. */
  prefix: Uint8Array;
}

/** Reads a source's header by Range requests (a host that ignores Range, or has another size, is refused). */
async function openSource(ws: WeightSource, opts: Options, counter: Counter): Promise<OpenSource> {
  const url = absolute(ws.url);
  const label = fileName(url);
  const header = keepPrefix(rangeSource(url, ws.bytes, label, opts, counter));
  const tensors = await readTensorTable(ws.format, header.read, ws.bytes, label);
  return { url, label, tensors, prefix: header.prefix() };
}

/** A source file's tensor table (header only), whatever its format. */
export async function readTensorTable(
  format: WeightSource['format'],
  read: ByteSource,
  size: number,
  label: string,
): Promise<Map<string, SourceTensor>> {
  const tensors = new Map<string, SourceTensor>();
  const add = (t: SourceTensor) =>
    tensors.set(t.name, { name: t.name, shape: t.shape, type: t.type, typeName: t.typeName, start: t.start, byteSize: t.byteSize });
  if (format === 'gguf') (await readGguf(read, { size, label })).tensors.forEach(add);
  else if (format === 'safetensors') (await readSafetensors(read, { size, label })).tensors.forEach(add);
  else throw new AppError('BundleInvalid', `${label}: unknown source format ${String(format)}`);
  return tensors;
}

// ---------------------------------------------------------------------------------------------
// Plan and assemble

interface Prepared {
  /** Which of the source's templates, and why (precision.ts). */
  choice: TemplateChoice;
  /** The transformer's activations of the committed bundle of this id, if one is stored. */
  committedActivations?: Activations;
  templateUrl: string;
  template: Template;
  templateSha: string;
  files: { file: BundleFile; url: string }[];
  /** Per component, per shard: the store key and where it stands. */
  shards: Record<ComponentName, ShardTask[]>;
}

/**
 * Fetches the template and reads where each shard stands. `assembling` (never a plan, which must not
 * reach the sources' hosts) drops unusable partial shards and pins copied files that publish no hash.
 */
async function prepare(source: SourceDescription, opts: Options, assembling = false): Promise<Prepared> {
  // What the store holds for this id decides too: a stored float32 bundle is kept on a shader-f16 GPU.
  const committed = await db.getBundleRecord('bundle', source.id);
  const held = committed ?? (await db.getBundleRecord('pending', source.id));
  const shaderF16 = opts.shaderF16 ?? (source.template_f16 ? await deviceHasShaderF16() : false);
  const choice = chooseTemplate(source, shaderF16, storedActivations(held?.manifest));
  const templateUrl = absolute(choice.url);
  const { template, sha256: templateSha } = await loadTemplate(templateUrl, opts.fetch);
  checkActivations(source, choice, template, templateUrl);
  const files = await copiedFiles(template, templateUrl, source, await pinnedInStore(source.id), assembling ? opts : undefined);
  const shards = {} as Prepared['shards'];
  for (const c of COMPONENT_NAMES) {
    const ws = source.components[c];
    if (!ws) throw new AppError('BundleInvalid', `${source.id}: no source for the ${c} component.`);
    shards[c] = await Promise.all(
      template.manifest.components[c].external_data.map(async (file, i) => {
        const key = shardKey(templateSha, c, i, file, ws);
        return { file, key, state: await generatedState(key, file.bytes, assembling) };
      }),
    );
  }
  const committedActivations = committed ? transformerActivations(committed.manifest) : undefined;
  return { choice, ...(committedActivations ? { committedActivations } : {}), templateUrl, template, templateSha, files, shards };
}

/**
 * A source that names two templates must name them right: `template_f16`'s transformer computes in float16
 * and `template`'s in float32 (else a GPU without shader-f16 would get a bundle it cannot run on WebGPU).
 */
function checkActivations(source: SourceDescription, choice: TemplateChoice, template: Template, url: string): void {
  if (!source.template_f16) return;
  const has = transformerActivations(template.manifest);
  if (has !== choice.activations)
    throw new AppError(
      'BundleInvalid',
      `${source.id}: ${url} is named as the ${choice.activations === 'float16' ? 'template_f16' : 'template'} of this source, ` +
        `but its transformer computes in ${has}, not ${choice.activations}.`,
    );
}

function numbers(source: SourceDescription, p: Prepared, records: Map<string, db.FileRecord>) {
  const byComponent = {} as AssemblyPlan['byComponent'];
  let downloadBytes = 0;
  let storedBytes = 0;
  let cachedBytes = 0;
  for (const c of COMPONENT_NAMES) {
    const ws = source.components[c];
    const shardTotal = p.shards[c].reduce((n, s) => n + s.file.bytes, 0);
    const done = p.shards[c].reduce((n, s) => n + (s.state.kind === 'done' ? s.file.bytes : s.state.stored), 0);
    // A component still to write reads its source file once, from where a stopped pass ended.
    const reads = done < shardTotal ? ws.bytes - resumeOffset(p.shards[c]) : 0;
    byComponent[c] = { url: ws.url, downloadBytes: reads, storedBytes: shardTotal };
    downloadBytes += reads;
    storedBytes += shardTotal;
    cachedBytes += done;
  }
  for (const { file } of p.files) {
    const r = records.get(file.sha256);
    const held = r ? (r.complete ? file.bytes : Math.min(r.stored, file.bytes)) : 0;
    downloadBytes += file.bytes - held;
    storedBytes += file.bytes;
    cachedBytes += held;
  }
  return { byComponent, downloadBytes, storedBytes, cachedBytes };
}

/** What an assembly would download and store, and whether it fits; reads the template only. */
export async function planAssembly(source: SourceDescription, options: AssembleOptions = {}): Promise<AssemblyPlan> {
  const opts = { ...DEFAULTS, ...options, fetch: options.fetch ?? fetch.bind(globalThis) };
  let p: Prepared;
  try {
    p = await prepare(source, opts);
  } catch (error) {
    // Offline (the template cannot be fetched) an assembled bundle that is stored complete is still usable.
    const stored = await storedWhenOffline(source, error);
    const estimate = await estimateStorage();
    return {
      bundleId: source.id,
      displayName: source.display_name,
      downloadBytes: 0,
      storedBytes: stored.bytes,
      cachedBytes: stored.bytes,
      byComponent: stored.byComponent,
      complete: true,
      activations: stored.activations,
      precision: stored.precision,
      activationsWhy: 'stored',
      activationsReason: 'the stored bundle (the template cannot be reached)',
      storedActivations: stored.activations,
      ...(estimate ? { estimate } : {}),
      fits: true,
    };
  }
  const records = await db.getFileRecords(p.files.map((f) => f.file.sha256));
  const n = numbers(source, p, records);
  const committed = await db.getBundleRecord('bundle', source.id);
  const estimate = await estimateStorage();
  return {
    bundleId: source.id,
    displayName: source.display_name,
    ...n,
    // For the preflight (src/shared/preflight.ts): each tensor becomes one GPU buffer.
    largestTensorBytes: COMPONENT_NAMES.reduce((m, c) => p.template.layouts[c].tensors.reduce((k, t) => Math.max(k, t.bytes), m), 0),
    complete: !!committed && n.cachedBytes === n.storedBytes && committed.manifestUrl === assembledManifestUrl(source.id),
    activations: p.choice.activations,
    precision: p.template.manifest.precision,
    activationsWhy: p.choice.why,
    activationsReason: p.choice.reason,
    ...(p.committedActivations ? { storedActivations: p.committedActivations } : {}),
    ...(estimate ? { estimate } : {}),
    fits: fitsQuota(n.storedBytes - n.cachedBytes, estimate).fits,
  };
}

/**
 * When the template cannot be reached (offline, host down): the committed assembled bundle, if the
 * store has one complete; else the error as it was.
 */
async function storedWhenOffline(
  source: SourceDescription,
  error: unknown,
): Promise<{ version: string; bytes: number; byComponent: AssemblyPlan['byComponent']; activations: Activations; precision: string }> {
  const unreachableHost = error instanceof AppError && (error.name === 'Offline' || error.name === 'DownloadFailed');
  const url = assembledManifestUrl(source.id);
  const bundle = unreachableHost ? await findCachedBundle(url).catch(() => undefined) : undefined;
  if (!bundle) throw error;
  const sizes = bundleSizes(bundle.manifest);
  const byComponent = Object.fromEntries(
    COMPONENT_NAMES.map((c) => [c, { url: source.components[c].url, downloadBytes: 0, storedBytes: sizes.byComponent[c] }]),
  ) as AssemblyPlan['byComponent'];
  return {
    version: bundle.version,
    bytes: sizes.total,
    byComponent,
    activations: transformerActivations(bundle.manifest),
    precision: bundle.manifest.precision,
  };
}

/**
 * Assembles the bundle into the store (resuming what a stopped run stored) and commits it. Rejects
 * with named AppErrors; nothing is committed unless every shard and file is complete.
 */
export async function assembleBundle(
  source: SourceDescription,
  onEvent: EventSink,
  options: AssembleOptions = {},
): Promise<AssemblyResult> {
  // One writer per bundle across tabs (the store's lock): the second tab's assembly resumes from what the first stored.
  return withBundleLock(source.id, options.signal, () => assembleLocked(source, onEvent, options));
}

async function assembleLocked(source: SourceDescription, onEvent: EventSink, options: AssembleOptions): Promise<AssemblyResult> {
  const started = performance.now();
  const emit = safeSink(onEvent);
  const job = claimBundle(source.id, options.signal);
  const opts: Options = {
    ...DEFAULTS,
    ...options,
    fetch: options.fetch ?? fetch.bind(globalThis),
    signal: job.signal,
    onWait: (file, ms, cause) => emit({ type: 'wait', file, ms, cause }),
  };
  const counter = { bytes: 0 };
  try {
    const manifestUrl = assembledManifestUrl(source.id);
    let p: Prepared;
    try {
      p = await prepare(source, opts, true);
    } catch (error) {
      const stored = await storedWhenOffline(source, error);
      const seconds = (performance.now() - started) / 1000;
      return {
        bundleId: source.id,
        version: stored.version,
        manifestUrl,
        activations: stored.activations,
        downloadedBytes: 0,
        writtenBytes: 0,
        seconds,
      };
    }
    const records = await db.getFileRecords(p.files.map((f) => f.file.sha256));
    const n = numbers(source, p, records);

    // Already assembled and committed: nothing to read or write.
    const todo = COMPONENT_NAMES.filter((c) => p.shards[c].some((s) => s.state.kind !== 'done'));
    const committed = await db.getBundleRecord('bundle', source.id);
    if (todo.length === 0 && n.cachedBytes === n.storedBytes && committed?.manifestUrl === manifestUrl) {
      const shas = Object.fromEntries(COMPONENT_NAMES.map((c) => [c, p.shards[c].map((s) => (s.state as { sha256: string }).sha256)]));
      const version = bundleVersion(buildManifest(p.template, source, p.files, shas as Record<ComponentName, string[]>, ''));
      if (committed.version === version) {
        const seconds = (performance.now() - started) / 1000;
        return {
          bundleId: source.id,
          version,
          manifestUrl,
          activations: p.choice.activations,
          downloadedBytes: 0,
          writtenBytes: 0,
          seconds,
        };
      }
    }

    // 1. Every source that still has bytes to give: header read and every entry checked, before any write.
    const opened = new Map<ComponentName, { source: OpenSource; entries: PlannedEntry[] }>();
    const problems: string[] = [];
    for (const c of todo) {
      const src = await openSource(source.components[c], opts, counter);
      const comp = p.template.manifest.components[c];
      const { entries, problems: found } = planComponent(
        c,
        source.components[c].naming,
        comp.config,
        p.template.layouts[c].tensors,
        src.tensors,
        comp.external_data.map((f) => f.bytes),
        src.label,
      );
      problems.push(...found);
      opened.set(c, { source: src, entries });
    }
    if (problems.length) {
      const more = problems.length > 6 ? ` (and ${problems.length - 6} more)` : '';
      throw new AppError(
        'BundleInvalid',
        `${source.display_name} cannot be assembled from these files: ${problems.slice(0, 6).join('; ')}${more}`,
      );
    }

    // 2. Room for what is missing, before the first byte is written.
    const estimate = await estimateStorage();
    const missing = n.storedBytes - n.cachedBytes;
    const room = fitsQuota(missing, estimate);
    if (!room.fits) {
      throw new AppError(
        'QuotaExceeded',
        `${source.display_name} needs ${formatBytes(missing)} more (${missing} bytes), but the browser lets this app store only ${formatBytes(room.available ?? 0)} more. Free disk space or delete a stored model, then try again.`,
      );
    }

    // The pending record keeps what is written from garbage collection until the commit.
    const keys = Object.fromEntries(
      COMPONENT_NAMES.map((c) => [c, p.shards[c].map((s) => (s.state.kind === 'done' ? s.state.sha256 : s.key))]),
    ) as Record<ComponentName, string[]>;
    await db.putPending({
      id: source.id,
      version: '',
      manifestUrl,
      manifest: buildManifest(p.template, source, p.files, keys, ''),
      at: Date.now(),
    });
    emit({ type: 'stage', stage: 'download' });

    // Progress: bytes of the bundle in the store (copied files and shards), with a speed.
    let loaded = n.cachedBytes;
    const meter = new RateMeter();
    const throttle = new Throttle(opts.progressIntervalMs);
    const report = (file: BundleFile, fileLoaded: number, delta: number, force = false) => {
      loaded += delta;
      const now = performance.now();
      const bytesPerSecond = meter.sample(now, loaded);
      if (!throttle.pass('assemble', now, force)) return;
      emit({
        type: 'download',
        file: file.path,
        loaded: fileLoaded,
        total: file.bytes,
        bundleLoaded: loaded,
        bundleTotal: n.storedBytes,
        bytesPerSecond,
      });
    };

    // 2. Copied files, through the store's downloader.
    let downloaded = 0;
    for (const { file, url } of p.files) {
      if (records.get(file.sha256)?.complete) continue;
      let last = records.get(file.sha256)?.stored ?? 0;
      downloaded += await downloadFile(url, file, {
        fetch: opts.fetch,
        chunkBytes: opts.chunkBytes,
        integrityAttempts: opts.integrityAttempts,
        networkRetries: opts.networkRetries,
        retryBaseMs: opts.retryBaseMs,
        stallMs: opts.stallMs,
        signal: job.signal,
        onBytes: (f, bytes) => {
          report(f, bytes, bytes - last, bytes === f.bytes);
          last = bytes;
        },
        onVerify: (f, ok, attempt) => emit({ type: 'verify', file: f.path, ok, attempt, attempts: opts.integrityAttempts }),
        onWait: (f, ms, cause) => emit({ type: 'wait', file: f.path, ms, cause }),
      });
    }

    // 3. The shards: one pass over each source; each resumes where a stopped pass recorded.
    let written = 0;
    // Where the time goes: converting (the tensors' entries) vs storing chunks.
    const timings = { produceSeconds: 0, storeSeconds: 0 };
    for (const c of todo) {
      const o = opened.get(c)!;
      const ws = source.components[c];
      const file: BundleFile = { path: o.source.label, bytes: ws.bytes, sha256: ws.sha256 ?? '' };
      report(file, resumeOffset(p.shards[c]), 0, true);
      const pass = await runSourcePass({
        url: o.source.url,
        label: o.source.label,
        ws,
        entries: o.entries,
        shards: p.shards[c],
        prefix: o.source.prefix,
        opts: { ...opts, signal: job.signal, timings, onBytes: (at) => report(file, at, 0) },
        counter,
        onProgress: (at, stored) => report(file, at, stored),
        onVerify: (ok) => emit({ type: 'verify', file: file.path, ok, attempt: 1, attempts: 1 }),
      });
      written += pass.written;
      keys[c] = pass.shas;
      for (const [i, sha256] of pass.shas.entries()) p.shards[c][i]!.state = { kind: 'done', sha256 };
      report(file, ws.bytes, 0, true);
    }
    if (job.signal.aborted) throw abortError();

    // 4. The commit marker, last.
    const draft = buildManifest(p.template, source, p.files, keys, '');
    const version = bundleVersion(draft);
    const manifest = { ...draft, version };
    await db.commitBundle({ id: source.id, version, manifestUrl, manifest, at: Date.now() });
    await collectGarbage();
    return {
      bundleId: source.id,
      version,
      manifestUrl,
      activations: p.choice.activations,
      downloadedBytes: counter.bytes + downloaded,
      writtenBytes: written,
      seconds: (performance.now() - started) / 1000,
      timings,
    };
  } finally {
    job.release();
  }
}
