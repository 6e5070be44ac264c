/**
 * The assembler (docs/assembly.md): a template of graphs without weights + public weight files
 * (GGUF, safetensors) → a normal bundle in the model store, which the engine opens like any other.
 *
 * 1. template.json is fetched; each source's header is read with HTTP Range requests; every layout
 *    entry is resolved and checked (layout.ts). Any problem stops here: nothing is written.
 * 2. Graphs and tokenizer files are downloaded by the store's downloader (verified, resumable).
 * 3. Each shard is produced in order, entry by entry (zero padding between): the source rows an
 *    entry needs are read in row chunks (one read ahead), converted (repack.ts) and written through
 *    the store in chunks while hashed (workers/store/generated.ts). A stopped shard resumes at its
 *    stored prefix: the layout maps that offset to an entry and a row, and only the rows from there
 *    are read again.
 * 4. The manifest (template manifest + shard sha256s + tokenizer files + version) is committed last.
 */
import type { AssemblyPlan, AssemblyResult, SourceDescription, WeightSource } from '../../src/shared/assemble-api';
import { assembledManifestUrl } from '../../src/shared/assemble-api';
import type { EventSink } from '../../src/shared/events';
import { AppError } from '../../src/shared/errors';
import { bundleSizes, COMPONENT_NAMES, type BundleFile, type BundleManifest, type ComponentName } from '../../src/shared/manifest';
import { claimBundle, collectGarbage, estimateStorage, findCachedBundle, holdContents, safeSink } from '../store/bundles';
import { abortError, downloadFile, unreachable } from '../store/downloader';
import { generatedState, GeneratedWriter, type GeneratedState } from '../store/generated';
import { backoffMs, parseContentRange } from '../store/http';
import { fitsQuota } from '../store/plan';
import { formatBytes, RateMeter, Throttle } from '../store/progress';
import { Sha256 } from '../store/sha256';
import * as db from '../store/shard-store';
import type { RowRun } from './flux-names';
import { blobSource, readExact, readGguf, type ByteSource } from './gguf';
import { assertTemplate, planComponent, sliceRuns, type PlannedEntry, type SourceTensor, type Template } from './layout';
import { convertRows, f16ToF32, f32ToF16 } from './repack';
import { readSafetensors } from './safetensors';

/** Bumped when the assembler would write different bytes for the same template and sources. */
const ASSEMBLER_VERSION = 1;

export interface AssembleOptions {
  fetch?: typeof fetch;
  /** Largest chunk record (default 16 MiB, the store's). */
  chunkBytes?: number;
  /** Source bytes asked for in one Range request (default 8 MiB; whole rows). */
  readBytes?: number;
  /** Failed requests in a row before a source read fails (default 4). */
  networkRetries?: number;
  retryBaseMs?: number;
  progressIntervalMs?: number;
  /** Files whose whole-file sha256 is checked are kept in memory below this size (default 64 MiB). */
  keepBelowBytes?: number;
  signal?: AbortSignal;
}

const DEFAULTS = {
  chunkBytes: 16 * 1024 * 1024,
  readBytes: 8 * 1024 * 1024,
  networkRetries: 4,
  retryBaseMs: 500,
  progressIntervalMs: 100,
  keepBelowBytes: 64 * 1024 * 1024,
  integrityAttempts: 3,
};
type Options = typeof DEFAULTS & { fetch: typeof fetch; signal?: AbortSignal };

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

/**
 * Range reads of a source file, retried on broken connections. A host that ignores Range, or whose
 * file has another size than the description says, is refused with the reason.
 */
