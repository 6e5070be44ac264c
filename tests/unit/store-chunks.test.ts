import { describe, expect, it } from 'vitest';
import { ChunkAccumulator, chunksCover } from '../../workers/store/chunks';

const bytes = (n: number, from = 0) => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);
const join = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

describe('chunk planning', () => {
  it('cuts any stream of pieces into chunks of exactly the chunk size, then the rest', () => {
    const data = bytes(10_000);
    for (const pieceSize of [1, 7, 100, 999, 1000, 1001, 4096, 10_000]) {
      const acc = new ChunkAccumulator(1000);
      const chunks: Uint8Array[] = [];
      for (let o = 0; o < data.length; o += pieceSize) {
        acc.push(data.subarray(o, o + pieceSize));
        for (let parts = acc.takeFull(); parts; parts = acc.takeFull()) chunks.push(join(parts));
        expect(acc.pending).toBeLessThan(1000);
      }
      const rest = acc.takeRest();
      if (rest) chunks.push(join(rest));
      expect(chunks.every((c, i) => c.length === 1000 || i === chunks.length - 1)).toBe(true);
      expect(join(chunks)).toEqual(data);
    }
  });

  it('keeps views of the pieces rather than copies', () => {
    const piece = bytes(2500);
    const acc = new ChunkAccumulator(1000);
    acc.push(piece);
    const parts = acc.takeFull()!;
    expect(parts).toHaveLength(1);
    expect(parts[0]!.buffer).toBe(piece.buffer);
  });

  it('gives a short last chunk, and nothing when empty', () => {
    const acc = new ChunkAccumulator(1000);
    expect(acc.takeRest()).toBeUndefined();
    acc.push(new Uint8Array(0));
    expect(acc.takeFull()).toBeUndefined();
    acc.push(bytes(10));
    expect(acc.takeFull()).toBeUndefined();
    expect(join(acc.takeRest()!)).toEqual(bytes(10));
    expect(acc.pending).toBe(0);
  });

  it('refuses a chunk size that is not a positive integer', () => {
    expect(() => new ChunkAccumulator(0)).toThrow();
    expect(() => new ChunkAccumulator(1.5)).toThrow();
  });

  it('checks that stored chunks tile the stored prefix exactly', () => {
    expect(chunksCover([], 0)).toBe(true);
    expect(
      chunksCover(
        [
          { offset: 0, size: 10 },
          { offset: 10, size: 4 },
        ],
        14,
      ),
    ).toBe(true);
    expect(
      chunksCover(
        [
          { offset: 0, size: 10 },
          { offset: 10, size: 4 },
        ],
        20,
      ),
    ).toBe(false);
    expect(
      chunksCover(
        [
          { offset: 0, size: 10 },
          { offset: 12, size: 4 },
        ],
        16,
      ),
    ).toBe(false);
    expect(chunksCover([{ offset: 10, size: 4 }], 4)).toBe(false);
    expect(chunksCover([{ offset: 0, size: 0 }], 0)).toBe(false);
  });
});
