#!/usr/bin/env node
// Model-store fault schedule (issue 17 item 6): a fixed, seeded schedule of faults against the store in
// real Chromium, through the store harness page and the local fault server, printing what each cost:
//   1. one file cut at 20 random offsets while served at 1 MB/s: bytes served / file size (1.00 = nothing
//      fetched twice), requests, and whether the stored bundle verifies;
//   2. one byte of that stored file flipped behind the app: whether any unverified byte could reach a
//      session (the check a session waits for must refuse it), and what fetching it again costs;
//   3. two tabs downloading the same bundle at once: bytes served / bundle size (1.00 = one download).
// Exit 1 when a "must" fails. Usage: node scripts/bench-store-faults.mjs [--mb 16] [--seed 1]
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFaultServer, makeSyntheticBundle } from '../tests/server/fault-server.mjs';
import { BENCH_CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const MB = 1e6;
const size = Math.round(Number(arg('mb', 16)) * MB);
const seed = Number(arg('seed', 1));
const CUTS = 20;
const RATE = 1 * MB;
const ratio = (a, b) => (a / b).toFixed(3);

/** mulberry32: the cut offsets are the same on every run of a seed. */
function random(s) {
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const faults = await startFaultServer();
const vite = await createServer({ logLevel: 'error', server: { port: 0, host: '127.0.0.1', hmr: false, watch: null } });
await vite.listen();
const base = vite.resolvedUrls.local[0];
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-store-faults-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM_PATH,
  args: BENCH_CHROMIUM_ARGS,
  headless: true,
});
const musts = [];
const must = (ok, text) => (musts.push([ok, text]), console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${text}`));

async function harness() {
  const page = await context.newPage();
  await page.goto(new URL('tests/pages/store.html', base).href, { timeout: 180_000 });
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready', undefined, { timeout: 180_000 });
  // Quick retries: the schedule's cuts are many; every resumed request brings new bytes.
  await page.evaluate((o) => (window.storeTest.options = o), { retryBaseMs: 50, networkRetries: 4, progressIntervalMs: 500 });
  return page;
}
const served = (name, suffix) =>
  faults
    .stats()
    .log.filter((e) => e.method === 'GET' && e.path.startsWith(`/b/${name}/`) && (!suffix || e.path.endsWith(suffix)))
    .reduce((sum, e) => ({ bytes: sum.bytes + e.bytes, requests: sum.requests + 1 }), { bytes: 0, requests: 0 });
const fileOf = (bundle, suffix) =>
  Object.values(bundle.manifest.components)
    .flatMap((c) => c.external_data)
    .find((f) => f.path.endsWith(suffix));

try {
  console.log(`machine: ${os.cpus()[0]?.model} x${os.cpus().length}; file ${(size / MB).toFixed(0)} MB, seed ${seed}\n`);
  const page = await harness();

  // 1. Cuts at 20 random offsets, at 1 MB/s.
  const one = makeSyntheticBundle({ id: 'faults-one', shards: { transformer: [size], t5: [65536], clip: [65536], decoder: [65536] } });
  const oneUrl = faults.addBundle('one', one);
  const big = fileOf(one, 'transformer.onnx.data.0');
  const next = random(seed);
  const offsets = [...new Set(Array.from({ length: CUTS }, () => 1 + Math.floor(next() * (size - 2))))].sort((a, b) => a - b);
  offsets.forEach((offset, i) => faults.fault(big.path, { cutAfter: offset - (offsets[i - 1] ?? 0), bytesPerSecond: RATE }));
  faults.fault(big.path, { bytesPerSecond: RATE, times: 1000 });
  console.log(`1. ${big.path} (${big.bytes} B) cut at ${offsets.length} offsets, served at 1 MB/s`);
  let start = Date.now();
  const first = await page.evaluate((u) => window.storeTest.download(u), oneUrl);
  const seconds = (Date.now() - start) / 1000;
  const s1 = served('one', big.path);
  console.log(
    `  ${first.error ? `download failed: ${first.error.name}: ${first.error.message}` : `downloaded in ${seconds.toFixed(1)} s`}`,
  );
  console.log(`  bytes served / file size: ${ratio(s1.bytes, big.bytes)} over ${s1.requests} requests`);
  must(!first.error, 'the download completes through every cut');
  must(s1.bytes <= big.bytes * 1.01, 'no byte of the cut file is fetched twice (ratio <= 1.01)');
  const verified = await page.evaluate((u) => window.storeTest.verifyAll(u), oneUrl);
  must(verified === 'ok', `the stored bundle verifies (${verified === 'ok' ? 'ok' : verified.error?.name})`);

  // 2. One stored byte flipped behind the app.
  faults.clearFaults();
  console.log(`\n2. one byte of the stored ${big.path} flipped`);
  await page.evaluate(([sha, at]) => window.storeTest.damageStoredFile(sha, at), [big.sha256, 1000]);
  await page.reload();
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
  await page.evaluate((o) => (window.storeTest.options = o), { retryBaseMs: 50, networkRetries: 4, progressIntervalMs: 500 });
  const damaged = await page.evaluate((u) => window.storeTest.verifyAll(u), oneUrl);
  const refused = damaged !== 'ok' && damaged.error?.name === 'StorageDamaged';
  console.log(`  the check sessions wait for: ${damaged === 'ok' ? 'passed' : `${damaged.error.name}: ${damaged.error.message}`}`);
  must(refused, 'unverified bytes reached a session: none (the damaged file is refused by name)');
  faults.resetStats();
  const again = await page.evaluate((u) => window.storeTest.download(u), oneUrl);
  const s2 = served('one');
  console.log(`  fetched again: ${s2.bytes} B in ${s2.requests} requests (${ratio(s2.bytes, big.bytes)} of the damaged file's size)`);
  must(!again.error && s2.bytes <= big.bytes * 1.01, 'only the damaged file is fetched again');
  must((await page.evaluate((u) => window.storeTest.verifyAll(u), oneUrl)) === 'ok', 'the bundle verifies after the repair');

  // 3. Two tabs, one bundle.
  const two = makeSyntheticBundle({
    id: 'faults-two',
    shards: { transformer: [size / 2], t5: [size / 4], clip: [size / 8], decoder: [65536] },
  });
  const twoUrl = faults.addBundle('two', two);
  const twoBytes = [...two.files.values()].reduce((n, b) => n + b.length, 0);
  faults.clearFaults();
  for (const f of Object.values(two.manifest.components).flatMap((c) => c.external_data))
    faults.fault(f.path, { bytesPerSecond: 2 * RATE, times: 100 });
  console.log(`\n3. two tabs download the same ${(twoBytes / MB).toFixed(1)} MB bundle at once (2 MB/s per file)`);
  const other = await harness();
  faults.resetStats();
  start = Date.now();
  const [a, b] = await Promise.all([page, other].map((p) => p.evaluate((u) => window.storeTest.download(u), twoUrl)));
  const s3 = served('two');
  const manifestBytes = faults
    .stats()
    .log.filter((e) => e.path.endsWith('manifest.json'))
    .reduce((n, e) => n + e.bytes, 0);
  console.log(
    `  both done in ${((Date.now() - start) / 1000).toFixed(1)} s: ${a.error ? a.error.name : 'ok'}, ${b.error ? b.error.name : 'ok'}`,
  );
  console.log(`  bytes served / bundle size: ${ratio(s3.bytes - manifestBytes, twoBytes)} (${s3.requests} requests)`);
  must(!a.error && !b.error, 'both tabs end with the bundle stored');
  must(s3.bytes - manifestBytes <= twoBytes * 1.01, 'the second tab fetches nothing the first one fetched');
  must((await other.evaluate((u) => window.storeTest.verifyAll(u), twoUrl)) === 'ok', 'the bundle verifies in the other tab');
} finally {
  await context.close();
  await vite.close();
  await faults.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
const failed = musts.filter(([ok]) => !ok).length;
console.log(`\n${failed === 0 ? 'PASS' : 'FAIL'}: ${musts.length - failed} of ${musts.length}`);
process.exit(failed === 0 ? 0 : 1);