function rangeSource(url: string, expected: number, label: string, opts: Options, counter: { bytes: number }): ByteSource {
  const checkTotal = (total: number | undefined) => {
    if (total === undefined || total === expected) return;
    throw new AppError(
      'BundleInvalid',
      total < expected
        ? `${label}: the host's file has ${total} bytes, the source description says ${expected}: the file is truncated.`
        : `${label}: the host's file has ${total} bytes, the source description says ${expected}: a different file.`,
    );
  };
  return async (offset, length) => {
    if (length === 0) return new Uint8Array(0);
    for (let failures = 0; ;) {
      if (opts.signal?.aborted) throw abortError();
      let response: Response | undefined;
      let error: unknown;
      try {
        response = await opts.fetch(url, {
          headers: { Range: `bytes=${offset}-${offset + length - 1}` },
          cache: 'no-store',
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
        if (response.status === 206) {
          const range = parseContentRange(response.headers.get('Content-Range'));
          checkTotal(range?.total);
          const bytes = new Uint8Array(await response.arrayBuffer());
          counter.bytes += bytes.length;
          return bytes;
        }
        void response.body?.cancel().catch(() => {});
        if (response.status === 416) {
          checkTotal(parseContentRange(response.headers.get('Content-Range'))?.total);
          return new Uint8Array(0);
        }
        if (response.status === 404 || response.status === 410)
          throw new AppError('NotFound', `${url} is not on the host (${response.status}).`);
        if (response.ok) {
          throw new AppError(
            'DownloadFailed',
            `${label}: the host ignored the Range request (HTTP ${response.status}); the assembler reads weight files in parts and needs a host that serves byte ranges (${new URL(url).host}).`,
          );
        }
        if (!(response.status === 408 || response.status === 429 || response.status >= 500)) {
          throw new AppError(
            'DownloadFailed',
            `${label}: the host answered ${response.status} for bytes ${offset}..${offset + length - 1}.`,
          );
        }
        error = new Error(`the host answered ${response.status}`);
      } catch (e) {
        if (opts.signal?.aborted) throw abortError();
        if (e instanceof AppError) throw e;
        error = e;
      }
      if (++failures > opts.networkRetries) {
        const broke = unreachable(url, error);
        throw new AppError(broke.name, `${broke.message} (reading ${label}; what is assembled so far is kept).`);
      }
      await new Promise((r) => setTimeout(r, backoffMs(failures, opts.retryBaseMs)));
    }
  };
}

/**
 * Reads a small source file whole in one streamed GET, checks its sha256 and keeps it, so the
 * assembly reads it from memory (one download).
 */
async function verifySource(url: string, ws: WeightSource, label: string, opts: Options, counter: { bytes: number }): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await opts.fetch(url, { cache: 'no-store', ...(opts.signal ? { signal: opts.signal } : {}) });
  } catch (error) {
    throw opts.signal?.aborted ? abortError() : unreachable(url, error);
  }
  if (response.status === 404 || response.status === 410) throw new AppError('NotFound', `${url} is not on the host (${response.status}).`);
  if (!response.ok || !response.body) throw new AppError('DownloadFailed', `${label}: the host answered ${response.status}.`);
  const keep = new Uint8Array(ws.bytes);
  const hash = new Sha256();
  let got = 0;
  const reader = response.body.getReader();
  for (;;) {
    if (opts.signal?.aborted) {
      void reader.cancel().catch(() => {});
      throw abortError();
    }
    const { done, value } = await reader.read();
    if (done) break;
    if (got + value.length <= keep.length) keep.set(value, got);
    got += value.length;
    counter.bytes += value.length;
    hash.update(value);
  }
  const digest = hash.hex();
  if (got < ws.bytes)
    throw new AppError(
      'BundleInvalid',
      `${label}: the host's file has ${got} bytes, the source description says ${ws.bytes}: the file is truncated.`,
    );
  if (got !== ws.bytes || digest !== ws.sha256) {
    throw new AppError(
      'IntegrityMismatch',
      `${label}: sha256 ${digest} (${got} bytes), the source description says ${ws.sha256} (${ws.bytes} bytes): the host serves a different file.`,
    );
  }
  return keep;
}

interface OpenSource {
  component: ComponentName;
  label: string;
  url: string;
  read: ByteSource;
  tensors: Map<string, SourceTensor>;
  /**
   * A large file with a published sha256: its header was read by range, and before its shards are
   * written it is downloaded whole into the store (verified, resumable) and read from there.
   */
  stage: boolean;
}

/**
 * How a source is read. No sha256: HTTP Range reads of what is needed. A sha256 and a small file: one
 * GET, hashed, kept in memory. A sha256 and a large file: its header by range now, the file staged in
 * the store later (`stageSource`): one download either way, and the whole file verified.
 */
function stagesInStore(ws: WeightSource, opts: { keepBelowBytes: number }): boolean {
  return !!ws.sha256 && ws.bytes >= opts.keepBelowBytes;
}

async function openSource(component: ComponentName, ws: WeightSource, opts: Options, counter: { bytes: number }): Promise<OpenSource> {
  const url = absolute(ws.url);
  const label = fileName(url);
  let read = rangeSource(url, ws.bytes, label, opts, counter);
  const stage = stagesInStore(ws, opts);
  if (ws.sha256 && !stage) {
    const kept = await verifySource(url, ws, label, opts, counter);
    read = (offset, length) => Promise.resolve(kept.subarray(Math.min(offset, kept.length), Math.min(offset + length, kept.length)));
  }
  return { component, label, url, read, tensors: await readTensorTable(ws.format, read, ws.bytes, label), stage };
}

