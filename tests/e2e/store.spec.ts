// The model store in real Chromium (real IndexedDB, real fetch) against a local fault-injecting
// server (tests/server/fault-server.mjs) that this file starts. The store code runs in the harness
// page tests/pages/store.html, served by the Vite dev server of playwright.config.ts.
import { test, expect, type Page } from '@playwright/test';
import { startFaultServer, makeSyntheticBundle, changeFiles, type FaultServer, type SyntheticBundle } from '../server/fault-server.mjs';
import type { StoreTest } from '../pages/store-harness';
import type { BundleFile } from '../../src/shared/manifest';
import type { DownloadPlan, DownloadResult, StorageReport } from '../../src/shared/store-api';
import type { GeneratorEvent } from '../../src/shared/events';

declare global {
  interface Window {
    storeTest: StoreTest;
  }
}

const KiB = 1024;
const CHUNK = 64 * KiB;
const SHARDS = { clip: [96 * KiB], t5: [200 * KiB + 17], transformer: [640 * KiB, 384 * KiB + 123], decoder: [48 * KiB] };
/** Small chunks so that every file spans several; fast retries. */
const OPTIONS = { chunkBytes: CHUNK, retryBaseMs: 20, networkRetries: 3, progressIntervalMs: 50 };

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
test.beforeAll(async () => {
  server = await startFaultServer();
});
test.afterAll(async () => {
  await server?.close();
});
test.beforeEach(() => {
  server.clearFaults();
  server.resetStats();
});

let bundleCount = 0;
/** A fresh synthetic bundle served under its own name. */
function serve(shards: Parameters<typeof makeSyntheticBundle>[0] = {}): { url: string; bundle: SyntheticBundle; name: string } {
  const name = `b${++bundleCount}`;
  const bundle = makeSyntheticBundle({ id: `synthetic-${name}`, shards: SHARDS, ...shards });
  return { url: server.addBundle(name, bundle), bundle, name };
}

const filesOf = (b: SyntheticBundle): BundleFile[] => {
  const m = b.manifest;
  return [
    ...Object.values(m.components).flatMap((c) => [c.graph, ...c.external_data]),
    ...m.tokenizers.clip.files,
    ...m.tokenizers.t5.files,
  ];
};
const fileOf = (b: SyntheticBundle, suffix: string) => filesOf(b).find((f) => f.path.endsWith(suffix))!;
const totalOf = (b: SyntheticBundle) => filesOf(b).reduce((n, f) => n + f.bytes, 0);
const fileRequests = (name: string, suffix?: string) =>
  server
    .stats()
    .log.filter(
      (e) =>
        e.method === 'GET' && e.path.startsWith(`/b/${name}/`) && !e.path.endsWith('manifest.json') && (!suffix || e.path.endsWith(suffix)),
    );

async function harness(page: Page): Promise<void> {
  await page.goto('/tests/pages/store.html');
  await expect(page.locator('#status')).toHaveText('ready');
  await page.evaluate((o) => (window.storeTest.options = o), OPTIONS);
}

const download = (page: Page, url: string) => page.evaluate((u) => window.storeTest.download(u), url);
const plan = (page: Page, url: string) => page.evaluate((u) => window.storeTest.plan(u), url);
const storage = async (page: Page) => ok<StorageReport>(await page.evaluate(() => window.storeTest.storage()));

