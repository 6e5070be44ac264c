// The built app on plain static hosts (tests/e2e-static/serve.mjs): offline after the first visit,
// updates, cross-origin isolation through the service worker, CSP, and nothing but same-origin requests.
import { test as base, expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { readdirSync } from 'node:fs';
import { FIRST_VERSION, ISOLATED_URL, NEXT_VERSION, PLAIN_URL } from './setup';
import { CHROMIUM_ARGS } from '../../playwright.config';

/** A small job for the built-in world bundle, set through the shareable-link query. */
const SMALL_JOB = '?frames=3&iterations=2&steps=1&t5=256&seed=7';
const CACHE_PREFIX = 'time-stream-shell:';

async function control(appUrl: string, action: string): Promise<unknown> {
  const response = await fetch(new URL(`/__control/${action}`, appUrl));
  expect(response.ok, `control ${action}`).toBe(true);
  return response.json();
}

type LogEntry = { method: string; path: string; status: number; range: boolean };

/**
 * `wasmBrowser`: Chromium without the WebGPU flags, so there is no adapter and the engine runs on wasm,
 * the path that cross-origin isolation (threads) is about (and, on SwiftShader, the quicker one).
 */
const test = base.extend<object, { wasmBrowser: Browser }>({
  wasmBrowser: [
    async ({ playwright }, use) => {
      const browser = await playwright.chromium.launch({
        executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
        args: CHROMIUM_ARGS.filter((arg) => !/webgpu|swiftshader/i.test(arg)),
      });
      await use(browser);
      await browser.close();
    },
    { scope: 'worker' },
  ],
});

/**
 * Watches a whole session on one host: every request the browser makes (pages, workers, the service
 * worker), console errors, page errors, and CSP violations. A worker's violations reach no page's
 * console, so violations are counted from the host's reports (its CSP header has report-uri), which
 * cover the page, the generation worker, its wasm threads and the service worker alike.
 */
async function watchSession(context: BrowserContext, appUrl: string) {
  const origin = new URL(appUrl).origin;
  const requests: string[] = [];
  const problems: string[] = [];
  await control(appUrl, 'csp-reports/reset');
  context.on('request', (request) => requests.push(request.url()));
  context.on('console', (message) => {
    if (message.type() === 'error' && !isOrtWarning(message.text())) problems.push(`console: ${message.text()}`);
  });
  context.on('weberror', (error) => problems.push(`page error: ${error.error().message}`));
  return {
    async check(allow: (problem: string) => boolean = () => false) {
      const foreign = requests.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith('blob:') && !url.startsWith('data:'));
      expect(foreign, 'requests to other origins').toEqual([]);
      expect(requests.length).toBeGreaterThan(0);
      expect(
        problems.filter((p) => !allow(p)),
        'console errors',
      ).toEqual([]);
      const reports = (await control(appUrl, 'csp-reports')) as { 'csp-report': Record<string, string> }[];
      const violations = reports.map(
        ({ 'csp-report': r }) => `${r['violated-directive']} blocked ${r['blocked-uri']} in ${r['document-uri']}`,
      );
      expect(violations, 'CSP violations').toEqual([]);
    },
  };
}

