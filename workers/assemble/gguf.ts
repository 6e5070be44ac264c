/**
 * GGUF v2/v3 reader over a random-access byte source (HTTP Range requests, a Blob, a buffer).
 *
 * Layout (ggml docs/gguf.md): little-endian; magic "GGUF", u32 version, u64 tensor_count,
 * u64 kv_count; kv_count × (string key, u32 value type, value); tensor_count × (string name,
 * u32 n_dims, u64 ne[n_dims] with ne[0] innermost, u32 ggml type, u64 offset relative to the data
 * section); padding to `general.alignment` (default 32); the data section.
 *
 * Only the header is read here, through a window that doubles until the tensor table fits; tensor
 * bytes are fetched on demand (`readTensorBytes`, `readTensorRows`).
 */
import { AppError } from '../../src/shared/errors';

/** Returns `length` bytes at `offset`; fewer only at the end of the file. */
export type ByteSource = (offset: number, length: number) => Promise<Uint8Array>;

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** ggml type codes the readers care about (ggml.h `enum ggml_type`). */
export const GgmlType = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q4_1: 3,
  Q5_0: 6,
  Q5_1: 7,
  Q8_0: 8,
  Q8_1: 9,
  Q2_K: 10,
  Q3_K: 11,
  Q4_K: 12,
  Q5_K: 13,
  Q6_K: 14,
  Q8_K: 15,
  BF16: 30,
} as const;

export interface GgmlTypeInfo {
  name: string;
  /** Elements per block (1 for plain types). */
  blockSize: number;
  /** Bytes per block. */
  typeSize: number;
  /** True when the repacker maps it (losslessly) onto the graph's layout. */
  repackable: boolean;
}

const QK_K = 256;
/** Sizes from ggml (gguf-py GGML_QUANT_SIZES). Unknown codes are refused when a tensor uses them. */
export const GGML_TYPES: Readonly<Record<number, GgmlTypeInfo>> = {
  0: { name: 'F32', blockSize: 1, typeSize: 4, repackable: true },
  1: { name: 'F16', blockSize: 1, typeSize: 2, repackable: true },
  2: { name: 'Q4_0', blockSize: 32, typeSize: 2 + 16, repackable: true },
  3: { name: 'Q4_1', blockSize: 32, typeSize: 2 + 2 + 16, repackable: false },
  6: { name: 'Q5_0', blockSize: 32, typeSize: 2 + 4 + 16, repackable: false },
  7: { name: 'Q5_1', blockSize: 32, typeSize: 2 + 2 + 4 + 16, repackable: false },
  8: { name: 'Q8_0', blockSize: 32, typeSize: 2 + 32, repackable: true },
  9: { name: 'Q8_1', blockSize: 32, typeSize: 4 + 4 + 32, repackable: false },
  10: { name: 'Q2_K', blockSize: QK_K, typeSize: 2 + 2 + QK_K / 16 + QK_K / 4, repackable: false },
  11: { name: 'Q3_K', blockSize: QK_K, typeSize: 2 + QK_K / 4 + QK_K / 8 + 12, repackable: false },
  12: { name: 'Q4_K', blockSize: QK_K, typeSize: 2 + 2 + QK_K / 2 + 12, repackable: false },
  13: { name: 'Q5_K', blockSize: QK_K, typeSize: 2 + 2 + QK_K / 2 + QK_K / 8 + 12, repackable: false },
  14: { name: 'Q6_K', blockSize: QK_K, typeSize: 2 + QK_K / 2 + QK_K / 4 + QK_K / 16, repackable: false },
  15: { name: 'Q8_K', blockSize: QK_K, typeSize: 4 + QK_K + QK_K / 8, repackable: false },
  16: { name: 'IQ2_XXS', blockSize: QK_K, typeSize: 2 + QK_K / 4, repackable: false },
  17: { name: 'IQ2_XS', blockSize: QK_K, typeSize: 2 + QK_K / 4 + QK_K / 32, repackable: false },
  18: { name: 'IQ3_XXS', blockSize: QK_K, typeSize: 2 + QK_K / 4 + QK_K / 8, repackable: false },
  19: { name: 'IQ1_S', blockSize: QK_K, typeSize: 2 + QK_K / 8 + QK_K / 16, repackable: false },
  20: { name: 'IQ4_NL', blockSize: 32, typeSize: 2 + 16, repackable: false },
  21: { name: 'IQ3_S', blockSize: QK_K, typeSize: 2 + QK_K / 4 + QK_K / 8 + QK_K / 32 + 4, repackable: false },
  22: { name: 'IQ2_S', blockSize: QK_K, typeSize: 2 + QK_K / 4 + QK_K / 16, repackable: false },
  23: { name: 'IQ4_XS', blockSize: QK_K, typeSize: 2 + 2 + QK_K / 2 + QK_K / 64, repackable: false },
  24: { name: 'I8', blockSize: 1, typeSize: 1, repackable: false },
  25: { name: 'I16', blockSize: 1, typeSize: 2, repackable: false },
  26: { name: 'I32', blockSize: 1, typeSize: 4, repackable: false },
  27: { name: 'I64', blockSize: 1, typeSize: 8, repackable: false },
  28: { name: 'F64', blockSize: 1, typeSize: 8, repackable: false },
  29: { name: 'IQ1_M', blockSize: QK_K, typeSize: QK_K / 8 + QK_K / 16 + QK_K / 32, repackable: false },
  30: { name: 'BF16', blockSize: 1, typeSize: 2, repackable: true },
  34: { name: 'TQ1_0', blockSize: QK_K, typeSize: 2 + 4 * 13, repackable: false },
  35: { name: 'TQ2_0', blockSize: QK_K, typeSize: 2 + 64, repackable: false },
  39: { name: 'MXFP4', blockSize: 32, typeSize: 1 + 16, repackable: false },
};