test('downloads a bundle with progress, then loads it from the store with zero requests', async ({ page }) => {
  await harness(page);
  const { url, bundle, name } = serve();
  const total = totalOf(bundle);

  const p = ok<DownloadPlan>(await plan(page, url));
  expect(p).toMatchObject({
    bundleId: bundle.manifest.id,
    version: bundle.manifest.version,
    totalBytes: total,
    cachedBytes: 0,
    downloadBytes: total,
    fits: true,
  });
  expect(p.byComponent.transformer.bytes).toBe(SHARDS.transformer[0]! + SHARDS.transformer[1]! + 4096);
  expect(p.estimate?.quota).toBeGreaterThan(0);

  const result = ok<DownloadResult>(await download(page, url));
  expect(result).toMatchObject({ bundleId: bundle.manifest.id, downloadedBytes: total, reusedBytes: 0 });
  expect(typeof result.persisted).toBe('boolean');
  expect(fileRequests(name).reduce((n, e) => n + e.bytes, 0)).toBe(total);

  // Progress: per file, never backwards, ends at the total; the bundle sum ends at the bundle total.
  const events = (await page.evaluate(() => window.storeTest.events())) as GeneratorEvent[];
  const downloads = events.filter((e) => e.type === 'download');
  for (const f of filesOf(bundle)) {
    const mine = downloads.filter((e) => e.file === f.path).map((e) => e.loaded);
    expect(mine, f.path).toEqual([...mine].sort((a, b) => a - b));
    expect(mine.at(-1), f.path).toBe(f.bytes);
  }
  expect(Math.max(...downloads.map((e) => e.bundleLoaded))).toBe(total);
  expect(downloads.every((e) => e.bundleTotal === total)).toBe(true);
  expect(downloads.some((e) => e.bytesPerSecond > 0)).toBe(true);
  const verified = events.filter((e) => e.type === 'verify');
  expect(verified).toHaveLength(filesOf(bundle).length);
  expect(verified.every((e) => e.ok && e.attempt === 1)).toBe(true);

  const report = await storage(page);
  expect(report.bundles).toEqual([
    expect.objectContaining({ id: bundle.manifest.id, state: 'complete', totalBytes: total, storedBytes: total }),
  ]);
  expect(report.usedBytes).toBe(total);

  // Cache hit: the store and the engine's loadBundle read the bundle without one request.
  server.resetStats();
  const opened = ok(await page.evaluate((u) => window.storeTest.open(u), url));
  for (const f of filesOf(bundle))
    expect(opened.files.find((g) => g.path === f.path)).toEqual({ path: f.path, size: f.bytes, isBlob: true, sha256: f.sha256 });
  const loaded = ok(await page.evaluate((u) => window.storeTest.engineLoad(u), url));
  expect(loaded).toEqual({ id: bundle.manifest.id, version: bundle.manifest.version, graphIsBlob: true, graphSize: 4096 });
  expect(server.stats().requests).toBe(0);

  // Downloading again fetches the manifest and nothing else.
  const again = ok<DownloadResult>(await download(page, url));
  expect(again).toMatchObject({ downloadedBytes: 0, reusedBytes: total });
  expect(fileRequests(name)).toHaveLength(0);
});

test('a connection cut mid-file resumes with a Range request for the missing part only', async ({ page }) => {
  await harness(page);
  const { url, bundle, name } = serve();
  const big = fileOf(bundle, 'transformer.onnx.data.0');
  const other = fileOf(bundle, 't5.onnx.data.0');
  const cut = 200_000; // not on a chunk boundary: the bytes before the cut are kept as a short chunk
  server.fault(big.path, { cutAfter: cut });
  // A second file: cut, and then the host ignores Range; the store skips what it has.
  server.fault(other.path, { cutAfter: 70_000 });
  server.fault(other.path, { ignoreRange: true });

  ok(await download(page, url));
  const log = fileRequests(name, big.path);
  expect(log.map((e) => [e.range, e.status, e.bytes, e.cut])).toEqual([
    [null, 200, cut, true],
    [`bytes=${cut}-`, 206, big.bytes - cut, false],
  ]);
  const otherLog = fileRequests(name, other.path);
  expect(otherLog.map((e) => [e.range, e.status, e.bytes])).toEqual([
    [null, 200, 70_000],
    ['bytes=70000-', 200, other.bytes],
  ]);
  const opened = ok(await page.evaluate((u) => window.storeTest.open(u), url));
  expect(opened.files.find((f) => f.path === big.path)?.sha256).toBe(big.sha256);
  expect(opened.files.find((f) => f.path === other.path)?.sha256).toBe(other.sha256);
});

test('a host whose file is longer than the manifest says is caught from its Content-Length, before the body is read', async ({ page }) => {
  await harness(page);
  const served = serve();
  const bad = fileOf(served.bundle, 't5.onnx.data.0');
  server.fault(bad.path, { extraBytes: 1000, times: 100 });
  const error = failed(await download(page, served.url));
  expect(error.name).toBe('IntegrityMismatch');
  expect(error.message).toContain(`the host serves ${bad.bytes + 1000} bytes, the manifest says ${bad.bytes}`);
  // Two tries (the integrity budget), each given up at the headers: not one byte of either body was read
  // (before this check the app read both bodies whole, then found the extra bytes).
  expect(fileRequests(served.name, bad.path)).toHaveLength(2);
  const loaded = ((await page.evaluate(() => window.storeTest.events())) as GeneratorEvent[]).flatMap((e) =>
    e.type === 'download' && e.file === bad.path ? [e.loaded] : [],
  );
  expect(Math.max(0, ...loaded)).toBe(0);
  expect(failed(await page.evaluate((u) => window.storeTest.open(u), served.url)).name).toBe('ModelNotDownloaded');
});