/** onnxruntime's native log writes its warnings (e.g. shape ops placed on the CPU) to stderr, i.e. console.error. */
function isOrtWarning(text: string): boolean {
  return /\[W:onnxruntime:/.test(text);
}

async function isolated(page: Page): Promise<boolean> {
  // During the isolation reload the old document's context goes away: that reads as "not yet".
  return page.evaluate(() => self.crossOriginIsolated).catch(() => false);
}

async function controlled(page: Page): Promise<boolean> {
  return page.evaluate(() => navigator.serviceWorker.controller !== null).catch(() => false);
}

async function ourCaches(page: Page): Promise<{ names: string[]; paths: string[] }> {
  return page.evaluate(async (prefix) => {
    const names = (await caches.keys()).filter((name) => name.startsWith(prefix));
    const paths: string[] = [];
    for (const name of names) for (const request of await (await caches.open(name)).keys()) paths.push(new URL(request.url).pathname);
    return { names, paths };
  }, CACHE_PREFIX);
}

/**
 * How many workers generate: the generation worker itself, plus one per extra onnxruntime-web wasm
 * thread (emscripten starts its pthreads from the script of the onnxruntime build the worker loaded,
 * workers/runtime/ort.ts: an `ort.<build>.bundle.min` chunk). Counted, not asked: an idle pthread
 * sits in Atomics.wait and would never answer an evaluate().
 */
function generatorWorkers(page: Page): number {
  return page.workers().filter((worker) => /generator\.worker|\/ort\.\w+\.bundle\.min/.test(worker.url())).length;
}

async function generate(page: Page, frames: number) {
  await page.getByTestId('generate').click();
  await expect(page.getByTestId('finished')).toBeVisible({ timeout: 150_000 });
  await expect(page.getByTestId('gallery').locator('canvas')).toHaveCount(frames);
}

test.afterEach(async () => {
  await control(ISOLATED_URL, 'offline?on=0');
  await control(ISOLATED_URL, 'root?name=first');
});

test('first visit precaches the shell, wasm and built-in bundle; a reload with the network off still renders (sub-path host)', async ({
  wasmBrowser,
}) => {
  const context = await wasmBrowser.newContext();
  const session = await watchSession(context, ISOLATED_URL);
  const page = await context.newPage();

  const response = await page.goto(ISOLATED_URL + SMALL_JOB);
  // The CSP is in the built page and, on this host, also a header.
  const meta = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(meta).toContain("script-src 'self' 'wasm-unsafe-eval'");
  expect(meta).toContain("connect-src 'self'");
  expect(response?.headers()['content-security-policy']).toContain(meta!);
  await expect(page.locator('meta[name="time-stream-version"]')).toHaveAttribute('content', FIRST_VERSION);

  await expect(page.getByTestId('model-info')).toContainText('world', { ignoreCase: true });
  await expect(page.getByTestId('pwa-offline-ready')).toContainText('Ready to work offline');
  expect(await isolated(page)).toBe(true);
  await expect.poll(() => controlled(page)).toBe(true);

  // Installable: Chromium's own check (manifest, icons, service worker). Test contexts are incognito,
  // which is the one reason it may give.
  const cdp = await context.newCDPSession(page);
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  expect(installabilityErrors.filter((error) => error.errorId !== 'in-incognito')).toEqual([]);
  expect((await cdp.send('Page.getAppManifest')).errors).toEqual([]);

  const cached = await ourCaches(page);
  expect(cached.names).toHaveLength(1);
  expect(cached.paths).toEqual(
    expect.arrayContaining(['/time-stream/index.html', '/time-stream/manifest.webmanifest', '/time-stream/icons/icon-512.png']),
  );
  expect(cached.paths.some((path) => /^\/time-stream\/assets\/ort-wasm.*\.wasm$/.test(path))).toBe(true);
  expect(cached.paths.some((path) => /^\/time-stream\/assets\/generator\.worker-.*\.js$/.test(path))).toBe(true);
  const bundleFiles = readdirSync('dist/models/world', { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => `/time-stream/${`${entry.parentPath}/${entry.name}`.replace(/^dist\//, '')}`);
  expect(cached.paths).toEqual(expect.arrayContaining(bundleFiles));
  // Only the built-in bundle: the listed random tiny bundle (a test model) is read from the network.
  expect(cached.paths.filter((path) => path.startsWith('/time-stream/models/tiny'))).toEqual([]);
  expect(cached.paths.filter((path) => path.endsWith('sw.js') || path.endsWith('.map'))).toEqual([]);

  // A same-origin file outside the precache (another bundle, say) is left to the network every time.
  await control(ISOLATED_URL, 'log/reset');
  const statuses = await page.evaluate(async () => {
    const url = new URL('models/elsewhere/manifest.json', document.baseURI).href;
    return [(await fetch(url)).status, (await fetch(url)).status];
  });
  expect(statuses).toEqual([404, 404]);
  const log = (await control(ISOLATED_URL, 'log')) as LogEntry[];
  expect(log.filter((entry) => entry.path === '/time-stream/models/elsewhere/manifest.json')).toHaveLength(2);
  expect((await ourCaches(page)).paths).not.toContain('/time-stream/models/elsewhere/manifest.json');

  // The network goes away: the browser is offline and the host drops every connection.
  await control(ISOLATED_URL, 'offline?on=1');
  await context.setOffline(true);
  await page.reload();
  await expect(page.getByTestId('model-info')).toContainText('world', { ignoreCase: true });
  expect(await isolated(page)).toBe(true);
  await generate(page, 3);
  await context.setOffline(false);

  // The 404s above are the test's own probes.
  await session.check((problem) => problem.includes('404'));
  await context.close();
});

test('on a host without COOP/COEP the service worker makes the page cross-origin isolated (one reload), and wasm runs threaded', async ({
  wasmBrowser,
}) => {
  const context = await wasmBrowser.newContext();
  const session = await watchSession(context, PLAIN_URL);
  const page = await context.newPage();
  // Document loads (the app's own history.replaceState would count as a navigation).
  let navigations = 0;
  page.on('load', () => navigations++);

  const response = await page.goto(PLAIN_URL + SMALL_JOB);
  expect(response?.headers()['cross-origin-embedder-policy']).toBeUndefined();
  await expect.poll(() => isolated(page), { timeout: 30_000 }).toBe(true);
  await expect(page.getByTestId('model-info')).toContainText('world', { ignoreCase: true });
  // The first install is announced after that reload.
  await expect(page.getByTestId('pwa-offline-ready')).toBeVisible();
  expect(navigations).toBe(2);

  // The generation worker is isolated too (its script came through the service worker with the headers),
  // so onnxruntime-web gets SharedArrayBuffer and more than one wasm thread.
  await expect.poll(() => page.workers().some((w) => w.url().includes('generator.worker'))).toBe(true);
  const worker = page.workers().find((w) => w.url().includes('generator.worker'))!;
  expect(await worker.evaluate(() => [self.crossOriginIsolated, typeof SharedArrayBuffer])).toEqual([true, 'function']);
  await generate(page, 3);
  const cores = await worker.evaluate(() => navigator.hardwareConcurrency);
  if (cores > 1) expect(generatorWorkers(page), 'the generation worker and its wasm threads').toBeGreaterThan(1);

  // Later visits are isolated from the start: no second reload.
  await page.reload();
  await expect(page.getByTestId('model-info')).toContainText('world', { ignoreCase: true });
  expect(await isolated(page)).toBe(true);
  await page.waitForTimeout(500);
  expect(navigations).toBe(3);
  await session.check();
  await context.close();
});

test('without isolation (no service worker, no COOP/COEP) the app falls back to one wasm thread and still renders', async ({
  wasmBrowser,
}) => {
  const context = await wasmBrowser.newContext({ serviceWorkers: 'block' });
  const session = await watchSession(context, PLAIN_URL);
  const page = await context.newPage();
  await page.goto(PLAIN_URL + SMALL_JOB);
  await expect(page.getByTestId('model-info')).toContainText('world', { ignoreCase: true });
  expect(await isolated(page)).toBe(false);
  await expect.poll(() => page.workers().some((w) => w.url().includes('generator.worker'))).toBe(true);
  const worker = page.workers().find((w) => w.url().includes('generator.worker'))!;
  expect(await worker.evaluate(() => [self.crossOriginIsolated, typeof SharedArrayBuffer])).toEqual([false, 'undefined']);
  await generate(page, 3);
  expect(generatorWorkers(page), 'no wasm threads besides the generation worker').toBe(1);
  await session.check();
  await context.close();
});

test('a new deploy is announced; "Reload" switches to it, downloading only what changed', async ({ context, page }) => {
  const session = await watchSession(context, ISOLATED_URL);
  await page.goto(ISOLATED_URL);
  await expect(page.getByTestId('model-info')).toContainText('world', { ignoreCase: true });
  await expect.poll(() => controlled(page)).toBe(true);
  await expect(page.locator('meta[name="time-stream-version"]')).toHaveAttribute('content', FIRST_VERSION);

  // Deploy: the host now serves the second build.
  await control(ISOLATED_URL, 'log/reset');
  await control(ISOLATED_URL, 'root?name=next');
  await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())!.update());
  const prompt = page.getByTestId('pwa-update-available');
  await expect(prompt).toContainText('new version');
  // The running page still is the old version until the user chooses.
  await expect(page.locator('meta[name="time-stream-version"]')).toHaveAttribute('content', FIRST_VERSION);
  const fetched = ((await control(ISOLATED_URL, 'log')) as LogEntry[]).map((entry) => entry.path);
  expect(fetched).toContain('/time-stream/sw.js');
  expect(fetched).toContain('/time-stream/index.html');
  // Unchanged files (the 26 MB wasm, the model) are copied from the old cache, not downloaded again.
  expect(fetched.filter((path) => path.endsWith('.wasm') || path.includes('/models/'))).toEqual([]);

  await Promise.all([page.waitForEvent('framenavigated'), prompt.getByRole('button', { name: 'Reload' }).click()]);
  await expect(page.locator('meta[name="time-stream-version"]')).toHaveAttribute('content', NEXT_VERSION);
  await expect(page.getByTestId('model-info')).toContainText('world', { ignoreCase: true });
  // Activation deleted the old version's cache.
  const cached = await ourCaches(page);
  expect(cached.names).toHaveLength(1);
  expect(cached.names[0]).toContain(NEXT_VERSION);
  await session.check();
});
