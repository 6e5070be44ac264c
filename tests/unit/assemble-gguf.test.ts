import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  bufferSource,
  GGUF_DEFAULT_ALIGNMENT,
  httpRangeSource,
  metadataValue,
  readGguf,
  readTensorBytes,
  readTensorRows,
  type ByteSource,
} from '../../workers/assemble/gguf';
import { convertRows } from '../../workers/assemble/repack';

const dir = new URL('../fixtures/gguf/', import.meta.url);
const load = (name: string) => new Uint8Array(readFileSync(new URL(name, dir)));
const f32File = (name: string) => new Float32Array(load(name).slice().buffer);

interface TensorFixture {
  name: string;
  type: number;
  type_name: string;
  shape: number[];
  dims: number[];
  bytes: number;
  abs_offset: number;
  reference?: string;
}
interface FileFixture {
  file: string;
  size: number;
  version: number;
  alignment: number;
  data_offset: number;
  metadata?: Record<string, [string, unknown]>;
  tensors: TensorFixture[];
}
const index = JSON.parse(new TextDecoder().decode(load('index.json'))) as {
  files: FileFixture[];
  long_key: string;
  long_tensor: string;
};
const tiny = index.files[0]!;
const v2 = index.files[1]!;

/** A source that records every read. */
function counting(bytes: Uint8Array) {
  const reads: [number, number][] = [];
  const inner = bufferSource(bytes);
  const source: ByteSource = (offset, length) => {
    reads.push([offset, length]);
    return inner(offset, length);
  };
  return { source, reads, total: () => reads.reduce((n, [, l]) => n + l, 0) };
}

async function expectError(p: Promise<unknown>, name: string, pattern: RegExp) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  expect((err as Error).name).toBe(name);
  expect((err as Error).message).toMatch(pattern);
}

describe('GGUF header', () => {
  it('parses version, alignment, data offset and the tensor table of the v3 fixture', async () => {
    const bytes = load(tiny.file);
    const f = await readGguf(bufferSource(bytes), { size: bytes.length });
    expect(f.version).toBe(3);
    expect(f.alignment).toBe(GGUF_DEFAULT_ALIGNMENT);
    expect(f.dataOffset).toBe(tiny.data_offset);
    expect(f.size).toBe(tiny.size);
    expect(f.tensors.map((t) => t.name)).toEqual(tiny.tensors.map((t) => t.name));
    for (const want of tiny.tensors) {
      const t = f.byName.get(want.name)!;
      expect(t.dims).toEqual(want.dims);
      expect(t.shape).toEqual(want.shape);
      expect(t.type).toBe(want.type);
      expect(t.typeName).toBe(want.type_name);
      expect(t.byteSize).toBe(want.bytes);
      expect(t.start).toBe(want.abs_offset);
      expect(t.rows * t.rowBytes).toBe(want.bytes);
      expect(t.repackable).toBe(['F32', 'F16', 'BF16', 'Q4_0', 'Q8_0'].includes(want.type_name));
    }
    expect(f.byName.get(index.long_tensor)).toBeDefined();
    expect(index.long_tensor.length).toBeGreaterThan(64);
  });

  it('reads metadata of every value type, arrays included', async () => {
    const f = await readGguf(bufferSource(load(tiny.file)));
    for (const [key, [type, value]] of Object.entries(tiny.metadata!)) {
      const entry = f.metadata.get(key)!;
      expect(entry, key).toBeDefined();
      expect(entry.type).toBe(type);
      const got = entry.value;
      if (type === 'FLOAT32') expect(got).toBe(Math.fround(value as number));
      else if (key === 'fixture.u64') expect(got).toBe(BigInt(value as string));
      else if (type !== 'ARRAY') expect(got).toBe(value);
    }
    expect(metadataValue(f, index.long_key)).toBe('long key ok');
    expect(Array.from(metadataValue(f, 'fixture.arr_i32') as Int32Array)).toEqual([1, -2, 3, 2_000_000_000]);
    expect(metadataValue(f, 'fixture.arr_i32')).toBeInstanceOf(Int32Array);
    expect(Array.from(metadataValue(f, 'fixture.arr_f32') as Float32Array)).toEqual([0.5, -1.25, Math.fround(1e-3)]);
    expect(Array.from(metadataValue(f, 'fixture.arr_u8') as Uint8Array)).toEqual([0, 7, 255]);
    expect(Array.from(metadataValue(f, 'fixture.arr_u64') as BigUint64Array)).toEqual([1n, 2n ** 53n + 1n]);
    expect(metadataValue(f, 'fixture.arr_bool')).toEqual([true, false, true]);
    expect(metadataValue(f, 'fixture.arr_str')).toEqual(['a', '', 'tokens ▁x', 'z'.repeat(100)]);
    const nested = metadataValue(f, 'fixture.arr_nested') as Int32Array[];
    expect(nested.map((a) => Array.from(a))).toEqual([[1, 2], [3]]);
    expect(f.metadata.get('fixture.arr_nested')!.itemType).toBe('ARRAY');
    expect(metadataValue(f, 'general.name')).toBe('Time Stream GGUF fixture ✓ (utf-8: äöü, 日本)');
  });

  it('reads a v2 file with general.alignment = 64', async () => {
    const bytes = load(v2.file);
    const f = await readGguf(bufferSource(bytes), { size: bytes.length });
    expect(f.version).toBe(2);
    expect(f.alignment).toBe(64);
    expect(f.dataOffset % 64).toBe(0);
    expect(f.dataOffset).toBe(v2.data_offset);
    for (const want of v2.tensors) {
      const t = f.byName.get(want.name)!;
      expect(t.start).toBe(want.abs_offset);
      expect(t.byteSize).toBe(want.bytes);
    }
  });

  it('reads only the header, in a growing window, never tensor data', async () => {
    const bytes = load(tiny.file);
    const c = counting(bytes);
    const f = await readGguf(c.source, { initialWindow: 256 });
    expect(c.reads.length).toBeGreaterThan(1); // the window had to grow
    expect(f.reads).toBe(c.reads.length);
    // contiguous, non-overlapping reads from 0
    let end = 0;
    for (const [o, l] of c.reads) {
      expect(o).toBe(end);
      end += l;
    }
    expect(c.total()).toBeGreaterThanOrEqual(f.headerBytes);
    expect(c.total()).toBeLessThan(2 * f.headerBytes + 256);
    expect(c.total()).toBeLessThan(bytes.length / 2);

    // a window as large as the default stops at the end of a small file and learns its size
    const d = counting(bytes);
    const g = await readGguf(d.source);
    expect(g.size).toBe(bytes.length);
    expect(d.reads).toEqual([[0, 256 * 1024]]);
  });

  it('does not read past the known size', async () => {
    const bytes = load(tiny.file);
    const c = counting(bytes);
    await readGguf(c.source, { size: bytes.length, initialWindow: 1 << 20 });
    expect(c.reads).toEqual([[0, bytes.length]]);
  });
});