test('corrupted bytes are caught, discarded and fetched again; a host that corrupts twice fails with IntegrityMismatch, no third download', async ({
  page,
}) => {
  await harness(page);
  const first = serve();
  const shard = fileOf(first.bundle, 't5.onnx.data.0');
  server.fault(shard.path, { corrupt: true });
  ok(await download(page, first.url));
  expect(fileRequests(first.name, shard.path).map((e) => e.bytes)).toEqual([shard.bytes, shard.bytes]);
  const verifies = ((await page.evaluate(() => window.storeTest.events())) as GeneratorEvent[]).filter(
    (e) => e.type === 'verify' && e.file === shard.path,
  );
  expect(verifies.map((e) => e.type === 'verify' && [e.ok, e.attempt, e.attempts])).toEqual([
    [false, 1, 2],
    [true, 2, 2],
  ]);
  expect(ok(await page.evaluate((u) => window.storeTest.open(u), first.url)).files.find((f) => f.path === shard.path)?.sha256).toBe(
    shard.sha256,
  );

  const second = serve();
  const bad = fileOf(second.bundle, 'decoder.onnx.data.0');
  server.fault(bad.path, { corrupt: [5], times: 100 });
  const error = failed(await download(page, second.url));
  expect(error.name).toBe('IntegrityMismatch');
  expect(error.message).toContain(bad.path);
  expect(error.message).toContain('2 times');
  expect(fileRequests(second.name, bad.path)).toHaveLength(2);
  // Never handed out: the bundle is not complete, and the bad file is not stored.
  expect(failed(await page.evaluate((u) => window.storeTest.open(u), second.url)).name).toBe('ModelNotDownloaded');
  const report = await storage(page);
  const partial = report.bundles.find((b) => b.id === second.bundle.manifest.id)!;
  expect(partial.state).toBe('partial');
  expect(partial.completeFiles).toBeLessThan(partial.files);
});

test('404, an unreachable host and being offline are reported by name', async ({ page, context }) => {
  await harness(page);
  const missing = failed(await plan(page, `${server.origin}/b/nothing-here/manifest.json`));
  expect(missing.name).toBe('NotFound');

  const { url, bundle } = serve();
  server.fault(fileOf(bundle, 'clip.onnx.data.0').path, { status: 404 });
  const shard404 = failed(await download(page, url));
  expect(shard404).toMatchObject({ name: 'NotFound' });
  expect(shard404.message).toContain('clip/clip.onnx.data.0');

  // A port nothing listens on: bind one, then close it.
  const closed = await startFaultServer();
  const deadUrl = `${closed.origin}/b/x/manifest.json`;
  await closed.close();
  const unreachable = failed(await plan(page, deadUrl));
  expect(unreachable.name).toBe('DownloadFailed');
  expect(unreachable.message).toContain(`127.0.0.1:${closed.port}`);

  await context.setOffline(true);
  const offline = failed(await download(page, serve().url));
  expect(offline.name).toBe('Offline');
  await context.setOffline(false);
});

test('a quota smaller than the bundle is reported before any file is fetched', async ({ page }) => {
  // The boundary only: what the browser says about quota.
  await page.addInitScript(() => {
    navigator.storage.estimate = async () => ({ usage: 100_000, quota: 600_000 });
  });
  await harness(page);
  const { url, bundle, name } = serve();
  const total = totalOf(bundle);
  const p = ok<DownloadPlan>(await plan(page, url));
  expect(p.fits).toBe(false);
  expect(p.estimate).toEqual({ usage: 100_000, quota: 600_000 });
  const error = failed(await download(page, url));
  expect(error.name).toBe('QuotaExceeded');
  expect(error.message).toContain(`${total} bytes`);
  expect(error.message).toContain('500000 bytes');
  expect(fileRequests(name)).toHaveLength(0);
  expect((await storage(page)).bundles).toEqual([]);
});

