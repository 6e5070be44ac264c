// A layout entry's output bytes from its source tensor's bytes (repack.ts does the per-type work):
// rows read in chunks, converted, yielded in order. Pure: no fetch, no IndexedDB (unit-tested in node).
import { AppError } from '../../src/shared/errors';
import type { RowRun } from './flux-names';
import { readExact, type ByteSource } from './gguf';
import { sliceRuns, type PlannedEntry, type SourceTensor } from './layout';
import { convertRows, f16ToF32, f32ToF16 } from './repack';

/** The other half of a MatMulNBits weight or Q8_0 table made while reading the source for one half (B or codes ↔ fp16 scales). */
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

/** Converts whole param rows of an entry; `other` is the pair's half (raw fp16 scales, or B / codes). */
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
  if (e.encoding === 'q8_codes' || e.encoding === 'q8_scales') {
    const c = convertRows(t.type, t.typeName, bytes, rows, e.cols, { kind: 'q8', scaleType: 'float16' }, t.name);
    if (c.kind !== 'q8') throw new AppError('Internal', `${e.name}: not split into Q8_0 codes and scales`);
    return e.encoding === 'q8_codes' ? { out: c.codes, other: c.scales } : { out: scalesAs(e, c.scales), other: c.codes };
  }
  const c = convertRows(t.type, t.typeName, bytes, rows, e.cols, { kind: e.encoding }, t.name);
  if (c.kind === 'matmulnbits' || c.kind === 'q8') throw new AppError('Internal', `${e.name}: unexpected ${c.kind}`);
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
export async function* entryBytes(
  e: PlannedEntry,
  source: ByteSource,
  skip: number,
  stash: PairStash,
  opts: { readBytes: number },
): AsyncGenerator<Uint8Array> {
  // The two halves of a MatMulNBits weight (B, scales) or of a Q8_0 table (codes, scales) come from one conversion.
  const myPart = e.encoding === 'matmulnbits_b' || e.encoding === 'q8_codes' ? 'b' : 'scales';
  const pair = e.encoding.startsWith('matmulnbits') || e.encoding.startsWith('q8_');
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
