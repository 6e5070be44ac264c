#!/usr/bin/env node
// Model-store benchmark: serves a synthetic bundle (default 1 GB) from the local fault server on
// loopback, downloads it into IndexedDB in real Chromium (Debian's) through the store harness page,
// and prints the cache write throughput, the time to open the stored bundle and the JS heap peaks.
// Usage: node scripts/bench-store.mjs [--mb 1000] [--chunk-mib 16] [--concurrency 3]
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
const mb = Number(arg('mb', 1000));
const chunkMiB = Number(arg('chunk-mib', 16));
const concurrency = Number(arg('concurrency', 3));
if (!(mb > 0)) throw new Error('--mb must be a positive number of megabytes');

const MB = 1e6;
const fmt = (bytes) => `${(bytes / MB).toFixed(1)} MB`;
const total = Math.round(mb * MB);
// Shares of a FLUX bundle, roughly; the transformer shard alone passes 512 MiB at 1 GB (a hash length over 2^32 bits).
const shards = {
  transformer: [Math.round(total * 0.6)],
  t5: [Math.round(total * 0.25)],
  clip: [Math.round(total * 0.1)],
  decoder: [Math.round(total * 0.05)],
};

console.log(`machine: ${os.cpus()[0]?.model} x${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`);
process.stdout.write(`generating a ${fmt(total)} synthetic bundle… `);
const bundle = makeSyntheticBundle({ id: 'bench', shards, graphBytes: 65536, tokenizerBytes: 16384 });
const bundleBytes = [...bundle.files.values()].reduce((n, b) => n + b.length, 0);
console.log('done');

const faults = await startFaultServer();
const manifestUrl = faults.addBundle('bench', bundle);
const vite = await createServer({ logLevel: 'error', server: { port: 0, host: '127.0.0.1', hmr: false, watch: null } });
await vite.listen();
const base = vite.resolvedUrls.local[0];
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-store-'));
// A persistent profile: IndexedDB on disk, as for a user (an incognito context keeps it in memory).
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM_PATH,
  args: BENCH_CHROMIUM_ARGS,
  headless: true,
});
try {
  const page = context.pages()[0] ?? (await context.newPage());
  // The dev server transforms modules on first request: allow it time.
  await page.goto(new URL('tests/pages/store.html', base).href, { timeout: 180_000 });
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready', undefined, { timeout: 180_000 });
  const chromiumVersion =
    context.browser()?.version() ?? (await page.evaluate(() => navigator.userAgent.match(/Chrome\/([\d.]+)/)?.[1] ?? '?'));
  console.log(
    `chromium ${chromiumVersion}; chunk ${chunkMiB} MiB; ${concurrency} files at once; bundle ${fmt(bundleBytes)} in ${bundle.files.size} files\n`,
  );

  const hashMBs = await page.evaluate(() => window.storeTest.hashSpeed(128));
  console.log(`sha256 (store's incremental JS) in the page: ${hashMBs.toFixed(0)} MB/s`);

  for (const [label, hash] of [
    ['loopback fetch only (baseline)', false],
    ['loopback fetch + sha256 (baseline)', true],
  ]) {
    const b = await page.evaluate(([u, h]) => window.storeTest.fetchOnly(u, h), [manifestUrl, hash]);
    console.log(`${label}: ${fmt(b.bytes)} in ${b.seconds.toFixed(2)} s = ${(b.bytes / MB / b.seconds).toFixed(0)} MB/s`);
  }
  faults.resetStats();

  const options = { chunkBytes: chunkMiB * 1024 * 1024, concurrency };
  const run = await page.evaluate(([u, o]) => window.storeTest.downloadWithHeap(u, o), [manifestUrl, options]);
  if (run.error) throw new Error(`${run.error.name}: ${run.error.message}`);
  const served = faults.stats().bytes;
  const seconds = run.value.seconds;
  console.log(
    `download + verify + store: ${fmt(run.value.downloadedBytes)} in ${seconds.toFixed(2)} s = ${(run.value.downloadedBytes / MB / seconds).toFixed(0)} MB/s` +
      ` (served ${fmt(served)}; JS heap ${fmt(run.heapBefore)} → peak ${fmt(run.heapPeak)})`,
  );

  for (const label of ['open (1st)', 'open (2nd)']) {
    const opened = await page.evaluate((u) => window.storeTest.open(u, false), manifestUrl);
    if (opened.error) throw new Error(`${opened.error.name}: ${opened.error.message}`);
    const bytes = opened.files.reduce((n, f) => n + f.size, 0);
    console.log(
      `${label}: ${opened.ms.toFixed(1)} ms to open and get all ${opened.files.length} files as Blobs (${fmt(bytes)});` +
        ` JS heap ${fmt(opened.heapBefore)} → peak ${fmt(opened.heapPeak)} (+${fmt(opened.heapPeak - opened.heapBefore)})`,
    );
  }
  const report = await page.evaluate(() => window.storeTest.storage());
  console.log(
    `store: ${fmt(report.usedBytes)} used; browser estimate ${fmt(report.estimate?.usage ?? 0)} of ${fmt(report.estimate?.quota ?? 0)}`,
  );
  await page.evaluate(() => window.storeTest.deleteBundle());
} finally {
  await context.close();
  await vite.close();
  await faults.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