describe('GGUF errors', () => {
  const bytes = load(tiny.file);

  it('bad magic', async () => {
    const bad = bytes.slice();
    bad.set([0x47, 0x47, 0x4a, 0x54], 0); // "GGJT"
    await expectError(readGguf(bufferSource(bad)), 'BundleInvalid', /not a GGUF file \(bad magic 0x544a4747/);
    await expectError(readGguf(bufferSource(new Uint8Array(2))), 'BundleInvalid', /not a GGUF file/);
  });

  it('unsupported versions', async () => {
    for (const [v, pattern] of [
      [1, /version 1 is not supported/],
      [4, /unsupported GGUF version 4/],
      [0x03000000, /big-endian/],
    ] as const) {
      const bad = bytes.slice();
      new DataView(bad.buffer).setUint32(4, v, true);
      await expectError(readGguf(bufferSource(bad)), 'BundleInvalid', pattern);
    }
  });

  it('a file cut inside the header is truncated, with or without a known size', async () => {
    for (const cut of [6, 24, 100, 500, tiny.data_offset - 40]) {
      const part = bytes.subarray(0, cut);
      await expectError(
        readGguf(bufferSource(part), { initialWindow: 64 }),
        'BundleInvalid',
        /truncated file: the header needs byte \d+ but the file ends at \d+/,
      );
      await expectError(readGguf(bufferSource(part), { size: part.length }), 'BundleInvalid', /truncated|not a GGUF/);
    }
  });

  it('a file cut inside the data: the tensor that extends past the end is named', async () => {
    const last = tiny.tensors.reduce((a, b) => (b.abs_offset > a.abs_offset ? b : a));
    const part = bytes.subarray(0, last.abs_offset + 10);
    await expectError(
      readGguf(bufferSource(part), { size: part.length }),
      'BundleInvalid',
      new RegExp(
        `tensor ${last.name.replace(/\./g, '\\.')} \\(${last.type_name}, ${last.bytes} bytes at ${last.abs_offset}\\) extends past the end of the file \\(${part.length} bytes\\)`,
      ),
    );
    // without a size and with a small window, the header parses; reading that tensor is truncated
    const f = await readGguf(bufferSource(part), { initialWindow: 64 });
    await expectError(
      readTensorBytes(bufferSource(part), f.byName.get(last.name)!),
      'BundleInvalid',
      /truncated file: tensor .* needs \d+ bytes at \d+, only 10 could be read/,
    );
  });

  it('corrupt tables: misaligned offset, unknown type, bad alignment', async () => {
    const f = await readGguf(bufferSource(bytes));
    // find the first tensor info record: its name follows the kv section
    const name = new TextEncoder().encode(f.tensors[0]!.name);
    let at = -1;
    for (let i = 0; i < bytes.length - name.length && at < 0; i++) {
      if (bytes[i] === name[0] && name.every((b, k) => bytes[i + k] === b)) at = i;
    }
    const nDims = f.tensors[0]!.dims.length;
    const typeAt = at + name.length + 4 + 8 * nDims;
    const offsetAt = typeAt + 4;
    const t1 = bytes.slice();
    new DataView(t1.buffer).setUint32(typeAt, 33, true);
    await expectError(readGguf(bufferSource(t1)), 'BundleInvalid', /has unknown ggml type 33/);
    const t2 = bytes.slice();
    new DataView(t2.buffer).setBigUint64(offsetAt, 3n, true);
    await expectError(readGguf(bufferSource(t2)), 'BundleInvalid', /offset 3 is not a multiple of the alignment 32/);
  });
});

describe('GGUF tensor data', () => {
  it('reads tensors whole and in row chunks; F32/F16/BF16 convert exactly', async () => {
    const bytes = load(tiny.file);
    const src = bufferSource(bytes);
    const f = await readGguf(src);
    for (const want of tiny.tensors) {
      const t = f.byName.get(want.name)!;
      const all = await readTensorBytes(src, t);
      expect(all.length).toBe(want.bytes);
      const chunks: Uint8Array[] = [];
      for (let r = 0; r < t.rows; r += 3) chunks.push(await readTensorRows(src, t, r, Math.min(3, t.rows - r)));
      const joined = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      chunks.reduce((o, c) => (joined.set(c, o), o + c.length), 0);
      expect(joined).toEqual(all);
      if (['F32', 'F16', 'BF16', 'Q4_0', 'Q8_0'].includes(t.typeName)) {
        const conv = convertRows(t.type, t.typeName, all, t.rows, t.dims[0]!, { kind: 'float32' }, t.name);
        expect(conv.kind).toBe('float32');
        const ref = f32File(want.reference!);
        expect(conv.kind === 'float32' && Buffer.from(conv.data.buffer).equals(Buffer.from(ref.buffer))).toBe(true);
      } else {
        expect(() => convertRows(t.type, t.typeName, all, t.rows, t.dims[0]!, { kind: 'float32' }, t.name)).toThrow(
          new RegExp(`tensor ${want.name} is ${want.type_name}: only Q4_0, Q8_0, F16, BF16 and F32`),
        );
      }
    }
  });

  it('over HTTP Range requests', async () => {
    const bytes = load(tiny.file);
    const requests: string[] = [];
    const fakeFetch = (async (_url: string, init?: RequestInit) => {
      const range = new Headers(init?.headers).get('Range')!;
      requests.push(range);
      const [, a, b] = /bytes=(\d+)-(\d+)/.exec(range)!;
      const start = Number(a);
      if (start >= bytes.length) return new Response(null, { status: 416 });
      return new Response(bytes.slice(start, Math.min(Number(b) + 1, bytes.length)), { status: 206 });
    }) as typeof fetch;
    const src = httpRangeSource('https://example.invalid/x.gguf', { fetch: fakeFetch });
    const f = await readGguf(src, { initialWindow: 512 });
    expect(f.tensors.length).toBe(tiny.tensors.length);
    expect(requests[0]).toBe('bytes=0-511');
    const t = f.tensors[0]!;
    expect(await readTensorBytes(src, t)).toEqual(bytes.subarray(t.start, t.start + t.byteSize));

    const ignoring = (async () => new Response(bytes, { status: 200 })) as unknown as typeof fetch;
    await expectError(
      readGguf(httpRangeSource('https://example.invalid/x.gguf', { fetch: ignoring })),
      'DownloadFailed',
      /ignored the Range request/,
    );
  });
});
