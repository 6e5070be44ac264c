// One component's shards from ONE read of its source file (scatter.ts does the bytes): resumed at the
// last tensor boundary a stopped pass recorded, checked against the source's sha256 before any shard
// is committed, and everything written from the source deleted when the sha256 does not match.
import type { WeightSource } from '../../src/shared/assemble-api';
import { AppError } from '../../src/shared/errors';
import type { BundleFile } from '../../src/shared/manifest';
import {
  commitGeneratedFile,
  dropGeneratedRanges,
  saveGeneratedProgress,
  writeGeneratedChunk,
  type GeneratedState,
} from '../store/generated';
import type { Sha256State } from '../store/sha256';
import { deleteContents, getChunkSizes } from '../store/shard-store';
import type { PlannedEntry } from './layout';
import { scatterSource, spanDone, spansOf, type ScatterOptions, type Span } from './scatter';
import { readAhead, streamSource, type Counter, type StreamOptions } from './stream';

export interface ShardTask {
  file: BundleFile;
  key: string;
  state: GeneratedState;
}

export interface PassContext {
  url: string;
  label: string;
  ws: WeightSource;
  entries: PlannedEntry[];
  shards: ShardTask[];
  /** The file's first bytes, read with its header. */
  prefix: Uint8Array;
  opts: StreamOptions & ScatterOptions & { readAheadBytes: number };
  counter: Counter;
  /** Source bytes passed (of ws.bytes), and shard bytes newly stored. */
  onProgress(sourceOffset: number, storedDelta: number): void;
  onVerify(ok: boolean): void;
}

/** Where a pass over the source resumes: the offset the unfinished shards' records agree on, else 0. */
export function resumeOffset(shards: readonly ShardTask[]): number {
  const todo = shards.filter((s) => s.state.kind !== 'done');
  const first = todo[0]?.state.kind === 'partial' ? todo[0].state.source : undefined;
  const agree = !!first && todo.every((s) => s.state.kind === 'partial' && s.state.source && sameProgress(s.state.source, first));
  return agree ? first.offset : 0;
}

const sameProgress = (a: { offset: number; hash: Sha256State }, b: { offset: number; hash: Sha256State }) =>
  a.offset === b.offset && JSON.stringify(a.hash) === JSON.stringify(b.hash);

/** Shard bytes written by this pass (for the result). */
export async function runSourcePass(ctx: PassContext): Promise<{ shas: string[]; written: number }> {
  const { shards, ws, label } = ctx;
  const todo = shards.map((s, i) => ({ ...s, i })).filter((s) => s.state.kind !== 'done');
  const shas = shards.map((s) => (s.state.kind === 'done' ? s.state.sha256 : ''));
  if (todo.length === 0) return { shas, written: 0 };
  const keys = todo.map((s) => s.key);
  const writing = new Set(todo.map((s) => s.i));
  const spans = spansOf(
    ctx.entries.filter((e) => writing.has(e.shard)),
    shards.map((s) => s.file.bytes),
  );
  const from = await resumePoint(todo, spans);

  let written = 0;
  let inFlight: Promise<void> = Promise.resolve();
  let storedSum = todo.reduce((n, s) => n + (from.offset > 0 && s.state.kind === 'partial' ? s.state.stored : 0), 0);
  const sink = {
    async write(shard: number, offset: number, parts: Uint8Array[]) {
      await inFlight; // one chunk write in flight while the next is made; a failed one surfaces here
      const blob = new Blob(parts as BlobPart[]);
      written += blob.size;
      inFlight = writeGeneratedChunk(shards[shard]!.key, offset, blob, shards[shard]!.file.path);
      inFlight.catch(() => {});
    },
    async progress(offset: number, hash: Sha256State, stored: number[]) {
      await inFlight; // the record never runs ahead of its chunks
      const files = todo.map((s) => ({ key: s.key, bytes: s.file.bytes, stored: stored[s.i]! }));
      await saveGeneratedProgress(files, { offset, hash }, label);
      const sum = files.reduce((n, f) => n + f.stored, 0);
      ctx.onProgress(offset, sum - storedSum);
      storedSum = sum;
    },
  };
  const pieces = readAhead(sourceBytes(ctx, from.offset), ctx.opts.readAheadBytes);
  const sha256 = await scatterSource(spans, shards.length, pieces, from, ws.bytes, sink, ctx.opts);

  if (ws.sha256 && sha256 !== ws.sha256) {
    ctx.onVerify(false);
    await deleteContents(keys);
    throw new AppError(
      'IntegrityMismatch',
      `${label}: sha256 ${sha256} (${ws.bytes} bytes), the source description says ${ws.sha256} (${ws.bytes} bytes): the host serves a different file. What was assembled from it is deleted.`,
    );
  }
  if (ws.sha256) ctx.onVerify(true);
  // The source is verified: hash each shard from its stored chunks (local reads) and commit it.
  for (const s of todo) shas[s.i] = await commitGeneratedFile(s.key, s.file.bytes, s.file.path);
  return { shas, written };
}

/** The file's bytes from `offset`: what the header read already holds, then one request for the rest. */
async function* sourceBytes(ctx: PassContext, offset: number): AsyncGenerator<Uint8Array> {
  if (offset < ctx.prefix.length) yield ctx.prefix.subarray(offset);
  const start = Math.max(offset, ctx.prefix.length);
  if (start < ctx.ws.bytes) yield* streamSource(ctx.url, start, ctx.ws.bytes, ctx.label, ctx.opts, ctx.counter);
}

/**
 * Where this pass starts. A stopped pass left its records at a tensor boundary and maybe chunks of
 * the tensor it was making: those are dropped, and the rest must add up to the records; anything
 * else starts the source over (its shards' data deleted).
 */
async function resumePoint(todo: (ShardTask & { i: number })[], spans: Span[]): Promise<{ offset: number; hash?: Sha256State }> {
  const keys = todo.map((s) => s.key);
  const offset = resumeOffset(todo);
  const source = offset > 0 && todo[0]!.state.kind === 'partial' ? todo[0]!.state.source : undefined;
  if (source) {
    for (const s of todo) {
      const ranges = spans.filter((sp) => sp.entry.shard === s.i && !spanDone(sp, offset));
      await dropGeneratedRanges(s.key, ranges);
    }
    const sizes = await getChunkSizes(keys);
    const consistent = todo.every(
      (s) => s.state.kind === 'partial' && (sizes.get(s.key) ?? []).reduce((n, c) => n + c.size, 0) === s.state.stored,
    );
    if (consistent) return source;
  }
  // From the start: chunks of a first tensor written before any record are dropped too.
  await deleteContents(keys);
  return { offset: 0 };
}