test('a QuotaExceededError from IndexedDB during the download surfaces as QuotaExceeded', async ({ page }) => {
  // The estimate says there is room; the real quota (set through DevTools) says otherwise.
  await page.addInitScript(() => {
    navigator.storage.estimate = async () => ({ usage: 0, quota: 1e12 });
  });
  await harness(page);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(page.url()).origin, quotaSize: 400_000 });
  const { url } = serve();
  const error = failed(await download(page, url));
  expect(error.name).toBe('QuotaExceeded');
  expect(error.message).toMatch(/refused to store more/);
  // The refusal is learned: the next plan no longer believes the estimate (usage 0 of 1 TB) and refuses,
  // and the storage report carries where the browser refused, for the panel's line.
  const next = ok<DownloadPlan>(await plan(page, url));
  expect(next.estimate).toEqual({ usage: 0, quota: 0, refusedAt: 0 });
  expect(next.fits).toBe(false);
  expect((await storage(page)).estimate).toEqual({ usage: 0, quota: 0, refusedAt: 0 });
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(page.url()).origin });
});

test('a reload in the middle of a download resumes where the stored chunks end', async ({ page }) => {
  await harness(page);
  const { url, bundle, name } = serve();
  const big = fileOf(bundle, 'transformer.onnx.data.0');
  server.fault(big.path, { stallAfter: 300_000 });
  await page.evaluate((u) => window.storeTest.start(u), url);
  // Wait until the stalled file has its first chunks stored (300000 bytes arrived: 4 chunks of 64 KiB).
  await expect
    .poll(async () => ok<DownloadPlan>(await plan(page, url)).files.find((f) => f.path === big.path)?.cachedBytes, { timeout: 20_000 })
    .toBe(4 * CHUNK);
  await page.reload();
  await expect(page.locator('#status')).toHaveText('ready');
  await page.evaluate((o) => (window.storeTest.options = o), OPTIONS);

  const before = ok<DownloadPlan>(await plan(page, url));
  expect(before.files.find((f) => f.path === big.path)).toMatchObject({ state: 'partial', cachedBytes: 4 * CHUNK });
  expect((await storage(page)).bundles[0]).toMatchObject({ state: 'partial' });
  server.resetStats();
  const result = ok<DownloadResult>(await download(page, url));
  expect(result.downloadedBytes).toBe(before.downloadBytes);
  expect(fileRequests(name, big.path).map((e) => [e.range, e.status, e.bytes])).toEqual([
    [`bytes=${4 * CHUNK}-`, 206, big.bytes - 4 * CHUNK],
  ]);
  expect(ok(await page.evaluate((u) => window.storeTest.open(u), url)).files.find((f) => f.path === big.path)?.sha256).toBe(big.sha256);
});

test('a host that stops sending mid-body is dropped after the stall timeout and the file resumes where it stopped', async ({ page }) => {
  await harness(page);
  const { url, bundle, name } = serve();
  const big = fileOf(bundle, 'transformer.onnx.data.0');
  // The first two responses send 300000 bytes and then hold the connection open without sending.
  server.fault(big.path, { stallAfter: 300_000, times: 2 });
  await page.evaluate((o) => (window.storeTest.options = { ...o, stallMs: 1500 }), OPTIONS);
  const started = Date.now();
  ok(await download(page, url));
  const requests = fileRequests(name, big.path);
  expect(requests.map((e) => e.stalled ?? false)).toEqual([true, true, false]);
  // What arrived before each stall is stored, and the next request asks for the rest: no byte twice.
  expect(requests.map((e) => e.range)).toEqual([null, 'bytes=300000-', 'bytes=600000-']);
  expect(requests.reduce((n, e) => n + e.bytes, 0)).toBe(big.bytes);
  expect(Date.now() - started).toBeLessThan(60_000);
  expect(ok(await page.evaluate((u) => window.storeTest.open(u), url)).files.find((f) => f.path === big.path)?.sha256).toBe(big.sha256);
});

