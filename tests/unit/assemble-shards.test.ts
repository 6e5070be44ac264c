// The assembler's byte production (layout plan + row-chunked repack), run in node on H1's tiny
// fixtures: every shard must equal tools/export's own fill (tests/fixtures/assemble/tiny/expected)
// byte for byte, from the start and resumed from any offset. The store side runs in Chromium
// (tests/e2e/assemble.spec.ts).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { SourceDescription } from '../../src/shared/assemble-api';
import { COMPONENT_NAMES, type ComponentName } from '../../src/shared/manifest';
import { PairStash, readTensorTable, shardBytes, transpose } from '../../workers/assemble/assembler';
import { bufferSource, type ByteSource } from '../../workers/assemble/gguf';
import { planComponent, type PlannedEntry, type Template } from '../../workers/assemble/layout';

const ROOT = new URL('../fixtures/assemble/tiny/', import.meta.url);
const PREFIX = '/tests/fixtures/assemble/tiny/';
const bytesOf = (rel: string) => new Uint8Array(readFileSync(new URL(rel.replace(PREFIX, ''), ROOT)));

async function plan(source: SourceDescription, template: Template, component: ComponentName, file?: string) {
  const ws = source.components[component];
  const data = bytesOf(file ?? ws.url);
  const read = bufferSource(data);
  const tensors = await readTensorTable(ws.format, read, data.length, ws.url);
  const comp = template.manifest.components[component];
  const shards = comp.external_data.map((f) => f.bytes);
  return {
    read,
    shards,
    ...planComponent(component, ws.naming, comp.config, template.layouts[component].tensors, tensors, shards, ws.url),
  };
}

async function produce(entries: PlannedEntry[], size: number, from: number, read: ByteSource, readBytes: number): Promise<Uint8Array> {
  const out = new Uint8Array(size - from);
  let at = 0;
  for await (const piece of shardBytes(entries, size, from, read, new PairStash(), { readBytes })) {
    out.set(piece, at);
    at += piece.length;
  }
  expect(at).toBe(size - from);
  return out;
}

describe('assembler shards on the tiny fixtures', () => {
  const source = JSON.parse(readFileSync(new URL('source.json', ROOT), 'utf8')) as SourceDescription;
  const template = JSON.parse(readFileSync(new URL('template/template.json', ROOT), 'utf8')) as Template;
  const expected = JSON.parse(readFileSync(new URL('expected/manifest.json', ROOT), 'utf8')) as Template['manifest'];

  it.each(COMPONENT_NAMES)('%s: every shard equals the exporter fill byte for byte (whole-tensor and 1-row reads)', async (component) => {
    const { read, shards, entries, problems } = await plan(source, template, component);
    expect(problems).toEqual([]);
    for (const [i, size] of shards.entries()) {
      const want = bytesOf(`expected/${expected.components[component].external_data[i]!.path}`);
      const mine = entries.filter((e) => e.shard === i).sort((a, b) => a.offset - b.offset);
      for (const readBytes of [8 << 20, 1]) {
        const got = await produce(mine, size, 0, read, readBytes);
        expect(got.length).toBe(want.length);
        const first = got.findIndex((b, k) => b !== want[k]);
        expect(first, `first differing byte of ${component} shard ${i} (reads of ${readBytes} B)`).toBe(-1);
      }
    }
  });

  it('resumes at any offset: the bytes from there equal the tail of the whole shard', async () => {
    const { read, shards, entries } = await plan(source, template, 'transformer');
    const want = bytesOf(`expected/${expected.components.transformer.external_data[0]!.path}`);
    const sorted = entries.sort((a, b) => a.offset - b.offset);
    const offsets = [
      1,
      63,
      64,
      4096 + 7,
      ...sorted.slice(0, 40).flatMap((e) => [e.offset, e.offset + 1, e.offset + Math.floor(e.bytes / 2)]),
      shards[0]! - 1,
    ];
    for (const from of offsets) {
      const got = await produce(sorted, shards[0]!, from, read, 256);
      expect(
        got.findIndex((b, k) => b !== want[from + k]),
        `resumed at ${from}`,
      ).toBe(-1);
    }
  });

  it('fault files: each problem named before any byte is produced', async () => {
    const faults = JSON.parse(readFileSync(new URL('sources/faults/index.json', ROOT), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(faults).length).toBeGreaterThan(0);
    const wrong = await plan(source, template, 'transformer', 'sources/faults/wrong-shape.gguf');
    expect(wrong.problems.join('\n')).toMatch(/tensor \S+ in \S+: expected \[\d+(, \d+)*\], got \[\d+(, \d+)*\]/);
    await expect(plan(source, template, 'transformer', 'sources/faults/unknown-type.gguf')).rejects.toThrow(
      /GGUF \S+: tensor \S+ has unknown ggml type \d+/,
    );
    await expect(plan(source, template, 'transformer', 'sources/faults/truncated.gguf')).rejects.toThrow(
      /extends past the end of the file|truncated/,
    );
  });
});

describe('transpose', () => {
  it('equals the plain definition on odd sizes', () => {
    const rows = 70;
    const cols = 131;
    const m = Float32Array.from({ length: rows * cols }, (_, i) => i);
    const t = transpose(m, rows, cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) expect(t[c * rows + r]).toBe(m[r * cols + c]);
  });
});
