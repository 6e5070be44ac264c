#!/usr/bin/env node
// Engine benchmark: drives real Chromium (Debian's) through the engine harness page and prints
// per-stage times for a tiny-bundle job on each backend, plus batched vs one-at-a-time direction
// finding. Usage: node scripts/bench.mjs [--runs 3] [--manifest /models/tiny/manifest.json]
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import os from 'node:os';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const runs = Number(arg('runs', 3));
const manifestUrl = arg('manifest', '/models/tiny/manifest.json');
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-unsafe-swiftshader'];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const ms = (x) => (Number.isFinite(x) ? x.toFixed(1).padStart(9) : '        -');

const server = await createServer({ logLevel: 'error', server: { port: 0, host: '127.0.0.1' } });
await server.listen();
const base = server.resolvedUrls.local[0];
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage();
  await page.goto(new URL('tests/pages/engine.html', base).href);
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
  const adapter = await page.evaluate(async () => {
    const a = await navigator.gpu?.requestAdapter();
    return a ? `${a.info.vendor} ${a.info.architecture} ${a.info.description}`.trim() : 'none';
  });
  console.log(`machine: ${os.cpus()[0]?.model} x${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; WebGPU adapter: ${adapter}`);
  console.log(`bundle: ${manifestUrl}; job: 64x64, 3 frames, 3 steps, 32 direction rounds; median of ${runs} runs (first run discarded as warm-up)\n`);
  const request = { frames: 3, steps: 3, iterations: 32, seed: 7 };
  for (const backend of ['wasm', 'webgpu']) {
    const samples = [];
    for (let r = 0; r <= runs; r++) {
      const s = await page.evaluate(([req, b, m]) => window.runBench({ ...req, seed: req.seed + Math.random() * 1e6 | 0 }, b, undefined, m), [request, backend, manifestUrl]);
      if (r > 0) samples.push(s);
    }
    const stages = [...new Set(samples.flatMap((s) => Object.keys(s.times)))];
    console.log(`backend ${backend} (ran on ${samples[0].backend})`);
    console.log(`  ${'stage'.padEnd(22)} ${'total ms'.padStart(9)} ${'calls'.padStart(6)} ${'per call'.padStart(9)}`);
    for (const stage of stages) {
      const totals = samples.map((s) => (s.times[stage] ?? []).reduce((a, b) => a + b, 0));
      const calls = samples[0].times[stage]?.length ?? 0;
      console.log(`  ${stage.padEnd(22)} ${ms(median(totals))} ${String(calls).padStart(6)} ${ms(median(totals) / calls)}`);
    }
    console.log(`  ${'wall'.padEnd(22)} ${ms(median(samples.map((s) => s.wallMs)))}\n`);
  }
  for (const backend of ['wasm', 'webgpu']) {
    const batched = [];
    const single = [];
    for (let r = 0; r <= runs; r++) {
      const req = { frames: 3, steps: 1, iterations: 64, seed: 1000 + r };
      const b = await page.evaluate(([q, be, m]) => window.runBench(q, be, 32, m), [req, backend, manifestUrl]);
      const o = await page.evaluate(([q, be, m]) => window.runBench(q, be, 1, m), [req, backend, manifestUrl]);
      if (r > 0) {
        batched.push(b.times.direction[0]);
        single.push(o.times.direction[0]);
      }
    }
    const mb = median(batched);
    const mo = median(single);
    console.log(`direction, 64 rounds (128 prompts) on ${backend}: batched(32/run) ${mb.toFixed(1)} ms, one-at-a-time ${mo.toFixed(1)} ms, ratio ${(mo / mb).toFixed(2)}x`);
  }
} finally {
  await browser.close();
  await server.close();
}
