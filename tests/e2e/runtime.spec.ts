// The runtime at sizes that matter (workers/runtime): a session over 1 GB made from a Blob keeps the
// page's memory near one tensor on the jspi build (and does not on asyncify, which is why jspi is
// used), a GPU allocation past the device's limits and a lost device end in words, and the next
// session or job gets a new device.
import { test, expect, chromium, type Page, type BrowserContext } from '@playwright/test';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/chromium.mjs';

const MiB = 2 ** 20;

/** Anonymous resident bytes of every renderer process of the browser using `profile` (the page and its workers). */
function rendererAnonBytes(profile: string): number {
  let total = 0;
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmdline.includes('--type=renderer') || !cmdline.includes(`--user-data-dir=${profile}`)) continue;
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      total += Number(/RssAnon:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    } catch {
      // The process ended meanwhile.
    }
  }
  return total;
}

/** Runs `work` while sampling the renderers' memory every 50 ms; returns its result and the peak growth. */
async function sampled<T>(profile: string, work: () => Promise<T>): Promise<{ result: T; baseline: number; peakGrowth: number }> {
  const baseline = rendererAnonBytes(profile);
  let peak = baseline;
  const timer = setInterval(() => (peak = Math.max(peak, rendererAnonBytes(profile))), 50);
  try {
    const result = await work();
    peak = Math.max(peak, rendererAnonBytes(profile));
    return { result, baseline, peakGrowth: peak - baseline };
  } finally {
    clearInterval(timer);
  }
}

/**
 * Serves /weights/<k>/<n>: n·k² float32 values 1/k, made while sending (nothing on disk), with the
 * headers a cross-origin isolated page needs.
 */
