// One pass over a source file, in file order: each tensor a layout needs is collected while the file
// streams by and hashed with it, then converted into the shard ranges of its entries, written as
// chunks at their shard offsets (the template lays tensors out in order of first use, not file order,
// so a shard fills out of order). Pure: the store is behind `ScatterSink`; unit-tested in node.
import { AppError } from '../../src/shared/errors';
import { ChunkAccumulator } from '../store/chunks';
import { Sha256, type Sha256State } from '../store/sha256';
import type { PlannedEntry } from './layout';
import { entryBytes, PairStash } from './produce';

/** Where the written bytes go. */
export interface ScatterSink {
  /** Bytes [offset, offset + size) of shard `shard` (at most one chunk). */
  write(shard: number, offset: number, parts: Uint8Array[]): Promise<void>;
  /**
   * Every entry whose tensor ends at or before `offset` is written; the source is hashed up to
   * `offset` (`hash`); `stored[shard]` bytes of each shard are written. A resumed pass starts here.
   */
  progress(offset: number, hash: Sha256State, stored: number[]): Promise<void>;
}

/**
 * The shard range an entry's chunks cover: its bytes and the zero padding after it, up to the next
 * entry (or the shard's end); the first entry of a shard also covers the zeros before it. The
 * spans of a shard tile it, so a shard whose entries are all written is whole.
 */
export interface Span {
  entry: PlannedEntry;
  start: number;
  end: number;
}

export function spansOf(entries: readonly PlannedEntry[], shardSizes: readonly number[]): Span[] {
  const spans: Span[] = [];
  for (const [shard, size] of shardSizes.entries()) {
    const mine = entries.filter((e) => e.shard === shard).sort((a, b) => a.offset - b.offset);
    mine.forEach((entry, i) => spans.push({ entry, start: i === 0 ? 0 : entry.offset, end: mine[i + 1]?.offset ?? size }));
  }
  return spans;
}

/** A source tensor's byte range and the spans made from it (a fused tensor feeds several entries). */
interface Group {
  start: number;
  end: number;
  spans: Span[];
}

function groupsOf(spans: readonly Span[]): Group[] {
  const byStart = new Map<number, Group>();
  for (const s of spans) {
    const t = s.entry.tensor;
    const g = byStart.get(t.start) ?? { start: t.start, end: t.start + t.byteSize, spans: [] };
    g.spans.push(s);
    byStart.set(t.start, g);
  }
  return [...byStart.values()].sort((a, b) => a.start - b.start);
}

/** A span is written once its tensor has been read (its group ends at or before `offset`). */
export const spanDone = (s: Span, offset: number) => s.entry.tensor.start + s.entry.tensor.byteSize <= offset;

export interface ScatterOptions {
  chunkBytes: number;
  /** Source bytes converted at once (whole rows). */
  readBytes: number;
  signal?: AbortSignal;
  /** Source bytes passed so far in this pass (progress). */
  onBytes?(offset: number): void;
  timings?: { produceSeconds: number; storeSeconds: number };
}

/**
 * Writes every span of `spans` whose tensor lies at or after `from.offset`, from `pieces` (the
 * source's bytes from `from.offset` to `size`, in order), and returns the sha256 of the whole file
 * (continuing `from.hash`). `spans` are the spans of the shards to write (spansOf).
 */
export async function scatterSource(
  spans: readonly Span[],
  shardCount: number,
  pieces: AsyncIterable<Uint8Array>,
  from: { offset: number; hash?: Sha256State },
  size: number,
  sink: ScatterSink,
  opts: ScatterOptions,
): Promise<string> {
  const hash = from.hash ? Sha256.resume(from.hash) : new Sha256();
  if (hash.length !== from.offset) throw new AppError('Internal', `resumed at ${from.offset} with a hash of ${hash.length} bytes`);
  const stored = new Array<number>(shardCount).fill(0);
  for (const s of spans) if (spanDone(s, from.offset)) stored[s.entry.shard]! += s.end - s.start;
  const groups = groupsOf(spans).filter((g) => g.end > from.offset);
  if (groups[0] && groups[0].start < from.offset) throw new AppError('Internal', `resumed at ${from.offset}, inside a tensor`);
  let pos = from.offset;
  let gi = 0;
  let buffer: Uint8Array | undefined;
  for await (const piece of pieces) {
    if (opts.signal?.aborted) break;
    for (let at = 0; at < piece.length;) {
      const g = groups[gi];
      // Bytes before the next needed tensor (headers, unused tensors): hashed only.
      const until = !g ? Infinity : pos < g.start ? g.start : g.end;
      const part = piece.subarray(at, at + Math.min(piece.length - at, until - pos));
      hash.update(part);
      if (g && pos >= g.start) {
        buffer ??= new Uint8Array(g.end - g.start);
        buffer.set(part, pos - g.start);
      }
      pos += part.length;
      at += part.length;
      if (g && pos === g.end) {
        await writeGroup(g, buffer!, sink, opts, stored);
        buffer = undefined;
        gi++;
        await sink.progress(pos, hash.state(), stored);
      }
    }
    opts.onBytes?.(pos);
  }
  if (opts.signal?.aborted) throw new AppError('AbortError', 'The assembly was cancelled; what was stored is kept for the next try.');
  if (pos !== size) throw new AppError('BundleInvalid', `the source ended at byte ${pos} of ${size}`);
  if (gi < groups.length) throw new AppError('Internal', `the source ended before tensor bytes at ${groups[gi]!.start}`);
  await sink.progress(pos, hash.state(), stored);
  return hash.hex();
}

const ZEROS = new Uint8Array(1024 * 1024);
function* zeros(n: number): Generator<Uint8Array> {
  for (let left = n; left > 0; left -= ZEROS.length) yield ZEROS.subarray(0, Math.min(ZEROS.length, left));
}

/** Converts one tensor's entries and writes their spans in chunks (the chunk grid starts at each span). */
async function writeGroup(g: Group, tensor: Uint8Array, sink: ScatterSink, opts: ScatterOptions, stored: number[]): Promise<void> {
  const read = (offset: number, length: number) => Promise.resolve(tensor.subarray(offset - g.start, offset - g.start + length));
  const stash = new PairStash(Infinity); // both halves of a MatMulNBits weight come from this tensor
  for (const { entry: e, start, end } of g.spans) {
    const chunks = new ChunkAccumulator(opts.chunkBytes);
    let at = start;
    const flush = async (parts: Uint8Array[] | undefined) => {
      if (!parts) return;
      const t0 = performance.now();
      await sink.write(e.shard, at, parts);
      at += parts.reduce((n, p) => n + p.length, 0);
      if (opts.timings) opts.timings.storeSeconds += (performance.now() - t0) / 1000;
    };
    for (const z of zeros(e.offset - start)) chunks.push(z);
    let t0 = performance.now();
    for await (const piece of entryBytes(e, read, 0, stash, opts)) {
      if (opts.timings) opts.timings.produceSeconds += (performance.now() - t0) / 1000;
      chunks.push(piece);
      for (let full = chunks.takeFull(); full; full = chunks.takeFull()) await flush(full);
      t0 = performance.now();
    }
    for (const z of zeros(end - e.offset - e.bytes)) chunks.push(z);
    for (let full = chunks.takeFull(); full; full = chunks.takeFull()) await flush(full);
    await flush(chunks.takeRest());
    if (at !== end) throw new AppError('Internal', `${e.component} ${e.name}: wrote up to ${at}, its span ends at ${end}`);
    stored[e.shard]! += end - start;
  }
}