export function ggmlTypeName(type: number): string {
  return GGML_TYPES[type]?.name ?? `unknown ggml type ${type}`;
}

/** GGUF metadata value type codes (gguf.md `gguf_metadata_value_type`). */
export const GgufValueType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;
const VALUE_TYPE_NAMES = Object.fromEntries(Object.entries(GgufValueType).map(([k, v]) => [v, k])) as Record<number, string>;

/**
 * A metadata value. Scalars: number (u64/i64 too while they fit in 2^53, else bigint), boolean,
 * string. Arrays of numbers are typed arrays (BigUint64Array / BigInt64Array for 64-bit ints);
 * arrays of strings, bools or arrays are plain arrays.
 */
export type GgufValue =
  | number
  | bigint
  | boolean
  | string
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array
  | BigUint64Array
  | BigInt64Array
  | GgufValue[];

export interface GgufMetadataEntry {
  /** Value type name, e.g. 'UINT32', 'STRING', 'ARRAY'. */
  type: string;
  /** For arrays: the element type name. */
  itemType?: string;
  value: GgufValue;
}

export interface GgufTensorInfo {
  name: string;
  /** GGUF order: ne[0] is the innermost (contiguous) dimension, i.e. input features of a weight. */
  dims: number[];
  /** PyTorch order (dims reversed): a Linear weight is [out, in]. */
  shape: number[];
  type: number;
  typeName: string;
  /** Offset inside the data section, as stored. */
  offset: number;
  /** Absolute byte offset in the file. */
  start: number;
  byteSize: number;
  elements: number;
  /** Rows = elements / dims[0]; bytes of one row (dims[0] elements). */
  rows: number;
  rowBytes: number;
  repackable: boolean;
}

export interface GgufFile {
  version: number;
  metadata: Map<string, GgufMetadataEntry>;
  tensors: GgufTensorInfo[];
  /** Tensors by name. */
  byName: Map<string, GgufTensorInfo>;
  alignment: number;
  /** Absolute offset of the tensor-data section. */
  dataOffset: number;
  /** Bytes of header actually parsed (= end of the tensor-info table). */
  headerBytes: number;
  /** File size, when known (passed in or learned from a short read). */
  size?: number;
}

