/**
 * safetensors header reader over the same random-access ByteSource as gguf.ts.
 *
 * Layout (huggingface/safetensors README): u64 little-endian N, then N bytes of UTF-8 JSON
 * `{ "__metadata__": { str: str }, "<name>": { "dtype": "F16", "shape": [..], "data_offsets": [b, e] } }`,
 * then the data; offsets are relative to the start of the data (8 + N), row-major, little-endian.
 *
 * Every dtype is sized so the table can be checked whole; only F32, F16 and BF16 can be converted
 * (`convertible`), and the assembler refuses the others by name when a graph needs them (a file may
 * hold unused int tensors such as CLIP's `position_ids`).
 */
import { AppError } from '../../src/shared/errors';
import { readExact, type ByteSource } from './gguf';

/** Bytes per element of every safetensors dtype. */
const DTYPE_BYTES: Readonly<Record<string, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
};

/** The ggml type code with the same bytes (repack.ts converts these); -1 for the rest. */
const GGML_CODE: Readonly<Record<string, number>> = { F32: 0, F16: 1, BF16: 30 };

export interface SafetensorsTensor {
  name: string;
  dtype: string;
  /** PyTorch order. */
  shape: number[];
  /** ggml type code of the same bytes (F32 0, F16 1, BF16 30), -1 when not convertible. */
  type: number;
  typeName: string;
  convertible: boolean;
  /** Absolute byte offset in the file. */
  start: number;
  byteSize: number;
  elements: number;
}

export interface SafetensorsFile {
  metadata: Record<string, string>;
  tensors: SafetensorsTensor[];
  byName: Map<string, SafetensorsTensor>;
  /** Absolute offset of the data (8 + header length). */
  dataOffset: number;
  /** Bytes of the data section the header claims (the largest end offset). */
  dataBytes: number;
  size?: number;
}

export interface ReadSafetensorsOptions {
  /** Total file size, when known: enables the past-the-end check. */
  size?: number;
  /** Refuse headers larger than this (default 100 MB, the safetensors library's own limit). */
  maxHeaderBytes?: number;
  label?: string;
}

function invalid(label: string, detail: string): AppError {
  return new AppError('BundleInvalid', `safetensors ${label}: ${detail}`);
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Parse the header and tensor table; reads only the header (two reads), never tensor data. */
export async function readSafetensors(source: ByteSource, options: ReadSafetensorsOptions = {}): Promise<SafetensorsFile> {
  const label = options.label ?? 'file';
  const maxHeader = options.maxHeaderBytes ?? 100_000_000;
  const head = await source(0, 8);
  if (head.length < 8) throw invalid(label, `truncated file: ${head.length} bytes, shorter than the 8-byte header length`);
  const n = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(maxHeader)) throw invalid(label, `header length ${n} is larger than ${maxHeader} bytes: not a safetensors file?`);
  const headerBytes = Number(n);
  const dataOffset = 8 + headerBytes;
  if (options.size !== undefined && dataOffset > options.size) {
    throw invalid(label, `truncated file: the header needs ${dataOffset} bytes but the file has ${options.size}`);
  }
  const json = await source(8, headerBytes);
  if (json.length < headerBytes)
    throw invalid(label, `truncated file: the header needs ${dataOffset} bytes but the file ends at ${8 + json.length}`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (error) {
    throw invalid(label, `the header is not valid JSON (${(error as Error).message}): not a safetensors file?`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw invalid(label, 'the header is not a JSON object');

  const metadata: Record<string, string> = {};
  const tensors: SafetensorsTensor[] = [];
  const byName = new Map<string, SafetensorsTensor>();
  let dataBytes = 0;
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!value || typeof value !== 'object' || Array.isArray(value)) throw invalid(label, '__metadata__ is not an object');
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') throw invalid(label, `__metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const t = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (!t || typeof t !== 'object') throw invalid(label, `tensor ${name}: not an object`);
    const dtype = String(t.dtype);
    const size = DTYPE_BYTES[dtype];
    if (size === undefined) throw invalid(label, `tensor ${name} has unknown dtype ${dtype}`);
    if (!Array.isArray(t.shape) || !t.shape.every(isCount)) throw invalid(label, `tensor ${name}: bad shape ${JSON.stringify(t.shape)}`);
    const offsets = t.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !isCount(offsets[0]) || !isCount(offsets[1]) || offsets[1] < offsets[0]) {
      throw invalid(label, `tensor ${name}: bad data_offsets ${JSON.stringify(offsets)}`);
    }
    const shape = t.shape;
    const elements = shape.reduce((a, b) => a * b, 1);
    const byteSize = offsets[1] - offsets[0];
    if (!Number.isSafeInteger(elements) || elements * size !== byteSize) {
      throw invalid(label, `tensor ${name}: ${dtype} [${shape.join(', ')}] needs ${elements * size} bytes, data_offsets span ${byteSize}`);
    }
    const start = dataOffset + offsets[0];
    if (options.size !== undefined && start + byteSize > options.size) {
      throw invalid(
        label,
        `tensor ${name} (${dtype}, ${byteSize} bytes at ${start}) extends past the end of the file (${options.size} bytes): truncated download?`,
      );
    }
    dataBytes = Math.max(dataBytes, offsets[1]);
    const code = GGML_CODE[dtype];
    const tensor: SafetensorsTensor = {
      name,
      dtype,
      shape,
      type: code ?? -1,
      typeName: dtype,
      convertible: code !== undefined,
      start,
      byteSize,
      elements,
    };
    tensors.push(tensor);
    byName.set(name, tensor);
  }
  tensors.sort((a, b) => a.start - b.start);
  for (let i = 1; i < tensors.length; i++) {
    const prev = tensors[i - 1]!;
    const t = tensors[i]!;
    if (t.start < prev.start + prev.byteSize && t.byteSize > 0 && prev.byteSize > 0) {
      throw invalid(label, `tensors ${prev.name} and ${t.name} overlap`);
    }
  }
  const file: SafetensorsFile = { metadata, tensors, byName, dataOffset, dataBytes };
  if (options.size !== undefined) file.size = options.size;
  return file;
}

/** All bytes of one tensor. */
export function readSafetensorBytes(source: ByteSource, tensor: SafetensorsTensor): Promise<Uint8Array> {
  return readExact(source, tensor.start, tensor.byteSize, `tensor ${tensor.name}`);
}
