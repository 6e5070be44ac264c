/**
 * Lossless repacking of GGUF blocks into onnxruntime's `com.microsoft.MatMulNBits` layout, and
 * float conversions. Everything works on whole rows (a row = K elements = K/32 blocks), so a caller
 * can stream a tensor through in chunks of rows and concatenate the outputs.
 *
 * MatMulNBits (ContribOperators.md): B is (N, K/block, block·bits/8) uint8, scales (N, K/block) of
 * the activation type, value = (q − zp)·scale with the default zero point 2^(bits−1).
 * - 4-bit: byte i of a block holds element 2i (low nibble) and 2i+1 (high nibble).
 *   GGUF Q4_0 (18 B: fp16 d, qs[16]): byte j holds element j (low) and j+16 (high), value d·(q−8).
 *   So the nibbles are reordered; the scale is d, bit for bit (fp16) or widened exactly (fp32).
 * - 8-bit: GGUF Q8_0 (34 B: fp16 d, int8 qs[32]), value d·q → u8 = q XOR 0x80 (= q + 128), zp 128.
 *
 * A Q8_0 Gather table (T5's token_embd) is kept as the file holds it: the int8 codes as stored and the
 * `d` scales (fp16, or widened exactly to fp32); the graph dequantises the gathered rows (code·d, exact
 * in fp32), bit for bit what dequantizeQ8_0 gives.
 *
 * Typed-array views assume a little-endian platform (every browser engine); checked at load.
 */
import { AppError } from '../../src/shared/errors';

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new AppError('Internal', 'repack: a big-endian platform is not supported');
}

export type ScaleType = 'float16' | 'float32';

export interface MatMulNBitsWeights {
  /** (N, K/32, 16) for bits 4, (N, K/32, 32) for bits 8. */
  b: Uint8Array;
  /** N·K/32 scales, fp16 or fp32, little-endian bytes. */
  scales: Uint8Array;
}

export const QK = 32;
const Q4_0_BYTES = 18;
const Q8_0_BYTES = 34;

function checkShape(kind: string, blocks: Uint8Array, rows: number, cols: number, blockBytes: number, name: string): number {
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols <= 0) {
    throw new AppError('BundleInvalid', `tensor ${name}: bad shape [${rows}, ${cols}]`);
  }
  if (cols % QK !== 0) {
    throw new AppError(
      'BundleInvalid',
      `tensor ${name}: K = ${cols} is not a multiple of ${QK}; ${kind} → MatMulNBits needs whole blocks of 32`,
    );
  }
  const nBlocks = (rows * cols) / QK;
  if (blocks.length !== nBlocks * blockBytes) {
    throw new AppError(
      'BundleInvalid',
      `tensor ${name}: ${kind} data for [${rows}, ${cols}] must be ${nBlocks * blockBytes} bytes, got ${blocks.length}`,
    );
  }
  return nBlocks;
}

// fp16 → fp32 bit patterns, built once (256 KiB); exact, including subnormals, inf and NaN payloads.
let halfTable: Uint32Array | undefined;
function halfToFloatBitsTable(): Uint32Array {
  if (halfTable) return halfTable;
  const t = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) t[h] = halfBitsToFloatBits(h);
  halfTable = t;
  return t;
}

/** fp16 bits → fp32 bits (exact). */
export function halfBitsToFloatBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0) {
    if (mant === 0) return sign >>> 0;
    // subnormal: normalise
    let e = 127 - 15 + 1;
    while ((mant & 0x400) === 0) {
      mant <<= 1;
      e--;
    }
    return (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
  }
  if (exp === 31) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
}

/** fp32 bits → fp16 bits, round to nearest even; overflow → ±inf; NaN stays NaN (quiet). */
export function floatBitsToHalfBits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal: ±0
    const m = mant | 0x800000;
    const shift = 14 - e;
    let half = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (half & 1) !== 0)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1) !== 0)) half++; // a carry may reach inf: correct
  return sign | half;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
