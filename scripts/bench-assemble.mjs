#!/usr/bin/env node
// Assembler benchmark: a synthetic FLUX-shaped case (real width 3072, Q4_0 block linears, F16 top-level
// linears; tools/gguf-fixtures/make_bench_source.py, written to a temp dir, never committed) served by
// the local fault server on loopback, assembled into IndexedDB in real Chromium (Debian's) through the
// harness page tests/pages/assemble.html. Prints source MB/s read and shard MB/s written.
// Usage: node scripts/bench-assemble.mjs [--double 1] [--single 2] [--dir DIR (reuse)] [--chunk-mib 16] [--read-mib 8] [--sha256]
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFaultServer, readTree } from '../tests/server/fault-server.mjs';
import { BENCH_CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const MB = 1e6;
const fmt = (bytes) => `${(bytes / MB).toFixed(1)} MB`;
const chunkMiB = Number(arg('chunk-mib', 16));
const readMiB = Number(arg('read-mib', 8));

console.log(`machine: ${os.cpus()[0]?.model} x${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`);
let dir = arg('dir');
const made = !dir;
if (!dir) {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-assemble-'));
  process.stdout.write('generating the synthetic sources with gguf-py… ');
  execFileSync(
    'tools/export/.venv/bin/python',
    ['tools/gguf-fixtures/make_bench_source.py', dir, '--double', arg('double', '1'), '--single', arg('single', '2')],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  console.log('done');
}
const files = readTree(dir);
const sourceBytes = [...files].filter(([p]) => p.startsWith('sources/')).reduce((n, [, b]) => n + b.length, 0);
const faults = await startFaultServer();
faults.addBundle('bench', { manifest: {}, files });
const base = `${faults.origin}/b/bench/`;
const source = JSON.parse(files.get('source.json').toString());
source.template = new URL(source.template, base).href;
// --sha256: the description gives each file's sha256 (checked at the end of each source's one pass).
const withSha = process.argv.includes('--sha256');
for (const c of Object.values(source.components)) {
  if (withSha) c.sha256 = crypto.createHash('sha256').update(files.get(c.url)).digest('hex');
  c.url = new URL(c.url, base).href;
}

const vite = await createServer({ logLevel: 'error', server: { port: 0, host: '127.0.0.1', hmr: false, watch: null } });
await vite.listen();
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-assemble-profile-'));
// A persistent profile: IndexedDB on disk, as for a user.
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM_PATH,
  args: BENCH_CHROMIUM_ARGS,
  headless: true,
});
try {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(new URL('tests/pages/assemble.html', vite.resolvedUrls.local[0]).href, { timeout: 180_000 });
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready', undefined, { timeout: 180_000 });
  console.log(
    `chromium ${context.browser()?.version() ?? '?'}; sources ${fmt(sourceBytes)} ${withSha ? 'with sha256 (checked)' : 'without sha256 (hashed, not checked)'}; chunk ${chunkMiB} MiB; reads of ${readMiB} MiB\n`,
  );
  const hashMBs = await page.evaluate(() => window.assembleTest.hashSpeed(128));
  console.log(`sha256 (store's incremental JS) in the page: ${hashMBs.toFixed(0)} MB/s`);
  const options = { chunkBytes: chunkMiB * 1024 * 1024, readBytes: readMiB * 1024 * 1024 };
  const planned = await page.evaluate((s) => window.assembleTest.plan(s), source);
  const { result, peak } = await page.evaluate(([s, o]) => window.assembleTest.assembleSampled(s, o), [source, options]);
  if (result.error) throw new Error(`${result.error.name}: ${result.error.message}`);
  const { seconds, downloadedBytes, writtenBytes } = result;
  console.log(
    `assemble (one pass per source + repack + sha256 + IndexedDB): read ${fmt(downloadedBytes)} and wrote ${fmt(writtenBytes)} in ${seconds.toFixed(2)} s` +
      ` = ${(downloadedBytes / MB / seconds).toFixed(0)} MB/s of source, ${(writtenBytes / MB / seconds).toFixed(0)} MB/s of shards` +
      ` (${faults.stats().requests} requests served)`,
  );
  const t = result.timings;
  console.log(
    `  of which converting tensors ${t.produceSeconds.toFixed(2)} s, storing shard chunks ${t.storeSeconds.toFixed(2)} s (the rest: reading, hashing the source, hashing the shards back)`,
  );
  console.log(
    `peak storage while assembling (bundle ${fmt(planned.storedBytes)}): chunks ${fmt(peak.chunkBytes)}` +
      ` (${((peak.chunkBytes / planned.storedBytes - 1) * 100).toFixed(1)} % over), store accounting ${fmt(peak.usedBytes)},` +
      ` navigator.storage.estimate() +${fmt(peak.usage - peak.usageBefore)} (${peak.samples} samples)`,
  );
  const t0 = performance.now();
  const opened = await page.evaluate((u) => window.assembleTest.open(u), result.manifestUrl);
  if (opened.error) throw new Error(`${opened.error.name}: ${opened.error.message}`);
  const bad = opened.files.filter((f) => f.sha256 !== f.listed).map((f) => f.path);
  console.log(
    `re-read every stored file and hashed it (WebCrypto) in ${((performance.now() - t0) / 1000).toFixed(2)} s: ${bad.length ? `MISMATCH ${bad}` : 'all match the manifest'}`,
  );
  await page.evaluate(() => window.assembleTest.deleteBundle());
} finally {
  await context.close();
  await vite.close();
  await faults.close();
  fs.rmSync(profile, { recursive: true, force: true });
  if (made) fs.rmSync(dir, { recursive: true, force: true });
}
