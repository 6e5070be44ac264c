#!/usr/bin/env node
// Video encode benchmark (issue 6): encode time per frame at 768x768 for each codec (avc, vp9, av1),
// in Debian's Chromium, through the video harness page (tests/pages/video.html) and workers/video.
//
//   node scripts/bench-video.mjs [--size 768] [--frames 10] [--runs 3] [--url http://127.0.0.1:4173]
//
// Starts its own Vite dev server on a free port unless --url points at a running one. Each codec gets
// one warm-up encode, then the median of --runs encodes of --frames frames (forward loop, 5 fps).
import { createServer as createNetServer } from 'node:net';
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.mjs';


function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const size = Number(arg('size', 768));
const frames = Number(arg('frames', 10));
const runs = Number(arg('runs', 3));
const codecs = String(arg('codecs', 'avc,vp9,av1')).split(',');

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

let server = null;
let base = arg('url', '');
if (!base) {
  const port = await freePort();
  server = await createServer({ server: { port, strictPort: true, hmr: false, watch: null }, logLevel: 'error' });
  await server.listen();
  base = `http://127.0.0.1:${port}`;
}

const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage();
  await page.goto(`${base}/tests/pages/video.html`, { timeout: 120_000 });
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready', null, { timeout: 120_000 });
  const version = browser.version();
  console.log(`Chromium ${version}, ${size}x${size}, ${frames} frames per encode, median of ${runs} (after 1 warm-up)`);
  console.log('codec  container  ms/frame  runs (ms/frame)            file bytes');
  for (const codec of codecs) {
    const r = await page.evaluate(([c, s, n, k]) => window.videoHarness.bench(c, s, n, k), [codec, size, frames, runs]);
    if (!r.supported) {
      console.log(`${codec.padEnd(6)} ${r.container.padEnd(10)} not supported by this browser`);
      continue;
    }
    const each = r.runs.map((t) => t.toFixed(1)).join(', ');
    console.log(`${codec.padEnd(6)} ${r.container.padEnd(10)} ${r.msPerFrame.toFixed(1).padStart(8)}  ${each.padEnd(26)} ${r.bytes}`);
  }
} finally {
  await browser.close();
  await server?.close();
}