function startWeightsServer(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const [k, n] = (req.url ?? '').split('/').slice(2).map(Number);
    if (!k || !n) return void res.writeHead(404).end();
    const row = Buffer.from(new Float32Array(k * k).fill(1 / k).buffer);
    res.writeHead(200, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(row.length * n),
      'Access-Control-Allow-Origin': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
    });
    let sent = 0;
    const pump = () => {
      while (sent < n) {
        sent += 1;
        if (!res.write(row)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// A persistent profile, as for a user: Blobs are backed by disk, not held in RAM as in an incognito context.
let profile: string;
let context: BrowserContext;
let weights: http.Server;
let weightsOrigin: string;
test.beforeAll(async () => {
  weights = await startWeightsServer();
  weightsOrigin = `http://127.0.0.1:${(weights.address() as AddressInfo).port}`;
  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'runtime-spec-'));
  context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
});
test.afterAll(async () => {
  await context?.close();
  weights?.close();
  fs.rmSync(profile, { recursive: true, force: true });
});

async function runtimePage(baseURL: string | undefined, build: 'jspi' | 'asyncify'): Promise<Page> {
  const page = await context.newPage();
  await page.goto(new URL(`/tests/pages/runtime.html?ort=${build}`, baseURL).href);
  await expect(page.locator('#status')).toHaveText('ready', { timeout: 180_000 });
  expect(await page.evaluate(() => window.runtimeTest.ortBuild())).toBe(build);
  return page;
}

test('a 1.1 GiB session made from a Blob: jspi keeps the page near one tensor, asyncify holds every weight', async ({ baseURL }) => {
  test.setTimeout(600_000);
  const growth: Record<string, number> = {};
  const wholeReads: Record<string, number[]> = {};
  for (const build of ['jspi', 'asyncify'] as const) {
    const page = await runtimePage(baseURL, build);
    const { result, peakGrowth } = await sampled(profile, () =>
      page.evaluate((url) => window.runtimeTest.createChain(4096, 18, 'webgpu', url), `${weightsOrigin}/weights/4096/18`),
    );
    if ('error' in result) throw new Error(`${result.error.name}: ${result.error.message}`);
    const run = await page.evaluate(() => window.runtimeTest.runChain(4096));
    if ('error' in run) throw new Error(`${run.error.name}: ${run.error.message}`);
    console.log(
      `[runtime ${build}] ${(result.weightBytes / 2 ** 30).toFixed(3)} GiB of weights in ${(result.createMs / 1000).toFixed(1)} s; ` +
        `renderer peak growth ${(peakGrowth / MiB).toFixed(0)} MiB; Blob.arrayBuffer() calls ${JSON.stringify(result.wholeReads)}; ` +
        `wasm heap ${((await page.evaluate(() => window.runtimeTest.wasmHeapBytes())) / MiB).toFixed(0)} MiB; max |y - mean(x)| ${run.maxError.toExponential(2)}`,
    );
    expect(result.weightBytes).toBeGreaterThan(2 ** 30);
    expect(run.length).toBe(4096);
    // 18 float32 sums of 4096 terms each: rounding stays near 1e-5 of a mean of 0.5.
    expect(run.maxError).toBeLessThan(1e-4);
    growth[build] = peakGrowth;
    wholeReads[build] = result.wholeReads;
    await page.evaluate(() => window.runtimeTest.release());
    await page.close();
  }
  // jspi: one 64 MiB tensor (ORT's reused staging buffer) plus working memory; no whole read.
  expect(growth.jspi!).toBeLessThan(384 * MiB);
  expect(wholeReads.jspi).toEqual([]);
  // asyncify reads every byte into the page: the contrast that shows this measure can fail.
  expect(growth.asyncify!).toBeGreaterThan(2 ** 30);
});

test('a tensor larger than the GPU device allows ends in words, and the next session gets a new device', async ({ baseURL }) => {
  test.setTimeout(600_000);
  const page = await runtimePage(baseURL, 'jspi');
  const url = `${weightsOrigin}/weights/9000/1`;
  // The WebGPU defaults (256 MiB buffers, 128 MiB bindings) instead of the adapter's maximum: the 324 MB tensor cannot fit.
  await page.evaluate(() => window.runtimeTest.lowerLimits({ maxBufferSize: 256 * 2 ** 20, maxStorageBufferBindingSize: 128 * 2 ** 20 }));
  const refused = await page.evaluate((u) => window.runtimeTest.createChain(9000, 1, 'webgpu', u), url);
  console.log(`[runtime] refused: ${JSON.stringify(refused)}`);
  expect('error' in refused && refused.error.name).toBe('OutOfMemory');
  expect('error' in refused && refused.error.message).toMatch(/GPU/);
  // Back to the adapter's limits: a new device, and the same session is made and runs.
  await page.evaluate(() => window.runtimeTest.lowerLimits({}));
  const info = await page.evaluate(() => window.runtimeTest.gpuInfo());
  if ('error' in info) throw new Error(info.error.message);
  console.log(
    `[runtime] device: ${info.description || info.vendor}; limits ${JSON.stringify(info.limits)}; features ${info.features.join(', ')}`,
  );
  expect(info.limits.maxBufferSize).toBeGreaterThan(324e6);
  const made = await page.evaluate((u) => window.runtimeTest.createChain(9000, 1, 'webgpu', u), url);
  if ('error' in made) throw new Error(`${made.error.name}: ${made.error.message}`);
  const run = await page.evaluate(() => window.runtimeTest.runChain(9000));
  if ('error' in run) throw new Error(`${run.error.name}: ${run.error.message}`);
  expect(run.maxError).toBeLessThan(1e-4);
  await page.evaluate(() => window.runtimeTest.release());
  await page.close();
});

test('a GPU device lost mid-job ends the job in words; the next job runs on a new device', async ({ baseURL }) => {
  test.setTimeout(600_000);
  const page = await context.newPage();
  await page.goto(new URL('/tests/pages/engine.html', baseURL).href);
  await expect(page.locator('#status')).toHaveText('ready', { timeout: 180_000 });
  const result = await page.evaluate(() => (window as any).runLosingDevice({ frames: 3, steps: 2 }));
  console.log(`[runtime] device lost: ${JSON.stringify(result)}`);
  expect(result.lost?.name).toBe('DeviceLost');
  expect(result.lost?.message).toMatch(/next job/);
  expect(result.next).toEqual({ backend: 'webgpu', frames: 3 });
  await page.close();
});
