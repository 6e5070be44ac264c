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
async function harness(browser: Browser, baseURL: string | undefined, build: OrtBuild): Promise<Page> {
  const page = await browser.newPage({ baseURL });
  await page.goto(`/tests/pages/engine.html?ort=${build}`);
  // A cold dev server transforms onnxruntime-web and transformers.js on the first load: give it time.
  await expect(page.locator('#status')).toHaveText('ready', { timeout: 180_000 });
  return page;
}

/**
 * Both onnxruntime-web builds the app runs (workers/runtime/ort.ts): jspi (Chromium, streams weights)
 * on every case, asyncify (other browsers) on every wasm case and one WebGPU case (SwiftShader takes
 * about a minute per WebGPU case; this one has 2 steps and Korean/emoji input).
 */
type OrtBuild = 'jspi' | 'asyncify';
const ASYNCIFY_WEBGPU_CASES = ['ko-emoji-2steps'];

for (const build of ['jspi', 'asyncify'] as const)
  for (const backend of ['wasm', 'webgpu'] as const) {
    test.describe(`parity on ${backend} (${build})`, () => {
      test.describe.configure({ mode: 'serial' });
      let page: Page;
      test.beforeAll(async ({ browser, baseURL }) => {
        page = await harness(browser, baseURL, build);
      });
      test.afterAll(async () => page?.close());
      const cases = index.generation_cases.filter(
        ({ name }) => build === 'jspi' || backend === 'wasm' || ASYNCIFY_WEBGPU_CASES.includes(name),
      );
      for (const { name } of cases) {
        test(name, async () => {
          const m = await page.evaluate(([n, b]) => (window as any).runParity(n, b), [name, backend] as const);
          console.log(`[parity ${backend} ${build}] ${name}: ${JSON.stringify({ ...m, timings: undefined })}`);
          const tol = TOLERANCE[backend];
          expect(m.backend).toBe(backend);
          expect(m.ortBuild).toBe(build);
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
