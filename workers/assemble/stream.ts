// Reading a source file over HTTP: its header by Range requests (kept, so those bytes are not asked
// for again), then the rest in ONE sequential request from where the header (or a stopped run) ended.
// A broken connection is resumed with Range at the byte it broke; every byte of the file is read once.
// A host that asks to wait (Retry-After) is waited for; a body that stops sending is dropped and resumed.
import { AppError } from '../../src/shared/errors';
import { policyRefusal } from '../../src/shared/csp';
import type { WaitCause } from '../../src/shared/events';
import { abortError, HostBusy, hostBusyError, readWithin, sleep, unreachable, waitCause } from '../store/downloader';
import { backoffMs, parseContentRange, retryAfterMs } from '../store/http';
import type { ByteSource } from './gguf';

export interface StreamOptions {
  fetch: typeof fetch;
  /** Failed requests in a row, without new bytes, before a read fails. */
  networkRetries: number;
  retryBaseMs: number;
  signal?: AbortSignal;
  /** A body that sends nothing for this long is dropped and asked for again from where it stopped. */
  stallMs?: number;
  /** Before a pause of `ms` and another try at the file `label`. */
  onWait?: (label: string, ms: number, cause: WaitCause) => void;
}

const STALL_MS = 30_000;

/** Bytes served by the host, for the result's `downloadedBytes`. */
export type Counter = { bytes: number };

/** Refuses a host whose file has another size than the description says. */
function checkTotal(total: number | undefined, expected: number, label: string): void {
  if (total === undefined || total === expected) return;
  throw new AppError(
    'BundleInvalid',
    total < expected
      ? `${label}: the host's file has ${total} bytes, the source description says ${expected}: the file is truncated.`
      : `${label}: the host's file has ${total} bytes, the source description says ${expected}: a different file.`,
  );
}

const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

/** An answer worth another try: why, and how long the host asked to wait (Retry-After), if it said. */
type Retry = { error: unknown; waitMs?: number };

/** The pause before try `failures` + 1: the backoff, or longer where the host asked; a cancel ends it. */
function pause(failures: number, retry: Retry, label: string, opts: StreamOptions): Promise<void> {
  const ms = Math.max(backoffMs(failures, opts.retryBaseMs), retry.waitMs ?? 0);
  opts.onWait?.(label, ms, waitCause(retry.error, retry.waitMs));
  return sleep(ms, opts.signal ?? new AbortController().signal);
}

