// HTTP facts of a resumable download, as pure functions: what to ask for, and what an answer means.

/** The Range header that asks for a file from `offset` to its end; none from the start. */
export function rangeHeader(offset: number): Record<string, string> {
  return offset > 0 ? { Range: `bytes=${offset}-` } : {};
}

/** `Content-Range: bytes 100-199/1000` → { start: 100, end: 199, total: 1000 } (total undefined for `*`). */
export function parseContentRange(value: string | null): { start: number; end: number; total?: number } | undefined {
  const match = /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(value ?? '');
  if (!match) return undefined;
  const start = Number(match[1]);
  const end = Number(match[2]);
  if (end < start) return undefined;
  return match[3] === '*' ? { start, end } : { start, end, total: Number(match[3]) };
}

/** What to do with a response to a request for a file from `offset`. */
export type ResponsePlan =
  /** Read the body; its first `skip` bytes are already stored (a server that ignored Range sends them again). */
  | { kind: 'read'; skip: number }
  /** The stored prefix does not fit the host's file (416, or a range that starts elsewhere): start over. */
  | { kind: 'restart'; reason: string }
  /** The host's file has another size than the manifest says. */
  | { kind: 'size-mismatch'; size: number }
  | { kind: 'not-found' }
  /** Worth another try after a pause (5xx, 408, 429). */
  | { kind: 'retry'; reason: string }
  | { kind: 'fail'; reason: string };

/**
 * The body length a response declares, when it is the length of the bytes the body will deliver:
 * Content-Length counts the encoded bytes, so a compressed response (Content-Encoding other than
 * identity) declares nothing usable. Undefined when absent or unreadable.
 */
export function declaredLength(contentLength: string | null, contentEncoding: string | null): number | undefined {
  if (contentEncoding && contentEncoding.trim().toLowerCase() !== 'identity') return undefined;
  const text = contentLength?.trim() ?? '';
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

/**
 * `declared`: the body length the response declares (declaredLength), checked before the body is read,
 * so a host that serves a file of another size costs a request, not a download.
 */
export function planResponse(
  status: number,
  contentRange: string | null,
  offset: number,
  expectedBytes: number,
  declared?: number,
): ResponsePlan {
  if (status === 404 || status === 410) return { kind: 'not-found' };
  if (status === 416) return { kind: 'restart', reason: `the host refused the range from byte ${offset} (416)` };
  if (status === 408 || status === 429 || (status >= 500 && status <= 599)) return { kind: 'retry', reason: `the host answered ${status}` };
  if (status === 200) {
    if (declared !== undefined && declared !== expectedBytes) return { kind: 'size-mismatch', size: declared };
    return { kind: 'read', skip: offset };
  }
  if (status === 206) {
    const range = parseContentRange(contentRange);
    // Without a readable Content-Range (a host that does not expose it to CORS), trust the range asked for.
    if (!range) {
      if (offset === 0) return { kind: 'fail', reason: 'the host sent part of a file that was asked for whole' };
      // More bytes than the file has left: the host's file is longer than the manifest says.
      if (declared !== undefined && offset + declared > expectedBytes) return { kind: 'size-mismatch', size: offset + declared };
      return { kind: 'read', skip: 0 };
    }
    if (range.total !== undefined && range.total !== expectedBytes) return { kind: 'size-mismatch', size: range.total };
    if (range.start !== offset) return { kind: 'restart', reason: `the host sent bytes from ${range.start}, not ${offset}` };
    const length = range.end - range.start + 1;
    if (declared !== undefined && declared !== length)
      return { kind: 'fail', reason: `the host declared ${declared} bytes for a range of ${length}` };
    return { kind: 'read', skip: 0 };
  }
  return { kind: 'fail', reason: `the host answered ${status}` };
}

/** Pause before retry `attempt` (1, 2, …): doubling from `baseMs`, capped. */
export function backoffMs(attempt: number, baseMs: number, maxMs = 8000): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * How long a host asked to wait (Retry-After: seconds, or an HTTP date), capped; undefined when it did
 * not say (or a cross-origin host does not expose the header).
 */
export function retryAfterMs(value: string | null, now = Date.now(), capMs = 60_000): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text) - now;
  return Number.isFinite(ms) ? Math.min(capMs, Math.max(0, ms)) : undefined;
}