export function halfToFloat(h: number): number {
  u32[0] = halfBitsToFloatBits(h);
  return f32[0]!;
}
export function floatToHalf(x: number): number {
  f32[0] = x;
  return floatBitsToHalfBits(u32[0]!);
}

/**
 * Scales stream: fp16 → the `d` bytes copied; fp32 → `d` widened exactly (table lookup). Written
 * through a Uint16Array / Uint32Array view (little-endian checked above).
 */
function makeScales(scaleType: ScaleType, nBlocks: number): { scales: Uint8Array; s16?: Uint16Array; s32?: Uint32Array } {
  if (scaleType === 'float16') {
    const scales = new Uint8Array(nBlocks * 2);
    return { scales, s16: new Uint16Array(scales.buffer) };
  }
  if (scaleType !== 'float32') throw new AppError('Internal', `unknown scale type ${String(scaleType)}`);
  const scales = new Uint8Array(nBlocks * 4);
  return { scales, s32: new Uint32Array(scales.buffer) };
}

/**
 * GGUF Q4_0 blocks of an [N, K] weight (N rows of K/32 blocks) → MatMulNBits bits=4, block 32,
 * no zero points. Lossless.
 */
export function q4_0ToMatMulNBits(
  blocks: Uint8Array,
  rows: number,
  cols: number,
  scaleType: ScaleType,
  name = '(unnamed)',
): MatMulNBitsWeights {
  const nBlocks = checkShape('Q4_0', blocks, rows, cols, Q4_0_BYTES, name);
  const b = new Uint8Array(nBlocks * 16);
  const { scales, s16, s32 } = makeScales(scaleType, nBlocks);
  const table = halfToFloatBitsTable();
  for (let k = 0, s = 0, o = 0; k < nBlocks; k++, s += Q4_0_BYTES, o += 16) {
    const d = blocks[s]! | (blocks[s + 1]! << 8);
    if (s16) s16[k] = d;
    else s32![k] = table[d]!;
    const q = s + 2;
    // out[i] (i < 8) = elements 2i, 2i+1 = low nibbles of in[2i], in[2i+1]
    // out[i] (i ≥ 8) = elements 2i, 2i+1 = high nibbles of in[2i−16], in[2i−15]
    for (let i = 0; i < 8; i++) {
      const x0 = blocks[q + 2 * i]!;
      const x1 = blocks[q + 2 * i + 1]!;
      b[o + i] = (x0 & 0x0f) | ((x1 & 0x0f) << 4);
      b[o + 8 + i] = (x0 >>> 4) | (x1 & 0xf0);
    }
  }
  return { b, scales };
}

/** GGUF Q8_0 blocks of an [N, K] weight → MatMulNBits bits=8, block 32, implicit zero point 128. Lossless. */
export function q8_0ToMatMulNBits(
  blocks: Uint8Array,
  rows: number,
  cols: number,
  scaleType: ScaleType,
  name = '(unnamed)',
): MatMulNBitsWeights {
  const nBlocks = checkShape('Q8_0', blocks, rows, cols, Q8_0_BYTES, name);
  const b = new Uint8Array(nBlocks * 32);
  const { scales, s16, s32 } = makeScales(scaleType, nBlocks);
  const table = halfToFloatBitsTable();
  for (let k = 0, s = 0, o = 0; k < nBlocks; k++, s += Q8_0_BYTES, o += 32) {
    const d = blocks[s]! | (blocks[s + 1]! << 8);
    if (s16) s16[k] = d;
    else s32![k] = table[d]!;
    for (let i = 0; i < 32; i++) b[o + i] = blocks[s + 2 + i]! ^ 0x80;
  }
  return { b, scales };
}

/** A Q8_0 table split as stored: int8 codes [rows, cols] and one scale per block [rows, cols/32]. */
export interface Q8Table {
  codes: Uint8Array;
  /** rows·cols/32 scales, fp16 or fp32, little-endian bytes. */
  scales: Uint8Array;
}

