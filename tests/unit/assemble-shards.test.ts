// The assembler's byte production (layout plan + one pass over each source, scatter.ts), run in node on
// H1's tiny fixtures: every shard must equal tools/export's own fill (tests/fixtures/assemble/tiny/expected)
// byte for byte, from the start and resumed from every recorded tensor boundary. The store side runs in Chromium
// (tests/e2e/assemble.spec.ts).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { SourceDescription } from '../../src/shared/assemble-api';
import { COMPONENT_NAMES, type ComponentName } from '../../src/shared/manifest';
import { readTensorTable } from '../../workers/assemble/assembler';
import { bufferSource } from '../../workers/assemble/gguf';
import { planComponent, type Template } from '../../workers/assemble/layout';
import { transpose } from '../../workers/assemble/produce';
import { scatterSource, spansOf, type ScatterSink, type Span } from '../../workers/assemble/scatter';
import type { Sha256State } from '../../workers/store/sha256';

const ROOT = new URL('../fixtures/assemble/tiny/', import.meta.url);
const PREFIX = '/tests/fixtures/assemble/tiny/';
const REPO = new URL('../../', import.meta.url);
const bytesOf = (rel: string) => new Uint8Array(readFileSync(new URL(rel.replace(PREFIX, ''), ROOT)));
/** A fixture file by its URL in a source description (from the repository root) or relative to tiny/. */
const fileOf = (rel: string) => (rel.startsWith('/') ? new Uint8Array(readFileSync(new URL(rel.slice(1), REPO))) : bytesOf(rel));

async function plan(source: SourceDescription, template: Template, component: ComponentName, file?: string) {
  const ws = source.components[component];
  const data = fileOf(file ?? ws.url);
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

interface Write {
  shard: number;
  offset: number;
  bytes: Uint8Array;
  /** Progress records made before this write. */
  after: number;
}

/** Runs one pass over `data` from `from`, in pieces of `pieceBytes`, recording writes and progress. */
async function pass(
  spans: Span[],
  shardCount: number,
  data: Uint8Array,
  from: { offset: number; hash?: Sha256State },
  o: { pieceBytes: number; chunkBytes: number; readBytes: number },
) {
  const writes: Write[] = [];
  const progress: { offset: number; hash: Sha256State; stored: number[] }[] = [];
  const sink: ScatterSink = {
    write: async (shard, offset, parts) => void writes.push({ shard, offset, bytes: concat(parts), after: progress.length }),
    progress: async (offset, hash, stored) => void progress.push({ offset, hash, stored: [...stored] }),
  };
  async function* pieces() {
    for (let at = from.offset; at < data.length; at += o.pieceBytes) yield data.subarray(at, Math.min(data.length, at + o.pieceBytes));
  }
  const sha = await scatterSource(spans, shardCount, pieces(), from, data.length, sink, o);
  return { sha, writes, progress };
}

const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
};

/** The shards the writes make; every byte must be written exactly once. */
function shardsFrom(writes: Write[], sizes: number[]): Uint8Array[] {
  const out = sizes.map((n) => new Uint8Array(n));
  const times = sizes.map((n) => new Uint8Array(n));
  for (const w of writes) {
    out[w.shard]!.set(w.bytes, w.offset);
    for (let k = 0; k < w.bytes.length; k++) times[w.shard]![w.offset + k]!++;
  }
  for (const [i, t] of times.entries())
    expect(
      t.findIndex((n) => n !== 1),
      `shard ${i}: a byte not written exactly once`,
    ).toBe(-1);
  return out;
}