export interface ReadGgufOptions {
  /** Total file size, when known (Blob.size, Content-Length). Enables the past-the-end check. */
  size?: number;
  /** First read window in bytes (default 256 KiB); it doubles while the header needs more. */
  initialWindow?: number;
  /** Refuse headers larger than this (default 256 MiB). */
  maxHeaderBytes?: number;
  /** Label used in error messages (file name or URL). */
  label?: string;
}

const MAX_COUNT = 1 << 24; // sanity limit on tensor / kv / array counts read from the file
const MAX_DIMS = 4; // GGML_MAX_DIMS

function invalid(label: string, detail: string): AppError {
  return new AppError('BundleInvalid', `GGUF ${label}: ${detail}`);
}

/**
 * Sequential reader over the header with a growing window: bytes [0, end) are buffered; asking
 * beyond `end` refetches [0, 2·end) (the header is small next to the data, so rereading the start
 * costs little and keeps the buffer contiguous).
 */
class HeaderCursor {
  pos = 0;
  private buf = new Uint8Array(0);
  private view = new DataView(this.buf.buffer);
  /** Set when a read came back short: the file ends here. */
  eof: number | undefined;
  bytesFetched = 0;
  reads = 0;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(
    private readonly source: ByteSource,
    private window: number,
    private readonly maxHeader: number,
    private readonly label: string,
    size: number | undefined,
  ) {
    this.eof = size;
  }

  private async ensure(n: number): Promise<void> {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    if (this.eof !== undefined && need > this.eof) {
      throw invalid(this.label, `truncated file: the header needs byte ${need} but the file ends at ${this.eof}`);
    }
    if (need > this.maxHeader) {
      throw invalid(this.label, `header larger than ${this.maxHeader} bytes (corrupt counts or lengths?)`);
    }
    let want = Math.max(this.window, this.buf.length * 2);
    while (want < need) want *= 2;
    want = Math.min(want, this.maxHeader);
    if (this.eof !== undefined) want = Math.min(want, this.eof);
    this.window = want;
    // fetch only what is not buffered yet
    const have = this.buf.length;
    const more = await this.source(have, want - have);
    this.reads++;
    this.bytesFetched += more.length;
    const next = new Uint8Array(have + more.length);
    next.set(this.buf);
    next.set(more, have);
    this.buf = next;
    this.view = new DataView(next.buffer);
    if (more.length < want - have) this.eof = next.length;
    if (need > next.length) {
      throw invalid(this.label, `truncated file: the header needs byte ${need} but the file ends at ${next.length}`);
    }
  }

