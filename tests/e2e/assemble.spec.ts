// The assembler in real Chromium (real IndexedDB, fetch, onnxruntime-web) on the tiny fixtures of
// tests/fixtures/assemble/tiny (GGUF/safetensors sources, the template, and tools/export's own fill
// in expected/), served by the local fault server (tests/server/fault-server.mjs) that this file
// starts. The code runs in the harness page tests/pages/assemble.html on the Vite dev server.
import { test, expect, type Page } from '@playwright/test';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startFaultServer, readTree, type FaultServer } from '../server/fault-server.mjs';
import type { AssembleTest } from '../pages/assemble-harness';
import type { AssemblyPlan, AssemblyResult, SourceDescription } from '../../src/shared/assemble-api';
import type { BundleManifest } from '../../src/shared/manifest';
import type { StorageReport } from '../../src/shared/store-api';
import type { RenderRequest } from '../../src/shared/request';

declare global {
  interface Window {
    assembleTest: AssembleTest;
  }
}

const DIR = fileURLToPath(new URL('../fixtures/assemble/tiny/', import.meta.url));
const PREFIX = '/tests/fixtures/assemble/tiny/';
const files = readTree(DIR);
const json = <T>(rel: string) => JSON.parse(files.get(rel)!.toString()) as T;
const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const expected = json<BundleManifest>('expected/manifest.json');
/** Small chunks and reads, so that every shard spans several of each; fast retries. */
const OPTIONS = { chunkBytes: 64 * 1024, readBytes: 64 * 1024, retryBaseMs: 20, networkRetries: 2, progressIntervalMs: 20 };
const REQUEST: RenderRequest = {
  prompt: 'a tomato',
  state1: 'fresh',
  state2: 'rotten',
  strength: 1.5,
  frames: 3,
  iterations: 0,
  steps: 1,
  seed: 7,
  width: 64,
  height: 64,
  guidanceScale: 3.5,
  maxSequenceLength: 256,
};

type Failure = { error: { name: string; message: string } };
function ok<T>(value: T | Failure | undefined): T {
  if (value && typeof value === 'object' && 'error' in value) throw new Error(`${value.error.name}: ${value.error.message}`);
  return value as T;
}
function failed(value: unknown): { name: string; message: string } {
  if (value && typeof value === 'object' && 'error' in value) return (value as Failure).error;
  throw new Error(`expected a failure, got ${JSON.stringify(value).slice(0, 300)}`);
}

let server: FaultServer;
let base: string;
test.beforeAll(async () => {
  server = await startFaultServer();
  server.addBundle('tiny', { manifest: expected, files });
  base = `${server.origin}/b/tiny/`;
});
test.afterAll(async () => {
  await server?.close();
});
test.beforeEach(() => {
  server.clearFaults();
  server.resetStats();
});

/** H1's source description with its URLs on the fault server; `change` edits it (fault cases). */
function source(change: (s: SourceDescription) => void = () => {}): SourceDescription {
  const s = json<SourceDescription>('source.json');
  const at = (url: string) => new URL(url.replace(PREFIX, ''), base).href;
  s.template = at(s.template);
  for (const c of Object.values(s.components)) c.url = at(c.url);
  for (const f of s.files) f.url = at(f.url);
  change(s);
  return s;
}
/** A component served from another file (a fault variant), described by its real size and no sha256. */
const swap = (component: 'transformer', rel: string, bytes?: number) => (s: SourceDescription) => {
  s.components[component] = {
    ...s.components[component],
    url: new URL(rel, base).href,
    bytes: bytes ?? files.get(rel)!.length,
    sha256: null,
  };
};
const noHashes = (s: SourceDescription) => {
  for (const c of Object.values(s.components)) c.sha256 = null;
};
const sourceBytes = (rel: string) =>
  server
    .stats()
    .log.filter((e) => e.method === 'GET' && e.path === `/b/tiny/${rel}`)
    .reduce((n, e) => n + e.bytes, 0);

/** The GETs of a source tile the file once, in order: header range reads, then at most one request for the rest. */
function expectOnePass(rel: string, size: number): void {
  const gets = server.stats().log.filter((e) => e.method === 'GET' && e.path === `/b/tiny/${rel}`);
  let end = 0;
  for (const e of gets) {
    expect([rel, e.start]).toEqual([rel, end]);
    end += e.bytes;
  }
  expect([rel, end]).toEqual([rel, size]);
  expect(gets.length).toBeLessThanOrEqual(3);
}

