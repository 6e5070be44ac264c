// One file of a bundle from its URL into the store: streamed, in bounded chunks, resumed with Range
// where it stopped, hashed as it goes, and marked complete only when its sha256 matches.
import type { WaitCause } from '../../src/shared/events';
import type { BundleFile } from '../../src/shared/manifest';
import { policyRefusal } from '../../src/shared/csp';
import { AppError } from '../../src/shared/errors';
import { ChunkAccumulator, chunksCover } from './chunks';
import { backoffMs, declaredLength, planResponse, rangeHeader, retryAfterMs } from './http';
import { formatBytes } from './progress';
import { Sha256 } from './sha256';
import { deleteContents, getChunkSizes, getFileRecords, putChunk, putFileRecord, type FileRecord } from './shard-store';

export interface FileDownloadContext {
  fetch: typeof fetch;
  /** Largest chunk record, in bytes. */
  chunkBytes: number;
  /** Downloads of a file whose sha256 does not match, in all (the first and its retries). */
  integrityAttempts: number;
  /** Failed requests or broken connections in a row, without new bytes stored, before giving up. */
  networkRetries: number;
  retryBaseMs: number;
  /** A response body that sends nothing for this long is dropped and the file resumed from what is stored. */
  stallMs: number;
  signal: AbortSignal;
  /** The file's bytes received so far (stored, or held for the next chunk); drops to 0 when a file is discarded. */
  onBytes(file: BundleFile, received: number): void;
  onVerify(file: BundleFile, ok: boolean, attempt: number): void;
  /** Before a pause of `ms` and another try. */
  onWait?(file: BundleFile, ms: number, cause: WaitCause): void;
}

/** The host answered a status worth retrying (408, 429, 5xx): it is there, but busy or failing. */
export class HostBusy extends Error {
  constructor(
    readonly status: number,
    reason: string,
  ) {
    super(reason);
  }
}

/** How one pass over the network ended. */
interface Pass {
  hash: Sha256;
  stored: number;
  /** Bytes the host sent beyond what the manifest says, or another size it declared. */
  wrongSize?: number;
}

/** What a pause before another try is for, as the progress line says it. */
export function waitCause(error: unknown, askedMs?: number): WaitCause {
  if (askedMs !== undefined) return 'host-asked';
  return error instanceof HostBusy ? 'host-busy' : 'connection';
}

/** A host that kept answering `busy.status` (408, 429, 5xx): told apart from a network that fails. */
export function hostBusyError(url: string, busy: HostBusy, failures: number, doing: string, kept: string): AppError {
  return new AppError(
    'DownloadFailed',
    `The model host ${new URL(url).host} answered ${busy.status} ${failures} times in a row while ${doing}` +
      (busy.status === 429 ? ' (too many requests)' : '') +
      `; ${kept}`,
  );
}

export function abortError(): AppError {
  return new AppError('AbortError', 'The download was cancelled; what was stored is kept for the next try.');
}

/** A fetch that failed outright: offline, or the host cannot be reached. */
export function unreachable(url: string, error: unknown): AppError {
  const host = new URL(url).host;
  const detail = error instanceof Error ? error.message : String(error);
  if (typeof navigator !== 'undefined' && navigator.onLine === false) {
    return new AppError('Offline', `You are offline, and ${url} is not stored on this device (${detail}).`);
  }
  return new AppError('DownloadFailed', `Could not reach the model host ${host} (${detail}). Check the address, or try again later.`);
}

/** A pause that a cancel ends at once (with the AbortError). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError());
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The stored state of a file, checked against its chunks; a record that does not add up is discarded. */
async function startingRecord(file: BundleFile): Promise<FileRecord> {
  const fresh: FileRecord = { sha256: file.sha256, bytes: file.bytes, stored: 0, complete: false, updatedAt: Date.now() };
  const record = (await getFileRecords([file.sha256])).get(file.sha256);
  if (!record) return fresh;
  if (record.complete && record.bytes === file.bytes) return record;
  const chunks = (await getChunkSizes([file.sha256])).get(file.sha256) ?? [];
  const usable =
    !record.complete &&
    record.bytes === file.bytes &&
    record.hash?.length === record.stored &&
    record.stored <= file.bytes &&
    chunksCover(chunks, record.stored);
  if (usable) return record;
  await deleteContents([file.sha256]);
  return fresh;
}