/** Downloads a source file whole into the store (the downloader verifies its sha256 and resumes); reads it from there. */
async function stageSource(
  src: OpenSource,
  ws: WeightSource,
  opts: Options,
  signal: AbortSignal,
  onBytes: (f: BundleFile, bytes: number) => void,
  onVerify: (f: BundleFile, ok: boolean, attempt: number) => void,
): Promise<{ read: ByteSource; fetched: number }> {
  const file: BundleFile = { path: src.label, bytes: ws.bytes, sha256: ws.sha256! };
  const fetched = await downloadFile(src.url, file, {
    fetch: opts.fetch,
    chunkBytes: opts.chunkBytes,
    integrityAttempts: opts.integrityAttempts,
    networkRetries: opts.networkRetries,
    retryBaseMs: opts.retryBaseMs,
    signal,
    onBytes,
    onVerify,
  });
  const { complete, chunks } = await db.getStoredFile(file.sha256);
  if (!complete) throw new AppError('Internal', `${src.label}: staged but not complete in the store`);
  return { read: blobSource(new Blob(chunks.map((c) => c.blob))), fetched };
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
// Producing a shard's bytes

/** The other half of a MatMulNBits weight made while reading the source for one half (B ↔ fp16 scales). */
export class PairStash {
  #items = new Map<string, Uint8Array[]>();
  #bytes = 0;
  constructor(private readonly limit = 256 * 1024 * 1024) {}
  put(key: string, pieces: Uint8Array[]): void {
    const n = pieces.reduce((a, p) => a + p.length, 0);
    if (this.#bytes + n > this.limit) return; // too much held: that half reads the source again
    this.#items.set(key, pieces);
    this.#bytes += n;
  }
  take(key: string): Uint8Array[] | undefined {
    const pieces = this.#items.get(key);
    if (pieces) {
      this.#items.delete(key);
      this.#bytes -= pieces.reduce((a, p) => a + p.length, 0);
    }
    return pieces;
  }
}

const asBytes = (a: Float32Array | Uint16Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Converts whole param rows of an entry; `other` is the pair's half (raw fp16 scales, or B). */
function convertEntryRows(e: PlannedEntry, bytes: Uint8Array, rows: number): { out: Uint8Array; other?: Uint8Array } {
  const t = e.tensor;
  if (e.encoding === 'matmulnbits_b' || e.encoding === 'matmulnbits_scales') {
    const c = convertRows(
      t.type,
      t.typeName,
      bytes,
      rows,
      e.cols,
      { kind: 'matmulnbits', bits: e.bits as 4 | 8, scaleType: 'float16' },
      t.name,
    );
    if (c.kind !== 'matmulnbits') throw new AppError('Internal', `${e.name}: not converted to MatMulNBits`);
    return e.encoding === 'matmulnbits_b' ? { out: c.b, other: c.scales } : { out: scalesAs(e, c.scales), other: c.b };
  }
  const c = convertRows(t.type, t.typeName, bytes, rows, e.cols, { kind: e.encoding as 'float32' | 'float16' }, t.name);
  if (c.kind === 'matmulnbits') throw new AppError('Internal', `${e.name}: unexpected MatMulNBits`);
  return { out: asBytes(c.data) };
}

/** fp16 scales (GGUF's `d`, bit for bit) in the entry's dtype; widening to fp32 is exact. */
function scalesAs(e: PlannedEntry, fp16: Uint8Array): Uint8Array {
  return e.dtype === 'float32' ? asBytes(f16ToF32(fp16)) : fp16;
}

/** Source reads of whole rows: [srcRow, srcRow + count) of a tensor. */
function readRows(source: ByteSource, t: SourceTensor, rowBytes: number, row: number, count: number): Promise<Uint8Array> {
  return readExact(source, t.start + row * rowBytes, count * rowBytes, `tensor ${t.name} rows ${row}+${count}`);
}

/** Contiguous source reads of at most `maxRows` rows covering runs. */
function segments(runs: readonly RowRun[], maxRows: number): RowRun[] {
  const out: RowRun[] = [];
  for (const r of runs) for (let s = 0; s < r.count; s += maxRows) out.push({ start: r.start + s, count: Math.min(maxRows, r.count - s) });
  return out;
}

/**
 * An entry's output bytes from byte `skip` on, as pieces. Reads only the source rows from the row
 * that holds `skip`, one read ahead of the conversion.
 */
async function* entryBytes(
  e: PlannedEntry,
  source: ByteSource,
  skip: number,
  stash: PairStash,
  opts: { readBytes: number },
): AsyncGenerator<Uint8Array> {
  const myPart = e.encoding === 'matmulnbits_b' ? 'b' : 'scales';
  const pair = e.encoding.startsWith('matmulnbits');
  const stashed = pair ? stash.take(`${e.pairKey}|${myPart}`) : undefined;
  if (stashed) {
    let at = 0;
    for (let piece of stashed) {
      if (myPart === 'scales') piece = scalesAs(e, piece);
      if (at + piece.length > skip) yield at >= skip ? piece : piece.subarray(skip - at);
      at += piece.length;
    }
    return;
  }
  const maxRows = Math.max(1, Math.floor(opts.readBytes / Math.max(1, e.srcRowBytes)));
  if (e.transpose) {
    // A transposed float initializer is produced whole (2-D, small: the F16 linears FLUX keeps in float).
    const parts: Uint8Array[] = [];
    for (const s of segments(e.runs, maxRows)) parts.push(await readRows(source, e.tensor, e.srcRowBytes, s.start, s.count));
    const all = concat(parts);
    const c = convertRows(e.tensor.type, e.tensor.typeName, all, e.paramRows, e.cols, { kind: 'float32' }, e.tensor.name);
    const m = (c as { data: Float32Array }).data;
    const rows = e.paramRows;
    const cols = e.cols;
    const tr = transpose(m, rows, cols);
    const out = e.encoding === 'float16' ? asBytes(f32ToF16(tr)) : asBytes(tr);
    if (skip < out.length) yield out.subarray(skip);
    return;
  }
  const firstRow = Math.floor(skip / e.outRowBytes);
  let cut = skip - firstRow * e.outRowBytes;
  const others: Uint8Array[] | undefined = pair && skip === 0 ? [] : undefined;
  const segs = segments(sliceRuns(e.runs, firstRow, e.paramRows - firstRow), maxRows);
  let next = segs.length ? readRows(source, e.tensor, e.srcRowBytes, segs[0]!.start, segs[0]!.count) : undefined;
  for (let i = 0; i < segs.length; i++) {
    const bytes = await next!;
    next = i + 1 < segs.length ? readRows(source, e.tensor, e.srcRowBytes, segs[i + 1]!.start, segs[i + 1]!.count) : undefined;
    next?.catch(() => {}); // awaited on the next turn; a stop in between must not leave it unhandled
    const { out, other } = convertEntryRows(e, bytes, segs[i]!.count);
    if (other && others) others.push(other);
    yield cut > 0 ? out.subarray(cut) : out;
    cut = 0;
  }
  if (others) stash.put(`${e.pairKey}|${myPart === 'b' ? 'scales' : 'b'}`, others);
}

/** [rows, cols] → [cols, rows], in 64×64 tiles (a plain loop strides through memory and is ~4x slower). */
export function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  const T = 64;
  for (let r0 = 0; r0 < rows; r0 += T) {
    const r1 = Math.min(rows, r0 + T);
    for (let c0 = 0; c0 < cols; c0 += T) {
      const c1 = Math.min(cols, c0 + T);
      for (let r = r0; r < r1; r++) for (let c = c0, i = r * cols + c0; c < c1; c++, i++) out[c * rows + r] = m[i]!;
    }
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A shard's bytes from `from` on: the entries at their offsets (sorted by offset), zeros between and after. */
export async function* shardBytes(
  entries: PlannedEntry[],
  size: number,
  from: number,
  source: ByteSource,
  stash: PairStash,
  opts: { readBytes: number },
): AsyncGenerator<Uint8Array> {
  const ZERO = 1024 * 1024;
  function* zeros(n: number): Generator<Uint8Array> {
    for (let left = n; left > 0; left -= ZERO) yield new Uint8Array(Math.min(ZERO, left));
  }
  let pos = from;
  for (const e of entries) {
    if (e.offset + e.bytes <= pos) continue;
    if (pos < e.offset) {
      yield* zeros(e.offset - pos);
      pos = e.offset;
    }
    for await (const piece of entryBytes(e, source, pos - e.offset, stash, opts)) {
      pos += piece.length;
      yield piece;
    }
    if (pos !== e.offset + e.bytes)
      throw new AppError('Internal', `${e.component} ${e.name}: produced up to ${pos}, the entry ends at ${e.offset + e.bytes}`);
  }
  if (pos < size) yield* zeros(size - pos);
}

// ---------------------------------------------------------------------------------------------
// Plan and assemble

interface Prepared {
  templateUrl: string;
  template: Template;
  templateSha: string;
  files: { file: BundleFile; url: string }[];
  /** Per component, per shard: the store key and where it stands. */
  shards: Record<ComponentName, { file: BundleFile; key: string; state: GeneratedState }[]>;
}

/**
 * Fetches the template and reads where each shard stands. `assembling` (never a plan, which must not
 * reach the sources' hosts) drops unusable partial shards and pins copied files that publish no hash.
 */
async function prepare(source: SourceDescription, opts: Options, assembling = false): Promise<Prepared> {
  const templateUrl = absolute(source.template);
  const { template, sha256: templateSha } = await loadTemplate(templateUrl, opts.fetch);
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
  return { templateUrl, template, templateSha, files, shards };
}

function numbers(source: SourceDescription, p: Prepared, records: Map<string, db.FileRecord>) {
  const byComponent = {} as AssemblyPlan['byComponent'];
  let downloadBytes = 0;
  let storedBytes = 0;
  let cachedBytes = 0;
  // The largest source staged in the store at once (removed after its component): room needed on top.
  let stagedPeak = 0;
  for (const c of COMPONENT_NAMES) {
    const ws = source.components[c];
    const shardTotal = p.shards[c].reduce((n, s) => n + s.file.bytes, 0);
    const done = p.shards[c].reduce((n, s) => n + (s.state.kind === 'done' ? s.file.bytes : s.state.stored), 0);
    // A component still to write reads its source file (about) whole, once.
    const reads = done < shardTotal ? ws.bytes : 0;
    if (done < shardTotal && stagesInStore(ws, DEFAULTS)) stagedPeak = Math.max(stagedPeak, ws.bytes);
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
  return { byComponent, downloadBytes, storedBytes, cachedBytes, stagedPeak };
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
      ...(estimate ? { estimate } : {}),
      fits: true,
    };
  }
  const records = await db.getFileRecords(p.files.map((f) => f.file.sha256));
  const { stagedPeak, ...n } = numbers(source, p, records);
  const committed = await db.getBundleRecord('bundle', source.id);
  const estimate = await estimateStorage();
  return {
    bundleId: source.id,
    displayName: source.display_name,
    ...n,
    // For the preflight (src/shared/preflight.ts): each tensor becomes one GPU buffer.
    largestTensorBytes: COMPONENT_NAMES.reduce((m, c) => p.template.layouts[c].tensors.reduce((k, t) => Math.max(k, t.bytes), m), 0),
    complete: !!committed && n.cachedBytes === n.storedBytes && committed.manifestUrl === assembledManifestUrl(source.id),
    ...(estimate ? { estimate } : {}),
    fits: fitsQuota(n.storedBytes - n.cachedBytes + stagedPeak, estimate).fits,
  };
}

/**
 * When the template cannot be reached (offline, host down): the committed assembled bundle, if the
 * store has one complete; else the error as it was.
 */
async function storedWhenOffline(
  source: SourceDescription,
  error: unknown,
): Promise<{ version: string; bytes: number; byComponent: AssemblyPlan['byComponent'] }> {
  const unreachableHost = error instanceof AppError && (error.name === 'Offline' || error.name === 'DownloadFailed');
  const url = assembledManifestUrl(source.id);
  const bundle = unreachableHost ? await findCachedBundle(url).catch(() => undefined) : undefined;
  if (!bundle) throw error;
  const sizes = bundleSizes(bundle.manifest);
  const byComponent = Object.fromEntries(
    COMPONENT_NAMES.map((c) => [c, { url: source.components[c].url, downloadBytes: 0, storedBytes: sizes.byComponent[c] }]),
  ) as AssemblyPlan['byComponent'];
  return { version: bundle.version, bytes: sizes.total, byComponent };
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
  const started = performance.now();
  const emit = safeSink(onEvent);
  const job = claimBundle(source.id, options.signal);
  const opts: Options = { ...DEFAULTS, ...options, fetch: options.fetch ?? fetch.bind(globalThis), signal: job.signal };
  const counter = { bytes: 0 };
  const staged = COMPONENT_NAMES.map((c) => source.components[c])
    .filter((ws) => stagesInStore(ws, opts))
    .map((ws) => ws.sha256!);
  const release = holdContents(staged);
  try {
    const manifestUrl = assembledManifestUrl(source.id);
    let p: Prepared;
    try {
      p = await prepare(source, opts, true);
    } catch (error) {
      const stored = await storedWhenOffline(source, error);
      const seconds = (performance.now() - started) / 1000;
      return { bundleId: source.id, version: stored.version, manifestUrl, downloadedBytes: 0, writtenBytes: 0, seconds };
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
        return { bundleId: source.id, version, manifestUrl, downloadedBytes: 0, writtenBytes: 0, seconds };
      }
    }

    // 1. Every source that still has bytes to give: header read and every entry checked, before any write.
    const opened = new Map<ComponentName, { source: OpenSource; entries: PlannedEntry[] }>();
    const problems: string[] = [];
    for (const c of todo) {
      const src = await openSource(c, source.components[c], opts, counter);
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
    const missing = n.storedBytes - n.cachedBytes + n.stagedPeak;
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
        signal: job.signal,
        onBytes: (f, bytes) => {
          report(f, bytes, bytes - last, bytes === f.bytes);
          last = bytes;
        },
        onVerify: (f, ok, attempt) => emit({ type: 'verify', file: f.path, ok, attempt, attempts: opts.integrityAttempts }),
      });
    }

    // 3. The shards, in order; each resumes at its stored prefix.
    let written = 0;
    // Where the time goes: reading + converting (the generator) vs hashing + storing (the writer).
    const timings = { produceSeconds: 0, storeSeconds: 0 };
    const stash = new PairStash();
    for (const c of COMPONENT_NAMES) {
      const o = opened.get(c);
      if (o?.source.stage) {
        const ws = source.components[c];
        const staging = await stageSource(
          o.source,
          ws,
          opts,
          job.signal,
          (f, bytes) => report(f, bytes, 0),
          (f, ok, attempt) => emit({ type: 'verify', file: f.path, ok, attempt, attempts: opts.integrityAttempts }),
        );
        downloaded += staging.fetched;
        // The verified file is what the description names: plan again from it (its header is now local).
        const tensors = await readTensorTable(ws.format, staging.read, ws.bytes, o.source.label);
        const comp = p.template.manifest.components[c];
        const again = planComponent(
          c,
          ws.naming,
          comp.config,
          p.template.layouts[c].tensors,
          tensors,
          comp.external_data.map((f) => f.bytes),
          o.source.label,
        );
        if (again.problems.length)
          throw new AppError(
            'BundleInvalid',
            `${source.display_name} cannot be assembled from these files: ${again.problems.slice(0, 6).join('; ')}`,
          );
        o.source = { ...o.source, read: staging.read, tensors };
        o.entries = again.entries;
      }
      for (const [i, shard] of p.shards[c].entries()) {
        if (shard.state.kind === 'done') continue;
        const entries = o!.entries.filter((e) => e.shard === i).sort((a, b) => a.offset - b.offset);
        const from = shard.state.stored;
        const writer = new GeneratedWriter(shard.key, shard.file.bytes, shard.state, opts.chunkBytes, shard.file.path);
        report(shard.file, from, 0, true);
        try {
          const pieces = shardBytes(entries, shard.file.bytes, from, o!.source.read, stash, opts);
          for (let t0 = performance.now(), next = await pieces.next(); !next.done; t0 = performance.now(), next = await pieces.next()) {
            const t1 = performance.now();
            timings.produceSeconds += (t1 - t0) / 1000;
            if (job.signal.aborted) throw abortError();
            await writer.push(next.value);
            timings.storeSeconds += (performance.now() - t1) / 1000;
            written += next.value.length;
            report(shard.file, writer.pushed, next.value.length);
          }
        } catch (error) {
          // What was made is valid: keep it, so the next run resumes there.
          await writer.stop().catch(() => {});
          throw job.signal.aborted ? abortError() : error;
        }
        const sha256 = await writer.finish();
        keys[c][i] = sha256;
        shard.state = { kind: 'done', sha256 };
        report(shard.file, shard.file.bytes, 0, true);
      }
      // A staged source is not part of the bundle: its room goes back as soon as its shards are done.
      if (o?.source.stage) await db.deleteContents([source.components[c].sha256!]);
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
      downloadedBytes: counter.bytes + downloaded,
      writtenBytes: written,
      seconds: (performance.now() - started) / 1000,
      timings,
    };
  } finally {
    release();
    job.release();
  }
}