async function harness(page: Page): Promise<void> {
  await page.goto('/tests/pages/assemble.html');
  await expect(page.locator('#status')).toHaveText('ready');
  await page.evaluate((o) => (window.assembleTest.options = o), OPTIONS);
  ok(await page.evaluate(() => window.assembleTest.deleteBundle()));
}
const assemble = (page: Page, s: SourceDescription) => page.evaluate((x) => window.assembleTest.assemble(x), s);
const plan = (page: Page, s: SourceDescription) => page.evaluate((x) => window.assembleTest.plan(x), s);
const storage = async (page: Page) => ok<StorageReport>(await page.evaluate(() => window.assembleTest.storage()));

/** Every file the engine reads from the stored bundle equals expected/ byte for byte (sha256 of what was read). */
async function expectLikeExpected(page: Page, manifestUrl: string): Promise<void> {
  const opened = ok(await page.evaluate((u) => window.assembleTest.open(u), manifestUrl));
  expect(opened.version).toBe(expected.version);
  for (const f of opened.files) {
    const want = sha256(files.get(`expected/${f.path}`)!);
    expect([f.path, f.sha256, f.listed]).toEqual([f.path, want, want]);
  }
  const shards = (m: BundleManifest) => Object.values(m.components).flatMap((c) => c.external_data);
  expect(shards(opened.manifest)).toEqual(shards(expected));
}

test('assembles the tiny model byte for byte like the exporter, and renders exactly like the exported bundle', async ({ page }) => {
  test.setTimeout(120_000);
  await harness(page);
  const s = source();
  const before = ok<AssemblyPlan>(await plan(page, s));
  expect(before).toMatchObject({ bundleId: s.id, cachedBytes: 0, complete: false, fits: true });
  const shardBytes = Object.values(expected.components).reduce((n, c) => n + c.external_data.reduce((m, f) => m + f.bytes, 0), 0);
  const result = ok<AssemblyResult>(await assemble(page, s));
  expect(result).toMatchObject({ bundleId: s.id, version: expected.version, manifestUrl: `assembled:${s.id}`, writtenBytes: shardBytes });
  // Every source is read once: its header by range, the rest in one request; no byte twice.
  for (const c of Object.values(s.components)) expectOnePass(new URL(c.url).pathname.replace('/b/tiny/', ''), c.bytes);
  await expectLikeExpected(page, result.manifestUrl);
  expect(ok<AssemblyPlan>(await plan(page, s))).toMatchObject({ complete: true, cachedBytes: before.storedBytes, downloadBytes: 0 });
  server.resetStats();
  expect(ok<AssemblyResult>(await assemble(page, s))).toMatchObject({ version: expected.version, downloadedBytes: 0, writtenBytes: 0 });
  expect(server.stats().requests).toBe(1); // template.json only
  const events = await page.evaluate(() => window.assembleTest.events());
  expect(events.filter((e) => e.type === 'download').at(-1)).toMatchObject({
    bundleLoaded: before.storedBytes,
    bundleTotal: before.storedBytes,
  });

  const mine = ok(await page.evaluate(([u, r]) => window.assembleTest.render(u, r), [result.manifestUrl, REQUEST] as const));
  const theirs = ok(await page.evaluate(([u, r]) => window.assembleTest.render(u, r), [`${base}expected/manifest.json`, REQUEST] as const));
  expect(mine).toMatchObject({ backend: 'wasm', cached: false });
  expect(mine.frames).toHaveLength(3);
  expect(mine.frames).toEqual(theirs.frames);
});

test('copied files without a published size and hash are fetched once, hashed and pinned in the manifest', async ({ page }) => {
  await harness(page);
  const s = source((d) => {
    for (const f of d.files) Object.assign(f, { bytes: null, sha256: null });
  });
  expect(s.files.length).toBeGreaterThan(0);
  const result = ok<AssemblyResult>(await assemble(page, s));
  // The same bundle as with the hashes given: each pinned hash is the file's real sha256.
  expect(result.version).toBe(expected.version);
  await expectLikeExpected(page, result.manifestUrl);
});