/**
 * Downloads a file into the store unless it is there complete already; returns the bytes it
 * fetched and stored. Resumes a partial file from its stored prefix. Throws AppErrors.
 */
export async function downloadFile(url: string, file: BundleFile, ctx: FileDownloadContext): Promise<number> {
  let fetched = 0;
  for (let attempt = 1; ; attempt++) {
    const record = await startingRecord(file);
    if (record.complete) return fetched;
    const startedAt = record.stored;
    const pass = await fetchRest(url, file, record, ctx);
    fetched += pass.stored - startedAt;
    const digest = pass.wrongSize === undefined ? pass.hash.hex() : undefined;
    const ok = digest === file.sha256 && pass.stored === file.bytes;
    ctx.onVerify(file, ok, attempt);
    if (ok) {
      await putFileRecord({ sha256: file.sha256, bytes: file.bytes, stored: file.bytes, complete: true, updatedAt: Date.now() }, file.path);
      return fetched;
    }
    // Never keep what failed its check: the next attempt starts from the first byte.
    await deleteContents([file.sha256]);
    ctx.onBytes(file, 0);
    if (attempt >= ctx.integrityAttempts) {
      const what =
        pass.wrongSize !== undefined
          ? `the host serves ${pass.wrongSize} bytes, the manifest says ${file.bytes}`
          : `its sha256 is ${digest}, the manifest says ${file.sha256}`;
      throw new AppError(
        'IntegrityMismatch',
        `${file.path} failed its integrity check ${attempt} times (${what}); it was discarded. The host serves a different file than the bundle's manifest lists.`,
      );
    }
  }
}

/** Fetches a file from its stored prefix to its end, retrying broken connections; stores as it goes. */
async function fetchRest(url: string, file: BundleFile, record: FileRecord, ctx: FileDownloadContext): Promise<Pass> {
  const pass: Pass = { hash: record.stored > 0 ? Sha256.resume(record.hash!) : new Sha256(), stored: record.stored };
  let failures = 0;
  /** `askedMs`: the pause the host asked for (Retry-After), waited instead of a shorter backoff. */
  const retry = async (error: unknown, askedMs?: number) => {
    if (ctx.signal.aborted) throw abortError();
    if (error instanceof AppError) throw error;
    if (++failures > ctx.networkRetries) {
      if (error instanceof HostBusy)
        throw hostBusyError(
          url,
          error,
          failures,
          `${file.path} was fetched`,
          `${formatBytes(pass.stored)} of ${formatBytes(file.bytes)} are stored. Try again later: the next download resumes there.`,
        );
      const broke = unreachable(url, error);
      if (broke.name === 'DownloadFailed' && pass.stored > 0) {
        throw new AppError(
          'DownloadFailed',
          `The connection to ${new URL(url).host} broke ${failures} times while fetching ${file.path}; ${formatBytes(pass.stored)} of ${formatBytes(file.bytes)} are stored and the next download resumes there.`,
        );
      }
      throw broke;
    }
    const ms = Math.max(backoffMs(failures, ctx.retryBaseMs), askedMs ?? 0);
    ctx.onWait?.(file, ms, waitCause(error, askedMs));
    await sleep(ms, ctx.signal);
  };

  // An empty file needs no request: its (empty) hash is checked as it is.
  while (pass.stored < file.bytes) {
    if (ctx.signal.aborted) throw abortError();
    let response: Response;
    const since = performance.now();
    try {
      // no-store: multi-GB files must not be copied into the HTTP cache beside the store.
      response = await ctx.fetch(url, { headers: rangeHeader(pass.stored), signal: ctx.signal, cache: 'no-store' });
    } catch (error) {
      if (ctx.signal.aborted) throw abortError();
      const refused = await policyRefusal(url, since);
      if (refused) throw refused; // retrying cannot help
      await retry(error);
      continue;
    }
    const declared = declaredLength(response.headers.get('Content-Length'), response.headers.get('Content-Encoding'));
    const plan = planResponse(response.status, response.headers.get('Content-Range'), pass.stored, file.bytes, declared);
    if (plan.kind !== 'read') void response.body?.cancel().catch(() => {});
    switch (plan.kind) {
      case 'not-found':
        throw new AppError(
          'NotFound',
          `${url} is not on the host (${response.status}); the bundle's manifest lists a file the host does not have.`,
        );
      case 'fail':
        throw new AppError('DownloadFailed', `Could not download ${file.path}: ${plan.reason}.`);
      case 'size-mismatch':
        return { ...pass, wrongSize: plan.size };
      case 'retry':
        await retry(new HostBusy(response.status, plan.reason), retryAfterMs(response.headers.get('Retry-After')));
        continue;
      case 'restart':
        await deleteContents([file.sha256]);
        pass.hash = new Sha256();
        pass.stored = 0;
        ctx.onBytes(file, 0);
        await retry(new Error(plan.reason));
        continue;
    }
    const before = pass.stored;
    let broken: unknown;
    try {
      await readBody(response, plan.skip, file, pass, ctx);
    } catch (error) {
      broken = error;
    }
    if (pass.wrongSize !== undefined) return pass;
    if (pass.stored > before) failures = 0;
    if (pass.stored >= file.bytes) break;
    // The body broke off or ended early: what arrived is stored; ask for the rest.
    await retry(broken ?? new Error(`the connection closed after byte ${pass.stored} of ${file.bytes}`));
  }
  return pass;
}

