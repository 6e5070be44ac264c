import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bufferSource, readGguf, readTensorBytes, readTensorRows } from '../../workers/assemble/gguf';
import {
  bf16ToF32,
  convertRows,
  f16ToF32,
  f32ToF16,
  floatToHalf,
  halfToFloat,
  q4_0ToMatMulNBits,
  q8_0ToCodes,
  q8_0ToMatMulNBits,
  type MatMulNBitsWeights,
  type ScaleType,
} from '../../workers/assemble/repack';

const dir = new URL('../fixtures/gguf/', import.meta.url);
const load = (name: string) => new Uint8Array(readFileSync(new URL(name, dir)));
const asF32 = (bytes: Uint8Array) => new Float32Array(bytes.slice().buffer);
const sameBits = (a: Float32Array, b: Float32Array) =>
  a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/**
 * MatMulNBits dequantisation as onnxruntime defines it (ContribOperators.md): B (N, K/32, 32·bits/8),
 * element e of block k of row n = (q − zp)·scale[n, k], 4-bit: byte i holds 2i (low) and 2i+1 (high);
 * zp = 2^(bits−1). Computed in fp32 (Math.fround at every step).
 */
function matMulNBitsDequantize(w: MatMulNBitsWeights, n: number, k: number, bits: 4 | 8, scaleType: ScaleType): Float32Array {
  const blocks = k / 32;
  const scales = scaleType === 'float32' ? asF32(w.scales) : f16ToF32(w.scales);
  const zp = bits === 4 ? 8 : 128;
  const blob = bits === 4 ? 16 : 32;
  const out = new Float32Array(n * k);
  for (let r = 0; r < n; r++) {
    for (let b = 0; b < blocks; b++) {
      const s = scales[r * blocks + b]!;
      const base = (r * blocks + b) * blob;
      for (let e = 0; e < 32; e++) {
        const q = bits === 4 ? (w.b[base + (e >> 1)]! >> ((e & 1) * 4)) & 0x0f : w.b[base + e]!;
        out[r * k + b * 32 + e] = Math.fround((q - zp) * s);
      }
    }
  }
  return out;
}

async function fixtureTensor(name: string) {
  const bytes = load('tiny.gguf');
  const src = bufferSource(bytes);
  const f = await readGguf(src);
  const t = f.byName.get(name)!;
  const index = JSON.parse(new TextDecoder().decode(load('index.json'))) as { files: { tensors: { name: string; reference: string }[] }[] };
  const ref = asF32(load(index.files[0]!.tensors.find((x) => x.name === name)!.reference));
  return { src, t, blocks: await readTensorBytes(src, t), ref, n: t.shape[0]!, k: t.shape[1]! };
}

describe('Q4_0 → MatMulNBits (bits 4, block 32)', () => {
  it('dequantises bit for bit like gguf-py with fp32 scales, and with fp16 scales', async () => {
    const { blocks, ref, n, k } = await fixtureTensor('double_blocks.0.img_attn.qkv.weight');
    expect([n, k]).toEqual([48, 96]);
    for (const st of ['float32', 'float16'] as const) {
      const w = q4_0ToMatMulNBits(blocks, n, k, st);
      expect(w.b.length).toBe((n * k) / 2);
      expect(w.scales.length).toBe(((n * k) / 32) * (st === 'float32' ? 4 : 2));
      expect(sameBits(matMulNBitsDequantize(w, n, k, 4, st), ref)).toBe(true);
    }
    // fp16 scales are the GGUF d bytes, copied
    const w16 = q4_0ToMatMulNBits(blocks, n, k, 'float16');
    for (let i = 0; i < (n * k) / 32; i++) {
      expect([w16.scales[2 * i], w16.scales[2 * i + 1]]).toEqual([blocks[18 * i], blocks[18 * i + 1]]);
    }
  });

  it('the nibble-order trap: a naive byte copy does not match', async () => {
    const { blocks, ref, n, k } = await fixtureTensor('double_blocks.0.img_attn.qkv.weight');
    const good = q4_0ToMatMulNBits(blocks, n, k, 'float32');
    const naive: MatMulNBitsWeights = { b: new Uint8Array((n * k) / 2), scales: good.scales };
    for (let i = 0; i < (n * k) / 32; i++) naive.b.set(blocks.subarray(18 * i + 2, 18 * i + 18), 16 * i);
    const wrong = matMulNBitsDequantize(naive, n, k, 4, 'float32');
    expect(sameBits(wrong, ref)).toBe(false);
    let maxErr = 0;
    for (let i = 0; i < ref.length; i++) maxErr = Math.max(maxErr, Math.abs(wrong[i]! - ref[i]!));
    expect(maxErr).toBeGreaterThan(0.1);
  });

  it('a hand-made block: element j and j+16 share a GGUF byte, 2i and 2i+1 a MatMulNBits byte', () => {
    const block = new Uint8Array(18);
    block.set([0x00, 0x3c], 0); // d = 1.0
    const q = Array.from({ length: 32 }, (_, e) => e % 16); // element e has code e % 16
    for (let j = 0; j < 16; j++) block[2 + j] = q[j]! | (q[j + 16]! << 4);
    const w = q4_0ToMatMulNBits(block, 1, 32, 'float32');
    for (let i = 0; i < 16; i++) expect(w.b[i]).toBe(q[2 * i]! | (q[2 * i + 1]! << 4));
    expect(Array.from(asF32(w.scales))).toEqual([1]);
  });

  it('row chunks give the same bytes as the whole tensor', async () => {
    const { src, t, blocks, n, k } = await fixtureTensor('double_blocks.0.img_attn.qkv.weight');
    const whole = q4_0ToMatMulNBits(blocks, n, k, 'float32');
    const b: number[] = [];
    const s: number[] = [];
    for (let r = 0; r < n; r += 7) {
      const rows = Math.min(7, n - r);
      const part = q4_0ToMatMulNBits(await readTensorRows(src, t, r, rows), rows, k, 'float32');
      b.push(...part.b);
      s.push(...part.scales);
    }
    expect(Uint8Array.from(b)).toEqual(whole.b);
    expect(Uint8Array.from(s)).toEqual(whole.scales);
  });

  it('refuses K not a multiple of 32 and a wrong byte count, naming the tensor', () => {
    expect(() => q4_0ToMatMulNBits(new Uint8Array(18), 1, 48, 'float16', 'txt_in.weight')).toThrow(
      /tensor txt_in\.weight: K = 48 is not a multiple of 32/,
    );
    expect(() => q4_0ToMatMulNBits(new Uint8Array(17), 1, 32, 'float16', 'x')).toThrow(
      /tensor x: Q4_0 data for \[1, 32\] must be 18 bytes, got 17/,
    );
  });
});