test('fault files: unknown quant type, truncated, wrong shape, each named; nothing is written or committed', async ({ page }) => {
  await harness(page);
  const cases: [string, (s: SourceDescription) => void, RegExp][] = [
    [
      'unknown type',
      swap('transformer', 'sources/faults/unknown-type.gguf'),
      /unknown-type\.gguf: tensor double_blocks\.0\.img_attn\.proj\.weight has unknown ggml type 99/,
    ],
    // Described as the whole file (87200 bytes), served cut: the host's size gives it away.
    [
      'truncated',
      swap('transformer', 'sources/faults/truncated.gguf', files.get('sources/transformer.gguf')!.length),
      /truncated\.gguf: the host's file has 58133 bytes, the source description says 87200: the file is truncated/,
    ],
    [
      'wrong shape',
      swap('transformer', 'sources/faults/wrong-shape.gguf'),
      /tensor double_blocks\.0\.img_attn\.proj\.weight in wrong-shape\.gguf: expected \[32, 32\], got \[31, 32\]/,
    ],
  ];
  for (const [what, change, message] of cases) {
    const error = failed(await assemble(page, source(change)));
    expect([what, error.name]).toEqual([what, 'BundleInvalid']);
    expect(error.message).toMatch(message);
  }
  const report = await storage(page);
  expect(report.bundles).toEqual([]);
  expect(report.usedBytes).toBe(0);
});

test('a wrong sha256 on a source assembles nothing: its pass fails by name, what was written from it is deleted', async ({ page }) => {
  await harness(page);
  // The decoder is the last source read: the other components are written by then.
  const wrong = source((s) => (s.components.decoder.sha256 = '0'.repeat(64)));
  const error = failed(await assemble(page, wrong));
  expect(error.name).toBe('IntegrityMismatch');
  expect(error.message).toMatch(/decoder\.safetensors: sha256 \w+ \(646916 bytes\), the source description says 0{64}/);
  expectOnePass('sources/decoder.safetensors', wrong.components.decoder.bytes);
  expect((await storage(page)).bundles.map((b) => b.state)).toEqual(['partial']);
  expect(failed(await page.evaluate((u) => window.assembleTest.engineLoad(u), `assembled:${wrong.id}`)).name).toBe('ModelNotDownloaded');
  // The store holds exactly what the plan counts (the other components, graphs, tokenizers): no decoder shard chunk is left.
  const decoderShards = expected.components.decoder.external_data.reduce((n, f) => n + f.bytes, 0);
  const p = ok<AssemblyPlan>(await plan(page, wrong));
  expect(p.cachedBytes).toBe(p.storedBytes - decoderShards);
  expect(await page.evaluate(() => window.assembleTest.chunkBytes())).toBe(p.cachedBytes);
  // With the right sha256 only the decoder is read again.
  server.resetStats();
  const result = ok<AssemblyResult>(await assemble(page, source()));
  expect(Object.keys(server.stats().byPath).filter((path) => path.includes('/sources/'))).toEqual(['/b/tiny/sources/decoder.safetensors']);
  await expectLikeExpected(page, result.manifestUrl);
});

test('a host that ignores Range is refused with a clear DownloadFailed', async ({ page }) => {
  await harness(page);
  const s = source(noHashes);
  server.fault('sources/clip.safetensors', { ignoreRange: true, times: 100 });
  const error = failed(await assemble(page, s));
  expect(error.name).toBe('DownloadFailed');
  expect(error.message).toMatch(
    /clip\.safetensors: the host ignored the Range request \(HTTP 200\); the assembler reads weight files in parts and needs a host that serves byte ranges/,
  );
  expect((await storage(page)).bundles.filter((b) => b.state === 'complete')).toEqual([]);
});

