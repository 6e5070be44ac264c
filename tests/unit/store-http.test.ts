import { describe, expect, it } from 'vitest';
import { backoffMs, declaredLength, parseContentRange, planResponse, rangeHeader, retryAfterMs } from '../../workers/store/http';

describe('range requests', () => {
  it('asks for the rest of a file from the stored offset, and for the whole file from 0', () => {
    expect(rangeHeader(0)).toEqual({});
    expect(rangeHeader(1234)).toEqual({ Range: 'bytes=1234-' });
  });

  it('parses Content-Range', () => {
    expect(parseContentRange('bytes 100-199/1000')).toEqual({ start: 100, end: 199, total: 1000 });
    expect(parseContentRange('bytes 0-0/*')).toEqual({ start: 0, end: 0 });
    expect(parseContentRange('BYTES 5-9/10')).toEqual({ start: 5, end: 9, total: 10 });
    expect(parseContentRange('bytes */1000')).toBeUndefined();
    expect(parseContentRange('bytes 9-5/10')).toBeUndefined();
    expect(parseContentRange(null)).toBeUndefined();
    expect(parseContentRange('items 1-2/3')).toBeUndefined();
  });

  it('reads a 206 that starts where it was asked to', () => {
    expect(planResponse(206, 'bytes 500-999/1000', 500, 1000)).toEqual({ kind: 'read', skip: 0 });
  });

  it('skips the stored prefix when the host ignored Range and sent the whole file (200)', () => {
    expect(planResponse(200, null, 500, 1000)).toEqual({ kind: 'read', skip: 500 });
    expect(planResponse(200, null, 0, 1000)).toEqual({ kind: 'read', skip: 0 });
  });

  it('starts over when the range does not fit the host file', () => {
    expect(planResponse(416, 'bytes */400', 500, 1000).kind).toBe('restart');
    expect(planResponse(206, 'bytes 0-999/1000', 500, 1000).kind).toBe('restart');
  });

  it('reports a host file of another size than the manifest says', () => {
    expect(planResponse(206, 'bytes 500-1999/2000', 500, 1000)).toEqual({ kind: 'size-mismatch', size: 2000 });
  });

  it('trusts a 206 whose Content-Range the host did not expose to CORS', () => {
    expect(planResponse(206, null, 500, 1000)).toEqual({ kind: 'read', skip: 0 });
    expect(planResponse(206, null, 0, 1000).kind).toBe('fail');
  });

  it('reads the declared body length only where it counts the bytes the body delivers', () => {
    expect(declaredLength('1000', null)).toBe(1000);
    expect(declaredLength(' 42 ', 'identity')).toBe(42);
    expect(declaredLength('1000', 'gzip')).toBeUndefined(); // counts the compressed bytes
    expect(declaredLength(null, null)).toBeUndefined();
    expect(declaredLength('12abc', null)).toBeUndefined();
  });

  it('catches a file of another size from the declared length before the body is read', () => {
    expect(planResponse(200, null, 0, 1000, 1000)).toEqual({ kind: 'read', skip: 0 });
    expect(planResponse(200, null, 0, 1000, 1100)).toEqual({ kind: 'size-mismatch', size: 1100 });
    expect(planResponse(200, null, 500, 1000, 900)).toEqual({ kind: 'size-mismatch', size: 900 });
    // A 206 whose Content-Range is hidden: more than the file has left means a longer file; fewer is a short range.
    expect(planResponse(206, null, 500, 1000, 600)).toEqual({ kind: 'size-mismatch', size: 1100 });
    expect(planResponse(206, null, 500, 1000, 200)).toEqual({ kind: 'read', skip: 0 });
    expect(planResponse(206, 'bytes 500-999/1000', 500, 1000, 500)).toEqual({ kind: 'read', skip: 0 });
    expect(planResponse(206, 'bytes 500-999/1000', 500, 1000, 900).kind).toBe('fail');
    // Nothing declared (absent, or compressed): the body is read and its length checked as it arrives.
    expect(planResponse(200, null, 0, 1000)).toEqual({ kind: 'read', skip: 0 });
  });

  it('names 404, retries 5xx/408/429, fails other statuses', () => {
    expect(planResponse(404, null, 0, 10).kind).toBe('not-found');
    expect(planResponse(410, null, 0, 10).kind).toBe('not-found');
    for (const status of [500, 502, 503, 504, 408, 429]) expect(planResponse(status, null, 0, 10).kind).toBe('retry');
    for (const status of [401, 403, 400, 301]) expect(planResponse(status, null, 0, 10).kind).toBe('fail');
  });

  it('backs off by doubling, capped', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, 500))).toEqual([500, 1000, 2000, 4000, 8000, 8000]);
    expect(backoffMs(3, 10, 25)).toBe(25);
  });
});

describe('Retry-After', () => {
  it('reads seconds or an HTTP date, capped at a minute; nothing when absent or unreadable', () => {
    const now = Date.parse('2026-12-07T06:00:00Z');
    expect(retryAfterMs('3', now)).toBe(3000);
    expect(retryAfterMs('Mon, 07 Dec 2026 06:00:10 GMT', now)).toBe(10_000);
    expect(retryAfterMs('Mon, 07 Dec 2026 05:59:00 GMT', now)).toBe(0);
    expect(retryAfterMs('3600', now)).toBe(60_000);
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
  });
});