describe('Q8_0 → MatMulNBits (bits 8, zero point 128)', () => {
  it('dequantises bit for bit like gguf-py', async () => {
    const { blocks, ref, n, k } = await fixtureTensor('txt_in.q8.weight');
    for (const st of ['float32', 'float16'] as const) {
      const w = q8_0ToMatMulNBits(blocks, n, k, st);
      expect(w.b.length).toBe(n * k);
      expect(sameBits(matMulNBitsDequantize(w, n, k, 8, st), ref)).toBe(true);
    }
    const w = q8_0ToMatMulNBits(blocks, n, k, 'float16');
    expect(w.b[0]).toBe(blocks[2]! ^ 0x80);
    // a plain copy without the XOR is wrong
    const noXor = { ...w, b: w.b.map((x) => x ^ 0x80) };
    expect(sameBits(matMulNBitsDequantize(noXor, n, k, 8, 'float16'), ref)).toBe(false);
  });

  it('refuses K not a multiple of 32', () => {
    expect(() => q8_0ToMatMulNBits(new Uint8Array(34), 2, 16, 'float32', 'enc.blk.0.attn_q.weight')).toThrow(
      /enc\.blk\.0\.attn_q\.weight: K = 16/,
    );
  });
});

describe('Q8_0 table → int8 codes + scales (a Gather table kept as the file holds it)', () => {
  it('codes as stored, d as the scales: code·d in fp32 is gguf-py dequantisation bit for bit', async () => {
    const { blocks, ref, n, k } = await fixtureTensor('txt_in.q8.weight');
    for (const st of ['float32', 'float16'] as const) {
      const { codes, scales } = q8_0ToCodes(blocks, n, k, st);
      expect([codes.length, scales.length]).toEqual([n * k, (n * k * (st === 'float32' ? 4 : 2)) / 32]);
      const s = st === 'float32' ? asF32(scales) : f16ToF32(scales);
      const q = new Int8Array(codes.buffer, codes.byteOffset, codes.length);
      const out = new Float32Array(n * k);
      for (let i = 0; i < n * k; i++) out[i] = Math.fround(q[i]! * s[Math.floor(i / 32)]!);
      expect(sameBits(out, ref)).toBe(true);
    }
    const { codes } = q8_0ToCodes(blocks, n, k, 'float16');
    expect(Array.from(codes.subarray(0, 32))).toEqual(Array.from(blocks.subarray(2, 34)));
    const rows = q8_0ToCodes(blocks.subarray(0, (k / 32) * 34 * 3), 3, k, 'float32');
    expect(rows.codes).toEqual(codes.subarray(0, 3 * k));
  });

  it('only from Q8_0: a float table would need quantising, which is not done', () => {
    const c = convertRows(8, 'Q8_0', new Uint8Array(34), 1, 32, { kind: 'q8', scaleType: 'float32' }, 'token_embd.weight');
    expect(c.kind).toBe('q8');
    expect(() => convertRows(1, 'F16', new Uint8Array(64), 1, 32, { kind: 'q8', scaleType: 'float32' }, 'token_embd.weight')).toThrow(
      /tensor token_embd\.weight is F16 but the graph expects a Q8_0 table \(int8 codes \+ scales\): this would need quantising/,
    );
    expect(() => convertRows(2, 'Q4_0', new Uint8Array(18), 1, 32, { kind: 'q8', scaleType: 'float32' }, 'token_embd.weight')).toThrow(
      /is Q4_0 but the graph expects a Q8_0 table/,
    );
  });
});