/** A request for `url` from `offset` on (to `end`, or to its end), checked; the response to read, or an error to retry. */
async function request(
  url: string,
  offset: number,
  end: number | undefined,
  size: number,
  label: string,
  opts: StreamOptions,
): Promise<{ response: Response } | Retry> {
  let response: Response;
  const since = performance.now();
  try {
    response = await opts.fetch(url, {
      headers: { Range: `bytes=${offset}-${end ?? ''}` },
      cache: 'no-store',
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (error) {
    if (opts.signal?.aborted) throw abortError();
    const refused = await policyRefusal(url, since);
    if (refused) throw refused; // retrying cannot help
    return { error };
  }
  if (response.status === 206) {
    const range = parseContentRange(response.headers.get('Content-Range'));
    checkTotal(range?.total, size, label);
    if (range && range.start !== offset) {
      void response.body?.cancel().catch(() => {});
      throw new AppError('DownloadFailed', `${label}: the host sent bytes from ${range.start} when asked for ${offset}.`);
    }
    return { response };
  }
  void response.body?.cancel().catch(() => {});
  if (response.status === 416) {
    checkTotal(parseContentRange(response.headers.get('Content-Range'))?.total, size, label);
    throw new AppError('BundleInvalid', `${label}: the host refused bytes from ${offset} (416): the file is shorter than described.`);
  }
  if (response.status === 404 || response.status === 410) throw new AppError('NotFound', `${url} is not on the host (${response.status}).`);
  if (response.ok) {
    throw new AppError(
      'DownloadFailed',
      `${label}: the host ignored the Range request (HTTP ${response.status}); the assembler reads weight files in parts and needs a host that serves byte ranges (${new URL(url).host}).`,
    );
  }
  if (!retryable(response.status))
    throw new AppError('DownloadFailed', `${label}: the host answered ${response.status} for bytes from ${offset}.`);
  const waitMs = retryAfterMs(response.headers.get('Retry-After'));
  return { error: new HostBusy(response.status, `the host answered ${response.status}`), ...(waitMs !== undefined ? { waitMs } : {}) };
}

function giveUp(url: string, label: string, error: unknown, failures: number): AppError {
  if (error instanceof HostBusy)
    return hostBusyError(
      url,
      error,
      failures,
      `${label} was read`,
      'what is assembled so far is kept. Try again later: the next run resumes there.',
    );
  const broke = unreachable(url, error);
  return new AppError(broke.name, `${broke.message} (reading ${label}; what is assembled so far is kept).`);
}

/** A whole (small) body, or an error when it stops sending for `stallMs`. */
async function readAll(response: Response, stallMs: number): Promise<Uint8Array> {
  const reader = response.body?.getReader();
  if (!reader) return new Uint8Array(await response.arrayBuffer());
  const parts: Uint8Array[] = [];
  let length = 0;
  try {
    for (;;) {
      const { done, value } = await readWithin(reader, stallMs);
      if (done) break;
      parts.push(value);
      length += value.length;
    }
  } finally {
    void reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const part of parts) bytes.set(part, (at += part.length) - part.length);
  return bytes;
}

/** Range reads of a source file (its header), retried on broken connections. */
export function rangeSource(url: string, size: number, label: string, opts: StreamOptions, counter: Counter): ByteSource {
  return async (offset, length) => {
    if (length === 0) return new Uint8Array(0);
    for (let failures = 0; ;) {
      if (opts.signal?.aborted) throw abortError();
      const answer = await request(url, offset, offset + length - 1, size, label, opts);
      let retry: Retry;
      if ('response' in answer) {
        try {
          const bytes = await readAll(answer.response, opts.stallMs ?? STALL_MS);
          counter.bytes += bytes.length;
          return bytes;
        } catch (e) {
          if (opts.signal?.aborted) throw abortError();
          retry = { error: e };
        }
      } else retry = answer;
      if (++failures > opts.networkRetries) throw giveUp(url, label, retry.error, failures);
      await pause(failures, retry, label, opts);
    }
  };
}

/**
 * Keeps the bytes a header reader asks for from offset 0 on (GGUF and safetensors readers read their
 * header front to back), so the stream that follows starts after them instead of reading them again.
 */
export function keepPrefix(read: ByteSource): { read: ByteSource; prefix(): Uint8Array } {
  let kept = new Uint8Array(0);
  return {
    prefix: () => kept,
    read: async (offset, length) => {
      const end = offset + length;
      if (offset > kept.length) return read(offset, length);
      if (end > kept.length) {
        const more = await read(kept.length, end - kept.length);
        const next = new Uint8Array(kept.length + more.length);
        next.set(kept);
        next.set(more, kept.length);
        kept = next;
      }
      return kept.subarray(offset, Math.min(end, kept.length));
    },
  };
}

/**
 * The file's bytes [from, size), in order, from one request (`Range: bytes=<from>-`); a broken
 * connection goes on from the byte it broke at. Refuses a file that ends early or is longer.
 */
export async function* streamSource(
  url: string,
  from: number,
  size: number,
  label: string,
  opts: StreamOptions,
  counter: Counter,
): AsyncGenerator<Uint8Array> {
  let pos = from;
  for (let failures = 0; pos < size;) {
    if (opts.signal?.aborted) throw abortError();
    const answer = await request(url, pos, undefined, size, label, opts);
    let retry: Retry = 'response' in answer ? { error: new Error('no response body') } : answer;
    const reader = 'response' in answer ? answer.response.body?.getReader() : undefined;
    if (reader) {
      try {
        for (;;) {
          const { done, value } = await readWithin(reader, opts.stallMs ?? STALL_MS);
          if (done) break;
          if (pos + value.length > size)
            throw new AppError('BundleInvalid', `${label}: the host sends more than the described ${size} bytes.`);
          pos += value.length;
          counter.bytes += value.length;
          failures = 0; // bytes came: the retries count again from here
          yield value;
        }
        if (pos < size) retry = { error: new Error(`the connection ended at byte ${pos} of ${size}`) };
      } catch (e) {
        if (opts.signal?.aborted) throw abortError();
        if (e instanceof AppError) throw e;
        retry = { error: e };
      } finally {
        void reader.cancel().catch(() => {});
      }
    }
    if (pos >= size) return;
    if (++failures > opts.networkRetries) throw giveUp(url, label, retry.error, failures);
    await pause(failures, retry, label, opts);
  }
}

/**
 * Reads `source` ahead of its consumer, up to `maxBytes` held, so the network keeps going while a
 * tensor is converted and stored. Errors reach the consumer in order; stopping the consumer stops the reading.
 */
export async function* readAhead(source: AsyncGenerator<Uint8Array>, maxBytes: number): AsyncGenerator<Uint8Array> {
  const queue: Uint8Array[] = [];
  let held = 0;
  let ended = false;
  let failure: { error: unknown } | undefined;
  let stopped = false;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  const wake = (w: (() => void) | undefined) => w?.();
  const producing = (async () => {
    try {
      for await (const piece of source) {
        queue.push(piece);
        held += piece.length;
        wake(wakeConsumer);
        while (held >= maxBytes && !stopped) await new Promise<void>((r) => (wakeProducer = r));
        if (stopped) break;
      }
    } catch (error) {
      failure = { error };
    } finally {
      ended = true;
      wake(wakeConsumer);
    }
  })();
  try {
    for (;;) {
      const piece = queue.shift();
      if (piece) {
        held -= piece.length;
        wake(wakeProducer);
        yield piece;
      } else if (failure) throw failure.error;
      else if (ended) return;
      else await new Promise<void>((r) => (wakeConsumer = r));
    }
  } finally {
    // Not awaited: a stalled network read must not hold the consumer's error back; the reading ends at its next piece.
    stopped = true;
    wake(wakeProducer);
    void producing;
  }
}