test('a host answering 429 with Retry-After is waited for as asked; one that keeps answering 429 is named', async ({ page }) => {
  await harness(page);
  const first = serve();
  const shard = fileOf(first.bundle, 'clip.onnx.data.0');
  server.fault(shard.path, { status: 429, retryAfter: 1, times: 2 });
  const started = Date.now();
  ok(await download(page, first.url));
  // Two pauses of the 1 s the host asked for (the store's own backoff here starts at 20 ms).
  expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
  expect(fileRequests(first.name, shard.path).map((e) => e.status)).toEqual([429, 429, 200]);
  // The progress line is told why it pauses and for how long (it says so instead of a time left).
  const waits = ((await page.evaluate(() => window.storeTest.events())) as GeneratorEvent[]).filter((e) => e.type === 'wait');
  expect(waits).toEqual([
    { type: 'wait', file: shard.path, ms: 1000, cause: 'host-asked' },
    { type: 'wait', file: shard.path, ms: 1000, cause: 'host-asked' },
  ]);

  const second = serve();
  const busy = fileOf(second.bundle, 'clip.onnx.data.0');
  server.fault(busy.path, { status: 429, times: 100 });
  const error = failed(await download(page, second.url));
  expect(error.name).toBe('DownloadFailed');
  expect(error.message).toContain('answered 429');
  expect(error.message).toContain('too many requests');
});

test('a database of our name without our object store (opened first by something else) is upgraded, keeping what it held', async ({
  page,
}) => {
  await harness(page);
  await page.evaluate(
    () =>
      new Promise<void>((resolve, reject) => {
        const opening = indexedDB.open('time-stream-models');
        opening.onupgradeneeded = () => opening.result.createObjectStore('other').put('kept', 'key');
        opening.onsuccess = () => (opening.result.close(), resolve());
        opening.onerror = () => reject(opening.error);
      }),
  );
  const { url } = serve();
  ok(await download(page, url));
  expect(ok(await page.evaluate((u) => window.storeTest.open(u), url)).files.length).toBeGreaterThan(0);
  const other = await page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const opening = indexedDB.open('time-stream-models');
        opening.onsuccess = () => {
          const database = opening.result;
          const read = database.transaction('other').objectStore('other').get('key');
          read.onsuccess = () => resolve({ version: database.version, stores: [...database.objectStoreNames], value: read.result });
        };
        opening.onerror = () => reject(opening.error);
      }),
  );
  expect(other).toEqual({ version: 2, stores: ['other', 'records'], value: 'kept' });
});

test('a stored byte flipped after the download is caught before any session uses it; only that file is fetched again', async ({ page }) => {
  await harness(page);
  const { url, bundle, name } = serve();
  const shard = fileOf(bundle, 't5.onnx.data.0');
  ok(await download(page, url));
  expect(await page.evaluate((u) => window.storeTest.verifyAll(u), url)).toBe('ok');
  ok(await page.evaluate(([sha, at]) => window.storeTest.damageStoredFile(sha, at), [shard.sha256, 1000] as const));
  // A new worker (page) has not verified anything yet: the damaged file is found by its hash.
  await harness(page);
  const error = failed(await page.evaluate((u) => window.storeTest.verifyAll(u), url));
  expect(error.name).toBe('StorageDamaged');
  expect(error.message).toContain(shard.path);
  // Only that file is missing now, and a download fetches exactly it.
  const after = ok<DownloadPlan>(await plan(page, url));
  expect(after.downloadBytes).toBe(shard.bytes);
  server.resetStats();
  ok(await download(page, url));
  expect(
    fileRequests(name)
      .filter((e) => !e.path.endsWith('manifest.json'))
      .every((e) => e.path.endsWith(shard.path)),
  ).toBe(true);
  expect(fileRequests(name, shard.path)).toHaveLength(1);
  expect(await page.evaluate((u) => window.storeTest.verifyAll(u), url)).toBe('ok');
});

test('two tabs: the second download waits for the first and fetches nothing; a delete while another tab downloads is refused', async ({
  page,
  context,
}) => {
  await harness(page);
  const other = await context.newPage();
  await harness(other);
  const { url, bundle, name } = serve();
  const big = fileOf(bundle, 'transformer.onnx.data.0');
  server.fault(big.path, { bytesPerSecond: 300_000 });
  await page.evaluate((u) => window.storeTest.start(u), url);
  await expect.poll(() => fileRequests(name, big.path).length, { timeout: 10_000 }).toBe(1);
  const refused = failed(await other.evaluate((id) => window.storeTest.deleteBundle(id), bundle.manifest.id));
  expect(refused.message).toContain('another tab');
  const second = other.evaluate((u) => window.storeTest.download(u), url);
  ok(await page.evaluate(() => window.storeTest.wait()));
  expect(ok<DownloadResult>(await second).downloadedBytes).toBe(0);
  // Every file was fetched once, by the first tab.
  for (const file of filesOf(bundle)) expect(fileRequests(name, file.path), file.path).toHaveLength(1);
  expect(ok(await other.evaluate((u) => window.storeTest.open(u), url)).files.find((f) => f.path === big.path)?.sha256).toBe(big.sha256);
  await other.close();
});