/** GGUF Q8_0 blocks of an [N, K] table → its int8 codes (copied as stored) and its `d` scales. Lossless. */
export function q8_0ToCodes(blocks: Uint8Array, rows: number, cols: number, scaleType: ScaleType, name = '(unnamed)'): Q8Table {
  const nBlocks = checkShape('Q8_0', blocks, rows, cols, Q8_0_BYTES, name);
  const codes = new Uint8Array(nBlocks * QK);
  const { scales, s16, s32 } = makeScales(scaleType, nBlocks);
  const table = halfToFloatBitsTable();
  for (let k = 0, s = 0, o = 0; k < nBlocks; k++, s += Q8_0_BYTES, o += QK) {
    const d = blocks[s]! | (blocks[s + 1]! << 8);
    if (s16) s16[k] = d;
    else s32![k] = table[d]!;
    codes.set(blocks.subarray(s + 2, s + Q8_0_BYTES), o);
  }
  return { codes, scales };
}

/** Little-endian fp16 bytes → Float32Array (exact). */
export function f16ToF32(src: Uint8Array): Float32Array {
  if (src.length % 2 !== 0) throw new AppError('BundleInvalid', `f16 data of odd length ${src.length}`);
  const n = src.length / 2;
  const out = new Float32Array(n);
  const bits = new Uint32Array(out.buffer);
  const table = halfToFloatBitsTable();
  for (let i = 0; i < n; i++) bits[i] = table[src[2 * i]! | (src[2 * i + 1]! << 8)]!;
  return out;
}

/** Little-endian bf16 bytes → Float32Array (exact: bf16 is the top half of fp32). */
export function bf16ToF32(src: Uint8Array): Float32Array {
  if (src.length % 2 !== 0) throw new AppError('BundleInvalid', `bf16 data of odd length ${src.length}`);
  const n = src.length / 2;
  const out = new Float32Array(n);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) bits[i] = ((src[2 * i]! << 16) | (src[2 * i + 1]! << 24)) >>> 0;
  return out;
}

/** Float32Array → fp16 bits (round to nearest even). Use `new Uint8Array(r.buffer)` for bytes. */
export function f32ToF16(src: Float32Array): Uint16Array {
  const out = new Uint16Array(src.length);
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) out[i] = floatBitsToHalfBits(bits[i]!);
  return out;
}

/** Little-endian f32 bytes (any alignment) → a Float32Array copy. */
export function bytesToF32(src: Uint8Array): Float32Array {
  if (src.length % 4 !== 0) throw new AppError('BundleInvalid', `f32 data of length ${src.length} (not a multiple of 4)`);
  return new Float32Array(src.slice().buffer);
}

/** Q4_0 blocks → float32, d·(q − 8) computed in fp32 exactly as ggml / gguf-py do. */
export function dequantizeQ4_0(blocks: Uint8Array, rows: number, cols: number, name = '(unnamed)'): Float32Array {
  const nBlocks = checkShape('Q4_0', blocks, rows, cols, Q4_0_BYTES, name);
  const out = new Float32Array(nBlocks * QK);
  const table = new Float32Array(halfToFloatBitsTable().buffer);
  for (let k = 0, s = 0, o = 0; k < nBlocks; k++, s += Q4_0_BYTES, o += QK) {
    const d = table[blocks[s]! | (blocks[s + 1]! << 8)]!;
    for (let j = 0; j < 16; j++) {
      const x = blocks[s + 2 + j]!;
      out[o + j] = d * ((x & 0x0f) - 8);
      out[o + j + 16] = d * ((x >>> 4) - 8);
    }
  }
  return out;
}

/** Q8_0 blocks → float32, d·q. */
export function dequantizeQ8_0(blocks: Uint8Array, rows: number, cols: number, name = '(unnamed)'): Float32Array {
  const nBlocks = checkShape('Q8_0', blocks, rows, cols, Q8_0_BYTES, name);
  const out = new Float32Array(nBlocks * QK);
  const table = new Float32Array(halfToFloatBitsTable().buffer);
  for (let k = 0, s = 0, o = 0; k < nBlocks; k++, s += Q8_0_BYTES, o += QK) {
    const d = table[blocks[s]! | (blocks[s + 1]! << 8)]!;
    for (let i = 0; i < QK; i++) out[o + i] = d * ((blocks[s + 2 + i]! << 24) >> 24);
  }
  return out;
}