test('cancel, then a reload, in the middle: the next run resumes at the last stored tensor and reads less', async ({ page }) => {
  test.setTimeout(120_000);
  await harness(page);
  // Hashed sources; the decoder's (read last; 67 small tensors, then the unused encoder) slowed down.
  // Its pass resumes at a tensor boundary with the SHA-256 state saved there.
  const s = source();
  const decoder = 'sources/decoder.safetensors';
  server.fault(decoder, { bytesPerSecond: 50_000, times: 1000 });
  const stored = async () => ok<AssemblyPlan>(await plan(page, s)).cachedBytes;
  const decoderShards = expected.components.decoder.external_data.reduce((n, f) => n + f.bytes, 0);
  const others = ok<AssemblyPlan>(await plan(page, s)).storedBytes - decoderShards;

  await page.evaluate((x) => window.assembleTest.start(x), s);
  await expect.poll(stored, { timeout: 30_000 }).toBeGreaterThan(others + 60_000);
  await page.evaluate(() => window.assembleTest.cancel());
  expect(failed(await page.evaluate(() => window.assembleTest.wait())).name).toBe('AbortError');
  const afterCancel = await stored();
  expect(afterCancel).toBeLessThan(others + decoderShards);
  expect((await storage(page)).bundles.map((b) => b.state)).toEqual(['partial']);

  // Go on, then break off with a reload (no cancel: the page just goes away).
  server.resetStats();
  await page.evaluate((x) => window.assembleTest.start(x), s);
  await expect.poll(stored, { timeout: 30_000 }).toBeGreaterThan(afterCancel + 60_000);
  await page.reload();
  await expect(page.locator('#status')).toHaveText('ready');
  await page.evaluate((o) => (window.assembleTest.options = o), OPTIONS);
  const afterReload = await stored();
  expect(afterReload).toBeGreaterThan(afterCancel);
  // The second run began where the first stopped: its request for the decoder's tensor data starts far past the data start.
  const dataStart = 8 + Number(files.get(decoder)!.readBigUInt64LE(0));
  const starts = server
    .stats()
    .log.filter((e) => e.path === `/b/tiny/${decoder}` && e.range)
    .map((e) => Number(/^bytes=(\d+)-/.exec(e.range!)![1]))
    .filter((start) => start >= dataStart);
  expect(Math.min(...starts)).toBeGreaterThan(dataStart + 50_000);

  server.clearFaults();
  server.resetStats();
  const result = ok<AssemblyResult>(await assemble(page, s));
  expect(sourceBytes(decoder)).toBeLessThan(files.get(decoder)!.length - 100_000);
  expect(Object.keys(server.stats().byPath).filter((path) => path.includes('/sources/'))).toEqual([`/b/tiny/${decoder}`]);
  expect(result.writtenBytes).toBeLessThan(decoderShards - 100_000);
  await expectLikeExpected(page, result.manifestUrl);
});

test('after a reload and offline, the assembled bundle opens from IndexedDB and loads in the engine', async ({ page, context }) => {
  await harness(page);
  const s = source();
  const result = ok<AssemblyResult>(await assemble(page, s));
  await page.reload();
  await expect(page.locator('#status')).toHaveText('ready');
  await page.evaluate(() => window.assembleTest.loadEngine());
  await context.setOffline(true);
  server.resetStats();
  try {
    await expectLikeExpected(page, result.manifestUrl);
    expect(ok(await page.evaluate((u) => window.assembleTest.engineLoad(u), result.manifestUrl))).toMatchObject({
      id: s.id,
      version: expected.version,
      graphIsBlob: true,
    });
    // The UI's plan and a repeated assemble also work offline: the template cannot be fetched, the bundle is there.
    const planned = ok<AssemblyPlan>(await plan(page, s));
    expect(planned).toMatchObject({ complete: true, downloadBytes: 0 });
    expect(planned.storedBytes).toBe(planned.cachedBytes);
    expect(ok<AssemblyResult>(await assemble(page, s))).toMatchObject({ version: expected.version, writtenBytes: 0 });
    expect(server.stats().requests).toBe(0);
  } finally {
    await context.setOffline(false);
  }
  // Deleted, it is gone: the engine says so by name.
  ok(await page.evaluate((id) => window.assembleTest.deleteBundle(id), s.id));
  expect(failed(await page.evaluate((u) => window.assembleTest.engineLoad(u), result.manifestUrl)).name).toBe('ModelNotDownloaded');
  expect((await storage(page)).usedBytes).toBe(0);
});

test('the same assembler through the app worker and comlink', async ({ page }) => {
  await harness(page);
  const s = source();
  await page.evaluate(() => window.assembleTest.viaWorker.start());
  expect(ok<AssemblyPlan>(await page.evaluate((x) => window.assembleTest.viaWorker.plan(x), s))).toMatchObject({
    bundleId: s.id,
    complete: false,
  });
  const result = ok<AssemblyResult>(await page.evaluate((x) => window.assembleTest.viaWorker.assemble(x), s));
  expect(result).toMatchObject({ manifestUrl: `assembled:${s.id}`, version: expected.version });
  expect((await page.evaluate(() => window.assembleTest.events())).some((e) => e.type === 'download')).toBe(true);
  await expectLikeExpected(page, result.manifestUrl);
});