test('a stored model in use for a run in one tab cannot be deleted from another; once the run ends it can', async ({
  page,
  context,
  baseURL,
}) => {
  await harness(page);
  const url = `${baseURL}/models/tiny/manifest.json`;
  ok(await download(page, url));
  const other = await context.newPage();
  await harness(other);
  // What the engine does for a run on a stored bundle (workers/engine.ts: bundle.use around the job).
  expect(ok(await page.evaluate((u) => window.storeTest.holdUse(u), url))).toBe('held');
  const refused = failed(await other.evaluate((id) => window.storeTest.deleteBundle(id), 'tiny-random-flux-schnell'));
  expect(refused.message).toContain('used for a run in another tab');
  ok(await page.evaluate(() => window.storeTest.releaseUse()));
  const report = ok<StorageReport>(await other.evaluate((id) => window.storeTest.deleteBundle(id), 'tiny-random-flux-schnell'));
  expect(report.bundles).toHaveLength(0);
  await other.close();
});

test('cancel stops between chunks and keeps what was stored for the next download', async ({ page }) => {
  await harness(page);
  const { url, bundle, name } = serve();
  const big = fileOf(bundle, 'transformer.onnx.data.0');
  server.fault(big.path, { bytesPerSecond: 400_000 });
  await page.evaluate((u) => window.storeTest.start(u), url);
  await expect.poll(() => fileRequests(name, big.path)[0]?.bytes ?? 0, { timeout: 10_000 }).toBeGreaterThan(150_000);
  await page.evaluate(() => window.storeTest.cancel());
  expect(failed(await page.evaluate(() => window.storeTest.wait())).name).toBe('AbortError');
  const stored = ok<DownloadPlan>(await plan(page, url)).files.find((f) => f.path === big.path)!.cachedBytes;
  expect(stored).toBeGreaterThan(100_000);
  server.resetStats();
  ok(await download(page, url));
  expect(fileRequests(name, big.path).map((e) => [e.range, e.bytes])).toEqual([[`bytes=${stored}-`, big.bytes - stored]]);
});

test('offline, a fully stored bundle still opens, plans and loads in the engine', async ({ page, context }) => {
  await harness(page);
  const { url, bundle } = serve();
  ok(await download(page, url));
  await page.evaluate(() => window.storeTest.loadEngine());
  await context.setOffline(true);
  server.resetStats();
  const opened = ok(await page.evaluate((u) => window.storeTest.open(u), url));
  expect(opened.files.every((f) => f.sha256 === fileOf(bundle, f.path).sha256)).toBe(true);
  expect(ok(await page.evaluate((u) => window.storeTest.engineLoad(u), url))).toMatchObject({ graphIsBlob: true });
  expect(ok<DownloadPlan>(await plan(page, url))).toMatchObject({ downloadBytes: 0, installedVersion: bundle.manifest.version });
  expect(ok<DownloadResult>(await download(page, url))).toMatchObject({ downloadedBytes: 0 });
  expect(server.stats().requests).toBe(0);
  await context.setOffline(false);
});

test('a new version downloads only the changed file, and the old version is removed', async ({ page }) => {
  await harness(page);
  const { url, bundle, name } = serve();
  ok(await download(page, url));
  const changedPath = 'transformer/transformer.onnx.data.1';
  const v2 = changeFiles(bundle, [changedPath]);
  server.addBundle(name, v2);
  server.resetStats();

  const p = ok<DownloadPlan>(await plan(page, url));
  expect(p).toMatchObject({
    version: v2.manifest.version,
    installedVersion: bundle.manifest.version,
    downloadBytes: fileOf(v2, changedPath).bytes,
  });
  const result = ok<DownloadResult>(await download(page, url));
  expect(result).toMatchObject({
    version: v2.manifest.version,
    downloadedBytes: fileOf(v2, changedPath).bytes,
    removedBytes: fileOf(bundle, changedPath).bytes,
  });
  expect(fileRequests(name).map((e) => e.path)).toEqual([`/b/${name}/${changedPath}`]);
  const report = await storage(page);
  expect(report.bundles).toEqual([expect.objectContaining({ version: v2.manifest.version, state: 'complete' })]);
  expect(report.usedBytes).toBe(totalOf(v2));
  const opened = ok(await page.evaluate((u) => window.storeTest.open(u), url));
  expect(opened.files.find((f) => f.path === changedPath)?.sha256).toBe(fileOf(v2, changedPath).sha256);
});