const nodeSha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('assembler shards on the tiny fixtures', () => {
  const source = JSON.parse(readFileSync(new URL('source.json', ROOT), 'utf8')) as SourceDescription;
  const template = JSON.parse(readFileSync(new URL('template/template.json', ROOT), 'utf8')) as Template;
  const expected = JSON.parse(readFileSync(new URL('expected/manifest.json', ROOT), 'utf8')) as Template['manifest'];

  const want = (component: ComponentName, i: number) => bytesOf(`expected/${expected.components[component].external_data[i]!.path}`);
  // Read once per shard, not per compared byte.

  it.each(COMPONENT_NAMES)(
    '%s: one pass over the source gives every shard byte for byte like the exporter, and the file sha256',
    async (component) => {
      const { shards, entries, problems } = await plan(source, template, component);
      expect(problems).toEqual([]);
      const data = bytesOf(source.components[component].url);
      const spans = spansOf(entries, shards);
      for (const o of [
        { pieceBytes: data.length, chunkBytes: 16 << 20, readBytes: 8 << 20 },
        { pieceBytes: 1000, chunkBytes: 4096, readBytes: 1 },
      ]) {
        const { sha, writes } = await pass(spans, shards.length, data, { offset: 0 }, o);
        expect(sha).toBe(nodeSha(data));
        const got = shardsFrom(writes, shards);
        for (const [i, bytes] of got.entries()) {
          const expectedBytes = want(component, i);
          const first = bytes.findIndex((b, k) => b !== expectedBytes[k]);
          expect(first, `first differing byte of ${component} shard ${i} (pieces of ${o.pieceBytes} B)`).toBe(-1);
        }
      }
    },
    60_000,
  );

  it('the transformer shard fills out of order: the layout is in order of first use, the source is not', async () => {
    const { shards, entries } = await plan(source, template, 'transformer');
    const data = bytesOf(source.components.transformer.url);
    const o = { pieceBytes: 4096, chunkBytes: 4096, readBytes: 4096 };
    const { writes } = await pass(spansOf(entries, shards), shards.length, data, { offset: 0 }, o);
    expect(writes.some((w, k) => k > 0 && w.shard === writes[k - 1]!.shard && w.offset < writes[k - 1]!.offset)).toBe(true);
  });

  it.each(COMPONENT_NAMES)(
    '%s: resumed at recorded tensor boundaries, the rest of the file makes the same shards',
    async (component) => {
      const { shards, entries } = await plan(source, template, component);
      const data = bytesOf(source.components[component].url);
      const spans = spansOf(entries, shards);
      const o = { pieceBytes: 7777, chunkBytes: 8192, readBytes: 4096 };
      const whole = await pass(spans, shards.length, data, { offset: 0 }, o);
      expect(whole.progress.length).toBeGreaterThan(2);
      // About 12 boundaries from first to last (every one would take minutes on clip).
      const step = Math.max(1, Math.floor(whole.progress.length / 12));
      const picks = whole.progress.map((_, k) => k).filter((k) => k % step === 0 || k >= whole.progress.length - 2);
      for (const k of picks) {
        const stop = whole.progress[k]!;
        // What a pass stopped after its k-th record left: the writes before that record; then the rest from its offset.
        const kept = whole.writes.filter((w) => w.after <= k);
        expect(kept.reduce((n, w) => n + w.bytes.length, 0)).toBe(stop.stored.reduce((a, b) => a + b, 0));
        const rest = await pass(spans, shards.length, data, { offset: stop.offset, hash: stop.hash }, o);
        expect(rest.sha).toBe(nodeSha(data));
        const got = shardsFrom([...kept, ...rest.writes], shards);
        for (const [i, bytes] of got.entries()) {
          const expectedBytes = want(component, i);
          expect(
            bytes.findIndex((b, j) => b !== expectedBytes[j]),
            `resumed at ${stop.offset}, shard ${i}`,
          ).toBe(-1);
        }
      }
    },
    60_000,
  );

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

describe('assembler shards on the tiny fp16-activation template (issue 15 item 2)', () => {
  // tests/fixtures/assemble/tiny-f16: the same sources, the template written with --activations fp16
  // (MatMulNBits scales float16 = GGUF's d bit for bit), and tools/export's fill of it in expected/.
  const F16 = new URL('../fixtures/assemble/tiny-f16/', import.meta.url);
  const read = (rel: string) => JSON.parse(readFileSync(new URL(rel, F16), 'utf8')) as unknown;
  const source = read('source.json') as SourceDescription;
  const template = read('template/template.json') as Template;
  const expected = read('expected/manifest.json') as Template['manifest'];

  it('the template asks for float16 scales in the transformer and only there', () => {
    const dtypes = (c: ComponentName) =>
      new Set(template.layouts[c].tensors.filter((t) => t.encoding === 'matmulnbits_scales').map((t) => t.dtype));
    expect([...dtypes('transformer')]).toEqual(['float16']);
    expect([...dtypes('t5')]).toEqual(['float32']);
  });

  it.each(COMPONENT_NAMES)(
    '%s: one pass over the source gives every shard byte for byte like the exporter',
    async (component) => {
      const { shards, entries, problems } = await plan(source, template, component);
      expect(problems).toEqual([]);
      const data = fileOf(source.components[component].url);
      const o = { pieceBytes: 1000, chunkBytes: 4096, readBytes: 1 };
      const { sha, writes } = await pass(spansOf(entries, shards), shards.length, data, { offset: 0 }, o);
      expect(sha).toBe(nodeSha(data));
      for (const [i, bytes] of shardsFrom(writes, shards).entries()) {
        const want = new Uint8Array(readFileSync(new URL(`expected/${expected.components[component].external_data[i]!.path}`, F16)));
        expect(bytes.length).toBe(want.length);
        expect(
          bytes.findIndex((b, k) => b !== want[k]),
          `first differing byte of ${component} shard ${i}`,
        ).toBe(-1);
        expect(nodeSha(bytes)).toBe(expected.components[component].external_data[i]!.sha256);
      }
    },
    60_000,
  );
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