test('no source is staged: storage while assembling stays under the bundle + 5 %, each source read in one pass', async ({ page }) => {
  await harness(page);
  const s = source();
  const planned = ok<AssemblyPlan>(await plan(page, s));
  const { result, peak } = await page.evaluate((x) => window.assembleTest.assembleSampled(x), s);
  await expectLikeExpected(page, ok<AssemblyResult>(result).manifestUrl);
  for (const c of Object.values(s.components)) expectOnePass(new URL(c.url).pathname.replace('/b/tiny/', ''), c.bytes);
  console.log(
    `bundle ${planned.storedBytes} B; peak while assembling: chunks ${peak.chunkBytes} B, store accounting ${peak.usedBytes} B, ` +
      `navigator.storage.estimate() usage +${peak.usage - peak.usageBefore} B (${peak.samples} samples)`,
  );
  expect(peak.samples).toBeGreaterThan(10);
  expect(peak.chunkBytes).toBe(planned.storedBytes); // reached at the end, never more before
  expect(peak.chunkBytes).toBeLessThanOrEqual(planned.storedBytes * 1.05);
  expect(peak.usedBytes).toBeLessThanOrEqual(planned.storedBytes * 1.05);
});

test('a host that asks to wait (429, Retry-After) is waited for, and a stream that stalls is resumed where it stopped', async ({
  page,
}) => {
  await harness(page);
  await page.evaluate((o) => (window.assembleTest.options = o), { ...OPTIONS, stallMs: 300 });
  const s = source(noHashes);
  const clip = 'sources/clip.safetensors';
  // The first request (the header's first bytes) is answered 429 with Retry-After: 1; then the two header
  // reads go through and the stream of the rest stops sending after 20,000 bytes and holds the connection.
  server.fault(clip, { status: 429, retryAfter: 1 });
  server.fault(clip, { stallAfter: 20_000, times: 3 });
  const result = ok<AssemblyResult>(await assemble(page, s));
  const log = server.stats().log.filter((e) => e.path === `/b/tiny/${clip}`);
  expect(log[0]!.status).toBe(429);
  // Waited as asked (1 s), not the 20 ms backoff.
  expect(log[1]!.at - log[0]!.at).toBeGreaterThanOrEqual(950);
  const stalled = log.findIndex((e) => e.stalled);
  expect(log[stalled]!.bytes).toBe(20_000);
  // Resumed with Range at the first byte not received: nothing read twice.
  expect(log[stalled + 1]!.range).toBe(`bytes=${log[stalled]!.start! + 20_000}-`);
  await expectLikeExpected(page, result.manifestUrl);
});

test('a connection cut in the middle of a range read is retried; a quota too small stops before any write', async ({ page }) => {
  await harness(page);
  const s = source(noHashes);
  // The first two requests are the header's (8 bytes, then the JSON): the third, the stream of the rest, breaks and goes on.
  server.fault('sources/clip.safetensors', { cutAfter: 20_000, times: 3 });
  const result = ok<AssemblyResult>(await assemble(page, s));
  expect(
    server
      .stats()
      .log.filter((e) => e.cut)
      .map((e) => [e.path, e.bytes]),
  ).toEqual([['/b/tiny/sources/clip.safetensors', 20_000]]);
  await expectLikeExpected(page, result.manifestUrl);

  // The boundary only: what the browser says about quota.
  await page.addInitScript(() => {
    navigator.storage.estimate = async () => ({ usage: 100_000, quota: 600_000 });
  });
  await page.reload();
  await expect(page.locator('#status')).toHaveText('ready');
  await page.evaluate((o) => (window.assembleTest.options = o), OPTIONS);
  ok(await page.evaluate(() => window.assembleTest.deleteBundle()));
  const p = ok<AssemblyPlan>(await plan(page, s));
  expect(p).toMatchObject({ fits: false, estimate: { usage: 100_000, quota: 600_000 } });
  server.resetStats();
  const error = failed(await assemble(page, s));
  expect(error.name).toBe('QuotaExceeded');
  expect(error.message).toContain(`${p.storedBytes} bytes`);
  // Headers were read (validation comes first), but no file was downloaded and nothing stored.
  expect(server.stats().log.filter((e) => e.path.endsWith('.onnx') || e.path.includes('tokenizer'))).toEqual([]);
  expect(await storage(page)).toMatchObject({ bundles: [], usedBytes: 0 });
});