  async u8(): Promise<number> {
    await this.ensure(1);
    return this.view.getUint8(this.pos++);
  }
  async u32(): Promise<number> {
    await this.ensure(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  async u64Big(): Promise<bigint> {
    await this.ensure(8);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }
  /** u64 that must fit a JS number exactly (counts, lengths, offsets). */
  async u64(what: string): Promise<number> {
    const v = await this.u64Big();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid(this.label, `${what} ${v} is too large`);
    return Number(v);
  }
  async string(what: string): Promise<string> {
    const len = await this.u64(`${what} length`);
    if (len > this.maxHeader) throw invalid(this.label, `${what} length ${len} is larger than the header limit`);
    await this.ensure(len);
    const s = this.decoder.decode(this.buf.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }

  /** Read `count` fixed-size elements into a typed array (little-endian regardless of platform). */
  async numbers(type: number, count: number): Promise<GgufValue> {
    const size = scalarSize(type);
    await this.ensure(size * count);
    const v = this.view;
    let p = this.pos;
    this.pos += size * count;
    switch (type) {
      case GgufValueType.UINT8:
        return this.buf.slice(p, p + count);
      case GgufValueType.INT8:
        return new Int8Array(this.buf.slice(p, p + count).buffer);
      case GgufValueType.BOOL: {
        const out: boolean[] = new Array<boolean>(count);
        for (let i = 0; i < count; i++) out[i] = v.getUint8(p + i) !== 0;
        return out;
      }
    }
    const make = <A extends { [i: number]: number | bigint }>(a: A, get: (o: number) => number | bigint): A => {
      for (let i = 0; i < count; i++, p += size) a[i] = get(p);
      return a;
    };
    switch (type) {
      case GgufValueType.UINT16:
        return make(new Uint16Array(count), (o) => v.getUint16(o, true));
      case GgufValueType.INT16:
        return make(new Int16Array(count), (o) => v.getInt16(o, true));
      case GgufValueType.UINT32:
        return make(new Uint32Array(count), (o) => v.getUint32(o, true));
      case GgufValueType.INT32:
        return make(new Int32Array(count), (o) => v.getInt32(o, true));
      case GgufValueType.FLOAT32:
        return make(new Float32Array(count), (o) => v.getFloat32(o, true));
      case GgufValueType.FLOAT64:
        return make(new Float64Array(count), (o) => v.getFloat64(o, true));
      case GgufValueType.UINT64:
        return make(new BigUint64Array(count), (o) => v.getBigUint64(o, true));
      case GgufValueType.INT64:
        return make(new BigInt64Array(count), (o) => v.getBigInt64(o, true));
    }
    throw invalid(this.label, `value type ${type} is not a number type`);
  }
}

function scalarSize(type: number): number {
  switch (type) {
    case GgufValueType.UINT8:
    case GgufValueType.INT8:
    case GgufValueType.BOOL:
      return 1;
    case GgufValueType.UINT16:
    case GgufValueType.INT16:
      return 2;
    case GgufValueType.UINT32:
    case GgufValueType.INT32:
    case GgufValueType.FLOAT32:
      return 4;
    case GgufValueType.UINT64:
    case GgufValueType.INT64:
    case GgufValueType.FLOAT64:
      return 8;
    default:
      return 0;
  }
}

function small(v: bigint): number | bigint {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

async function readValue(c: HeaderCursor, type: number, key: string, label: string, depth = 0): Promise<GgufMetadataEntry> {
  const typeName = VALUE_TYPE_NAMES[type];
  if (typeName === undefined) throw invalid(label, `metadata ${key}: unknown value type ${type}`);
  if (type === GgufValueType.STRING) return { type: typeName, value: await c.string(`metadata ${key}`) };
  if (type === GgufValueType.ARRAY) {
    if (depth > 8) throw invalid(label, `metadata ${key}: arrays nested too deep`);
    const itemType = await c.u32();
    const itemName = VALUE_TYPE_NAMES[itemType];
    if (itemName === undefined) throw invalid(label, `metadata ${key}: unknown array item type ${itemType}`);
    const count = await c.u64(`metadata ${key} array length`);
    if (count > MAX_COUNT * 8) throw invalid(label, `metadata ${key}: array of ${count} items is implausible`);
    let value: GgufValue;
    if (itemType === GgufValueType.STRING || itemType === GgufValueType.ARRAY) {
      const items: GgufValue[] = [];
      for (let i = 0; i < count; i++) items.push((await readValue(c, itemType, key, label, depth + 1)).value);
      value = items;
    } else {
      value = await c.numbers(itemType, count);
    }
    return { type: typeName, itemType: itemName, value };
  }
  const one = await c.numbers(type, 1);
  let value: GgufValue;
  if (Array.isArray(one)) value = one[0]!;
  else if (one instanceof BigUint64Array || one instanceof BigInt64Array) value = small(one[0]!);
  else value = (one as Float64Array)[0]!;
  return { type: typeName, value };
}

/**
 * Parse the header, metadata and tensor table. Reads only the header (in a growing window), never
 * tensor data.
 */
export async function readGguf(
  source: ByteSource,
  options: ReadGgufOptions = {},
): Promise<GgufFile & { bytesRead: number; reads: number }> {
  const label = options.label ?? 'file';
  const c = new HeaderCursor(
    source,
    Math.max(64, options.initialWindow ?? 256 * 1024),
    options.maxHeaderBytes ?? 256 * 1024 * 1024,
    label,
    options.size,
  );
  const magic = await c.u32().catch((e: unknown) => {
    // Only the cursor's own "file ends here" means the file is shorter than its magic; a source's error stays as it is.
    const short = e instanceof AppError && e.name === 'BundleInvalid' && e.message.includes('truncated file: the header needs');
    throw short ? invalid(label, 'not a GGUF file (shorter than its magic)') : e;
  });
  if (magic !== GGUF_MAGIC) {
    const hex = magic.toString(16).padStart(8, '0');
    throw invalid(label, `not a GGUF file (bad magic 0x${hex}, expected "GGUF")`);
  }
  const version = await c.u32();
  if (version !== 2 && version !== 3) {
    throw invalid(
      label,
      version === 1
        ? 'GGUF version 1 is not supported (32-bit counts; convert the file with a current llama.cpp)'
        : version > 0xffff
          ? `unsupported version ${version} (a big-endian file?); only little-endian GGUF v2/v3 is read`
          : `unsupported GGUF version ${version} (only 2 and 3 are read)`,
    );
  }
  const tensorCount = await c.u64('tensor count');
  const kvCount = await c.u64('metadata count');
  if (tensorCount > MAX_COUNT || kvCount > MAX_COUNT) {
    throw invalid(label, `implausible counts (${tensorCount} tensors, ${kvCount} metadata entries)`);
  }

  const metadata = new Map<string, GgufMetadataEntry>();
  for (let i = 0; i < kvCount; i++) {
    const key = await c.string('metadata key');
    const type = await c.u32();
    const entry = await readValue(c, type, key, label);
    if (metadata.has(key)) throw invalid(label, `duplicate metadata key ${key}`);
    metadata.set(key, entry);
  }

  let alignment = GGUF_DEFAULT_ALIGNMENT;
  const al = metadata.get('general.alignment');
  if (al !== undefined) {
    if (al.type !== 'UINT32' || typeof al.value !== 'number' || al.value === 0 || (al.value & (al.value - 1)) !== 0) {
      throw invalid(label, `general.alignment must be a non-zero power of two u32, got ${String(al.value)} (${al.type})`);
    }
    alignment = al.value;
  }

  const raw: { name: string; dims: number[]; type: number; offset: number }[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = await c.string('tensor name');
    const nDims = await c.u32();
    if (nDims > MAX_DIMS) throw invalid(label, `tensor ${name}: ${nDims} dimensions (at most ${MAX_DIMS})`);
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) dims.push(await c.u64(`tensor ${name} dimension`));
    const type = await c.u32();
    const offset = await c.u64(`tensor ${name} offset`);
    raw.push({ name, dims, type, offset });
  }
  const headerBytes = c.pos;
  const dataOffset = alignUp(headerBytes, alignment);
  const size = options.size ?? c.eof;

  const tensors: GgufTensorInfo[] = [];
  const byName = new Map<string, GgufTensorInfo>();
  for (const t of raw) {
    if (byName.has(t.name)) throw invalid(label, `duplicate tensor name ${t.name}`);
    const info = GGML_TYPES[t.type];
    if (info === undefined) throw invalid(label, `tensor ${t.name} has unknown ggml type ${t.type}`);
    const elements = t.dims.reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(elements)) throw invalid(label, `tensor ${t.name}: too many elements`);
    const inner = t.dims[0] ?? 1;
    if (inner % info.blockSize !== 0) {
      throw invalid(label, `tensor ${t.name}: inner dimension ${inner} is not a multiple of the ${info.name} block size ${info.blockSize}`);
    }
    if (t.offset % alignment !== 0) {
      throw invalid(label, `tensor ${t.name}: data offset ${t.offset} is not a multiple of the alignment ${alignment}`);
    }
    const rowBytes = (inner / info.blockSize) * info.typeSize;
    const rows = inner === 0 ? 0 : elements / inner;
    const byteSize = rows * rowBytes;
    const start = dataOffset + t.offset;
    if (size !== undefined && start + byteSize > size) {
      throw invalid(
        label,
        `tensor ${t.name} (${info.name}, ${byteSize} bytes at ${start}) extends past the end of the file (${size} bytes): truncated download?`,
      );
    }
    const tensor: GgufTensorInfo = {
      name: t.name,
      dims: t.dims,
      shape: [...t.dims].reverse(),
      type: t.type,
      typeName: info.name,
      offset: t.offset,
      start,
      byteSize,
      elements,
      rows,
      rowBytes,
      repackable: info.repackable,
    };
    tensors.push(tensor);
    byName.set(t.name, tensor);
  }
  const file: GgufFile & { bytesRead: number; reads: number } = {
    version,
    metadata,
    tensors,
    byName,
    alignment,
    dataOffset,
    headerBytes,
    bytesRead: c.bytesFetched,
    reads: c.reads,
  };
  if (size !== undefined) file.size = size;
  return file;
}

export function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

/** A metadata value by key (undefined when absent). */
export function metadataValue(file: GgufFile, key: string): GgufValue | undefined {
  return file.metadata.get(key)?.value;
}

/** Exact read: throws BundleInvalid ("truncated") when the source returns fewer bytes. */
export async function readExact(source: ByteSource, offset: number, length: number, what: string): Promise<Uint8Array> {
  if (length === 0) return new Uint8Array(0);
  const bytes = await source(offset, length);
  if (bytes.length < length) {
    throw new AppError(
      'BundleInvalid',
      `GGUF: truncated file: ${what} needs ${length} bytes at ${offset}, only ${bytes.length} could be read`,
    );
  }
  return bytes.length === length ? bytes : bytes.subarray(0, length);
}

/** All bytes of one tensor, as stored (blocks for quantised types). */
export function readTensorBytes(source: ByteSource, tensor: GgufTensorInfo): Promise<Uint8Array> {
  return readExact(source, tensor.start, tensor.byteSize, `tensor ${tensor.name}`);
}

/**
 * Rows [row, row + count) of a tensor (a row = dims[0] elements), so a caller can stream a large
 * tensor in chunks of whole rows.
 */
export function readTensorRows(source: ByteSource, tensor: GgufTensorInfo, row: number, count: number): Promise<Uint8Array> {
  if (!Number.isInteger(row) || !Number.isInteger(count) || row < 0 || count < 0 || row + count > tensor.rows) {
    throw new AppError('Internal', `tensor ${tensor.name}: rows ${row}..${row + count} outside 0..${tensor.rows}`);
  }
  return readExact(source, tensor.start + row * tensor.rowBytes, count * tensor.rowBytes, `tensor ${tensor.name} rows ${row}+${count}`);
}

/** Byte source over an in-memory buffer. */
export function bufferSource(bytes: Uint8Array): ByteSource {
  return (offset, length) => Promise.resolve(bytes.subarray(Math.min(offset, bytes.length), Math.min(offset + length, bytes.length)));
}

/** Byte source over a Blob / File. */
export function blobSource(blob: Blob): ByteSource {
  return async (offset, length) => new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
}

/**
 * Byte source over HTTP Range requests. A server that ignores Range (200 with the whole body) is
 * refused rather than downloading gigabytes into memory.
 */
export function httpRangeSource(url: string, init: { fetch?: typeof fetch; signal?: AbortSignal } = {}): ByteSource {
  const doFetch = init.fetch ?? fetch;
  return async (offset, length) => {
    if (length === 0) return new Uint8Array(0);
    const headers = { Range: `bytes=${offset}-${offset + length - 1}` };
    const res = await doFetch(url, init.signal ? { headers, signal: init.signal } : { headers });
    if (res.status === 416) return new Uint8Array(0); // range starts past the end
    if (res.status !== 206) {
      await res.body?.cancel();
      throw new AppError(
        'DownloadFailed',
        res.ok
          ? `${url}: the server ignored the Range request (HTTP ${res.status}); range requests are needed to stream GGUF tensors`
          : `${url}: HTTP ${res.status} for bytes ${offset}..${offset + length - 1}`,
      );
    }
    return new Uint8Array(await res.arrayBuffer());
  };
}