describe('convertRows dispatch', () => {
  it('maps Q4_0 → 4-bit and Q8_0 → 8-bit, refuses what would need re-quantisation', async () => {
    const { blocks, n, k } = await fixtureTensor('double_blocks.0.img_attn.qkv.weight');
    const a = convertRows(2, 'Q4_0', blocks, n, k, { kind: 'matmulnbits', bits: 4, scaleType: 'float32' }, 'w');
    expect(a.kind).toBe('matmulnbits');
    expect(() => convertRows(2, 'Q4_0', blocks, n, k, { kind: 'matmulnbits', bits: 8, scaleType: 'float32' }, 'w')).toThrow(
      /is Q4_0 but the graph expects a 8-bit/,
    );
    expect(() => convertRows(0, 'F32', new Uint8Array(128), 1, 32, { kind: 'matmulnbits', bits: 4, scaleType: 'float32' }, 'w')).toThrow(
      /re-quantisation/,
    );
    expect(() => convertRows(12, 'Q4_K', new Uint8Array(144), 1, 256, { kind: 'float32' }, 'blk.w')).toThrow(
      /tensor blk\.w is Q4_K: only Q4_0, Q8_0/,
    );
  });

  it('F16 → float16 is a copy; F32 → float16 rounds', () => {
    const h = new Uint8Array([0x00, 0x3c, 0x01, 0x80]);
    const c = convertRows(1, 'F16', h, 1, 2, { kind: 'float16' }, 'x');
    expect(c.kind === 'float16' && Array.from(c.data)).toEqual([0x3c00, 0x8001]);
    const f = new Uint8Array(new Float32Array([1 + 2 ** -11, 65520]).buffer);
    const d = convertRows(0, 'F32', f, 1, 2, { kind: 'float16' }, 'x');
    expect(d.kind === 'float16' && Array.from(d.data)).toEqual([0x3c00, 0x7c00]);
  });
});

describe('float conversions', () => {
  it('f32 → f16 rounds to nearest even exactly like numpy', () => {
    const x = asF32(load('f32_to_f16.f32'));
    const want = new Uint16Array(load('f32_to_f16.f16').slice().buffer);
    const got = f32ToF16(x);
    const bad: string[] = [];
    for (let i = 0; i < x.length; i++) if (got[i] !== want[i]) bad.push(`${x[i]}: ${got[i]} != ${want[i]}`);
    expect(bad.slice(0, 5)).toEqual([]);
    expect(x.length).toBeGreaterThan(4000);
  });

  it('rounding edge cases', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [65504, 0x7bff], // max
      [65519.99, 0x7bff],
      [65520, 0x7c00], // tie at the top rounds to even = inf
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // tie → even (0)
      [1.5 * 2 ** -25, 0x0001],
      [3 * 2 ** -25, 0x0002], // tie between 1 and 2 → 2
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -14 - 2 ** -24, 0x03ff], // largest subnormal
      [1 + 2 ** -11, 0x3c00], // tie → even
      [1 + 3 * 2 ** -11, 0x3c02], // tie → even (up)
      [1 + 2 ** -11 + 2 ** -20, 0x3c01], // above the tie
      [2047 * 2 ** -11 + 2 ** -12, 0x3c00], // (1 - 2^-12) rounds up across the exponent
    ];
    for (const [x, h] of cases) expect(floatToHalf(x), String(x)).toBe(h);
    expect(floatToHalf(NaN) & 0x7e00).toBe(0x7e00);
    expect(Number.isNaN(halfToFloat(0x7e00))).toBe(true);
  });

  it('f16 → f32 and bf16 → f32 are exact on every pattern', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const bytes = new Uint8Array(all.buffer);
    const f = f16ToF32(bytes);
    for (let h = 0; h < 65536; h++) {
      const exp = (h >> 10) & 0x1f;
      if (exp === 31 && (h & 0x3ff) !== 0) {
        expect(Number.isNaN(f[h]!)).toBe(true);
        continue;
      }
      expect(floatToHalf(f[h]!)).toBe(h); // round trip
    }
    const b = bf16ToF32(bytes);
    const bits = new Uint32Array(b.buffer);
    for (let h = 0; h < 65536; h++) expect(bits[h]).toBe((h << 16) >>> 0);
  });
});
