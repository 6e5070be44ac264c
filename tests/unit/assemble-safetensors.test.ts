import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../workers/assemble/gguf';
import { readSafetensorBytes, readSafetensors } from '../../workers/assemble/safetensors';
import { convertRows } from '../../workers/assemble/repack';

const dir = new URL('../fixtures/gguf/', import.meta.url);
const bytes = new Uint8Array(readFileSync(new URL('small.safetensors', dir)));
const index = JSON.parse(readFileSync(new URL('small.safetensors.json', dir), 'utf8')) as {
  size: number;
  data_offset: number;
  metadata: Record<string, string>;
  tensors: { name: string; dtype: string; shape: number[]; start: number; bytes: number; values: number[] }[];
};

/** A safetensors file made by hand: header JSON text, then `data` bytes. */
function handMade(header: unknown, dataBytes: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

async function error(p: Promise<unknown>): Promise<{ name: string; message: string }> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x as Error,
  );
  if (!e) throw new Error('expected a rejection');
  return { name: e.name, message: e.message };
}

describe('safetensors reader', () => {
  it('reads the table the safetensors library wrote: names, dtypes, shapes, absolute offsets, metadata', async () => {
    const file = await readSafetensors(bufferSource(bytes), { size: bytes.length, label: 'small.safetensors' });
    expect(file.dataOffset).toBe(index.data_offset);
    expect(file.metadata).toEqual(index.metadata);
    expect(file.tensors.length).toBe(index.tensors.length);
    for (const want of index.tensors) {
      const t = file.byName.get(want.name)!;
      expect(t, want.name).toBeDefined();
      expect([t.dtype, t.shape, t.start, t.byteSize]).toEqual([want.dtype, want.shape, want.start, want.bytes]);
      expect(t.convertible).toBe(['F32', 'F16', 'BF16'].includes(want.dtype));
    }
  });

  it('tensor bytes convert to the values torch saved (F16, BF16, F32; 4-D and 0-D)', async () => {
    const file = await readSafetensors(bufferSource(bytes), { size: bytes.length });
    for (const want of index.tensors.filter((t) => t.dtype !== 'I64')) {
      const t = file.byName.get(want.name)!;
      const data = await readSafetensorBytes(bufferSource(bytes), t);
      const cols = want.shape.length ? want.shape[want.shape.length - 1]! : 1;
      const out = convertRows(t.type, t.typeName, data, t.elements / cols, cols, { kind: 'float32' }, t.name);
      expect(out.kind).toBe('float32');
      expect(Array.from((out as { data: Float32Array }).data)).toEqual(want.values);
    }
  });

  it('refuses an int tensor by its dtype name when it is converted', async () => {
    const file = await readSafetensors(bufferSource(bytes));
    const ids = file.byName.get('text_model.embeddings.position_ids')!;
    expect(ids.type).toBe(-1);
    expect(() => convertRows(ids.type, ids.typeName, new Uint8Array(48), 1, 6, { kind: 'float32' }, ids.name)).toThrow(
      /position_ids is I64/,
    );
  });

  it('a truncated file names the tensor that runs past the end', async () => {
    const cut = bytes.subarray(0, bytes.length - 10);
    const e = await error(readSafetensors(bufferSource(cut), { size: cut.length, label: 'clip.safetensors' }));
    expect(e.name).toBe('BundleInvalid');
    expect(e.message).toMatch(/safetensors clip\.safetensors: tensor \S+ .*extends past the end of the file \(\d+ bytes\): truncated/);
  });

  it('a file cut inside its header, or shorter than 8 bytes, is BundleInvalid', async () => {
    expect((await error(readSafetensors(bufferSource(bytes.subarray(0, 5))))).message).toMatch(/shorter than the 8-byte header length/);
    const e = await error(readSafetensors(bufferSource(bytes.subarray(0, 40))));
    expect([e.name, e.message]).toEqual(['BundleInvalid', expect.stringMatching(/truncated file: the header needs \d+ bytes/)]);
  });

  it('refuses bad headers: not JSON, wrong byte count for the shape, unknown dtype, overlapping tensors, absurd length', async () => {
    const garbage = new Uint8Array(64).fill(0x41);
    expect((await error(readSafetensors(bufferSource(garbage)))).message).toMatch(/header length \d+ is larger/);
    const notJson = handMade({}, 0);
    notJson.set(new TextEncoder().encode('{x'), 8);
    expect((await error(readSafetensors(bufferSource(notJson)))).message).toMatch(/not valid JSON/);
    const wrong = handMade({ w: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 20] } }, 24);
    expect((await error(readSafetensors(bufferSource(wrong)))).message).toMatch(
      /tensor w: F32 \[2, 3\] needs 24 bytes, data_offsets span 20/,
    );
    const unknown = handMade({ w: { dtype: 'Q4', shape: [2], data_offsets: [0, 2] } }, 2);
    expect((await error(readSafetensors(bufferSource(unknown)))).message).toMatch(/tensor w has unknown dtype Q4/);
    const overlap = handMade(
      { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } },
      12,
    );
    expect((await error(readSafetensors(bufferSource(overlap)))).message).toMatch(/tensors a and b overlap/);
  });
});