/**
 * Streams a response body into chunk records. Bytes are hashed when a chunk is cut, so the hash
 * state saved with each chunk is exactly that of the stored prefix. One chunk write is in flight
 * while the next chunk arrives (backpressure: no more than that is held). When the body breaks or
 * the download is cancelled, what arrived is still stored, as a shorter chunk.
 */
async function readBody(response: Response, skip: number, file: BundleFile, pass: Pass, ctx: FileDownloadContext): Promise<void> {
  if (!response.body) throw new Error('the response has no body');
  const reader = response.body.getReader();
  const chunks = new ChunkAccumulator(ctx.chunkBytes);
  let cutAt = pass.stored;
  let received = pass.stored;
  let writing: Promise<void> = Promise.resolve();

  const cut = async (parts: Uint8Array[]) => {
    const offset = cutAt;
    let size = 0;
    for (const part of parts) {
      pass.hash.update(part);
      size += part.length;
    }
    cutAt += size;
    const record: FileRecord = {
      sha256: file.sha256,
      bytes: file.bytes,
      stored: cutAt,
      complete: false,
      hash: pass.hash.state(),
      updatedAt: Date.now(),
    };
    const blob = new Blob(parts as BlobPart[]);
    await writing; // a failed write (QuotaExceeded) surfaces here
    writing = putChunk(offset, blob, record, file.path).then(() => {
      pass.stored = record.stored;
    });
    writing.catch(() => {}); // handled: awaited before the next write and at the end
  };

  let failure: unknown;
  try {
    for (;;) {
      if (ctx.signal.aborted) throw abortError();
      const { done, value } = await readWithin(reader, ctx.stallMs);
      if (done) break;
      let piece = value;
      if (skip > 0) {
        // A host that ignored Range sends the stored prefix again: drop it.
        const drop = Math.min(skip, piece.length);
        skip -= drop;
        piece = piece.subarray(drop);
      }
      if (received + piece.length > file.bytes) {
        pass.wrongSize = received + piece.length;
        piece = piece.subarray(0, file.bytes - received);
      }
      received += piece.length;
      chunks.push(piece);
      ctx.onBytes(file, received);
      for (let parts = chunks.takeFull(); parts; parts = chunks.takeFull()) await cut(parts);
      if (pass.wrongSize !== undefined) break;
    }
  } catch (error) {
    failure = ctx.signal.aborted ? abortError() : error;
    void reader.cancel().catch(() => {});
  }
  // Runs after a break or a cancel too: bytes that arrived are kept. A failed write wins over the
  // network error, so that QuotaExceeded is never hidden behind a retry.
  const rest = chunks.takeRest();
  if (rest) await cut(rest);
  await writing;
  if (failure !== undefined) throw failure;
}

/**
 * The next piece of a body, or an error when none comes within `ms`: a host that keeps the connection
 * open without sending (or promised more bytes than it sends) would otherwise hold the download forever.
 * The caller drops the connection; the retry asks for the rest with Range.
 */
export async function readWithin(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  ms: number,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the host sent nothing for ${Math.round(ms / 1000)} s`)), ms);
  });
  try {
    return await Promise.race([reader.read(), stalled]);
  } finally {
    clearTimeout(timer);
  }
}
