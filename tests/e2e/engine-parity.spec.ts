// The arbiter: the TypeScript pipeline against diffusers' FluxPipeline (+ CLIP-slider offset) on the
// same tiny weights, with the reference's noise and template pairs injected, on both backends.
import { test, expect, type Page, type Browser } from '@playwright/test';
import { readFileSync } from 'node:fs';

const index = JSON.parse(readFileSync('tests/fixtures/reference/tiny/index.json', 'utf8')) as {
  generation_cases: { name: string }[];
};

/** Tolerances per backend: wasm runs fp32 like the reference; SwiftShader WebGPU reorders sums. */
const TOLERANCE = {
  wasm: { embeddings: 1e-4, latents: 1e-4, psnr: 45 },
  webgpu: { embeddings: 1e-3, latents: 1e-3, psnr: 45 },
} as const;

// One page per backend for all cases: WebGPU compiles its shaders once (SwiftShader is slow at it).
async function harness(browser: Browser, baseURL: string | undefined): Promise<Page> {
  const page = await browser.newPage({ baseURL });
  await page.goto('/tests/pages/engine.html');
  // A cold dev server transforms onnxruntime-web and transformers.js on the first load: give it time.
  await expect(page.locator('#status')).toHaveText('ready', { timeout: 180_000 });
  return page;
}

for (const backend of ['wasm', 'webgpu'] as const) {
  test.describe(`parity on ${backend}`, () => {
    test.describe.configure({ mode: 'serial' });
    let page: Page;
    test.beforeAll(async ({ browser, baseURL }) => {
      page = await harness(browser, baseURL);
    });
    test.afterAll(async () => page?.close());
    for (const { name } of index.generation_cases) {
      test(name, async () => {
        const m = await page.evaluate(([n, b]) => (window as any).runParity(n, b), [name, backend] as const);
        console.log(`[parity ${backend}] ${name}: ${JSON.stringify({ ...m, timings: undefined })}`);
        const tol = TOLERANCE[backend];
        expect(m.backend).toBe(backend);
        expect(m.clipIdsEqual).toBe(true);
        expect(m.t5IdsEqual).toBe(true);
        expect(m.pooled).toBeLessThanOrEqual(tol.embeddings);
        expect(m.t5).toBeLessThanOrEqual(tol.embeddings);
        expect(m.direction).toBeLessThanOrEqual(tol.embeddings);
        expect(m.latents).toBeLessThanOrEqual(tol.latents);
        expect(m.minPsnr).toBeGreaterThanOrEqual(tol.psnr);
      });
    }
  });
}