test('a stored bundle whose chunks vanished is StorageEvicted, and only the missing file is fetched again', async ({ page }) => {
  await harness(page);
  const { url, bundle, name } = serve();
  ok(await download(page, url));
  const lost = fileOf(bundle, 't5.onnx.data.0');
  expect(await page.evaluate((sha) => window.storeTest.evict(sha), lost.sha256)).toBe(4);
  // The engine's loadBundle surfaces it; the bundle is then no longer complete.
  const error = failed(await page.evaluate((u) => window.storeTest.engineLoad(u), url));
  expect(error.name).toBe('StorageEvicted');
  expect(error.message).toContain('only the missing part');
  expect(failed(await page.evaluate((u) => window.storeTest.open(u), url)).name).toBe('ModelNotDownloaded');
  expect((await storage(page)).bundles[0]).toMatchObject({ state: 'partial' });
  server.resetStats();
  expect(ok<DownloadResult>(await download(page, url)).downloadedBytes).toBe(lost.bytes);
  expect(fileRequests(name).map((e) => e.path)).toEqual([`/b/${name}/${lost.path}`]);
  expect(ok(await page.evaluate((u) => window.storeTest.open(u), url)).files.find((f) => f.path === lost.path)?.sha256).toBe(lost.sha256);
});

test('delete frees the storage: one bundle, then everything', async ({ page }) => {
  await harness(page);
  const a = serve();
  const b = serve();
  ok(await download(page, a.url));
  ok(await download(page, b.url));
  const full = await storage(page);
  expect(full.usedBytes).toBe(totalOf(a.bundle) + totalOf(b.bundle));
  const usageFull = full.estimate!.usage;

  const afterOne = ok<StorageReport>(await page.evaluate((id) => window.storeTest.deleteBundle(id), a.bundle.manifest.id));
  expect(afterOne.bundles.map((x) => x.id)).toEqual([b.bundle.manifest.id]);
  expect(afterOne.usedBytes).toBe(totalOf(b.bundle));
  expect(failed(await page.evaluate((u) => window.storeTest.open(u), a.url)).name).toBe('ModelNotDownloaded');

  const empty = ok<StorageReport>(await page.evaluate(() => window.storeTest.deleteBundle()));
  expect(empty).toMatchObject({ bundles: [], usedBytes: 0 });
  // The browser's own count follows (it may lag a little behind the deletion).
  await expect
    .poll(async () => (await page.evaluate(() => window.storeTest.estimate())).usage ?? 0, { timeout: 10_000 })
    .toBeLessThan(usageFull - totalOf(a.bundle));
});

test('the same store through the app worker and comlink', async ({ page }) => {
  await harness(page);
  const { url, bundle } = serve();
  await page.evaluate(() => window.storeTest.viaWorker.start());
  expect(ok<DownloadPlan>(await page.evaluate((u) => window.storeTest.viaWorker.plan(u), url)).downloadBytes).toBe(totalOf(bundle));
  const result = ok<DownloadResult>(await page.evaluate((u) => window.storeTest.viaWorker.download(u), url));
  expect(result.downloadedBytes).toBe(totalOf(bundle));
  const events = (await page.evaluate(() => window.storeTest.events())) as GeneratorEvent[];
  expect(events.some((e) => e.type === 'download')).toBe(true);
  expect(events.filter((e) => e.type === 'verify')).toHaveLength(filesOf(bundle).length);
  expect(ok<StorageReport>(await page.evaluate(() => window.storeTest.viaWorker.storage())).bundles[0]).toMatchObject({
    state: 'complete',
  });
  // A worker cannot ask for persistence (persist() is Window-only); it says so.
  expect(ok(await page.evaluate(() => window.storeTest.viaWorker.persist()))).toMatchObject({ asked: false });
  // Errors keep their names across comlink.
  expect(failed(await page.evaluate((u) => window.storeTest.viaWorker.plan(u), `${server.origin}/b/none/manifest.json`)).name).toBe(
    'NotFound',
  );
  expect(ok<StorageReport>(await page.evaluate(() => window.storeTest.viaWorker.deleteBundle()))).toMatchObject({ usedBytes: 0 });
});