/** What the graph wants for one initializer. */
export type Target =
  | { kind: 'matmulnbits'; bits: 4 | 8; scaleType: ScaleType }
  | { kind: 'q8'; scaleType: ScaleType }
  | { kind: 'float32' }
  | { kind: 'float16' };

export type Converted =
  | ({ kind: 'matmulnbits' } & MatMulNBitsWeights)
  | ({ kind: 'q8' } & Q8Table)
  | { kind: 'float32'; data: Float32Array }
  | { kind: 'float16'; data: Uint16Array };

const TYPE_NAMES: Record<number, string> = { 0: 'F32', 1: 'F16', 2: 'Q4_0', 8: 'Q8_0', 30: 'BF16' };

/**
 * Convert whole rows of a GGUF tensor (ggml `type` code; `rows` × `cols` with cols = ne[0]) into the
 * graph's layout. Lossless except f32 → f16 rounding (when the graph asks for fp16). Refuses, with
 * the type named, anything that would need a re-quantisation: K-quants, Q4_1/Q5_x, float → n-bit,
 * Q8_0 → 4-bit, Q4_0 → 8-bit, anything but Q8_0 → a Q8_0 table.
 */
export function convertRows(
  type: number,
  typeName: string,
  bytes: Uint8Array,
  rows: number,
  cols: number,
  target: Target,
  name: string,
): Converted {
  const known = TYPE_NAMES[type];
  if (known === undefined) {
    throw new AppError(
      'BundleInvalid',
      `tensor ${name} is ${typeName}: only Q4_0, Q8_0, F16, BF16 and F32 GGUF tensors can be repacked without loss; use a Q4_0 or Q8_0 file`,
    );
  }
  if (target.kind === 'matmulnbits') {
    if (type === 2 && target.bits === 4) return { kind: 'matmulnbits', ...q4_0ToMatMulNBits(bytes, rows, cols, target.scaleType, name) };
    if (type === 8 && target.bits === 8) return { kind: 'matmulnbits', ...q8_0ToMatMulNBits(bytes, rows, cols, target.scaleType, name) };
    throw new AppError(
      'BundleInvalid',
      `tensor ${name} is ${known} but the graph expects a ${target.bits}-bit MatMulNBits weight: this would need re-quantisation, which is not done`,
    );
  }
  if (target.kind === 'q8') {
    if (type === 8) return { kind: 'q8', ...q8_0ToCodes(bytes, rows, cols, target.scaleType, name) };
    throw new AppError(
      'BundleInvalid',
      `tensor ${name} is ${known} but the graph expects a Q8_0 table (int8 codes + scales): this would need quantising, which is not done; use a Q8_0 file`,
    );
  }
  const expectBytes = rows * cols * (type === 0 ? 4 : 2);
  if ((type === 0 || type === 1 || type === 30) && bytes.length !== expectBytes) {
    throw new AppError(
      'BundleInvalid',
      `tensor ${name}: ${known} data for [${rows}, ${cols}] must be ${expectBytes} bytes, got ${bytes.length}`,
    );
  }
  let f: Float32Array;
  if (type === 0) f = bytesToF32(bytes);
  else if (type === 1) {
    if (target.kind === 'float16') return { kind: 'float16', data: new Uint16Array(bytes.slice().buffer) };
    f = f16ToF32(bytes);
  } else if (type === 30) f = bf16ToF32(bytes);
  else if (type === 2) f = dequantizeQ4_0(bytes, rows, cols, name);
  else f = dequantizeQ8_0(bytes, rows, cols, name);
  return target.kind === 'float32' ? { kind: 'float32', data: f } : { kind: 'float16', data: f32ToF16(f) };
}
