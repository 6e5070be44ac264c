// fp16 activations (issue 15 item 2) in real Chromium: the assembler's choice between a source's two
// templates (tests/fixtures/assemble/tiny-f16/source.json names tiny/template and tiny-f16/template), the
// stored manifests, and the float16 bundle run through the app's runtime (onnxruntime-web) against the
// float32 one. The choice reads the engine's GPU: SwiftShader (here) has no shader-f16, so the default
// assembly is float32; the float16 path is assembled by telling the assembler the GPU has it.
import { test, expect, type Page } from '@playwright/test';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AssembleTest } from '../pages/assemble-harness';
import type { PrecisionTest } from '../pages/precision-harness';
import type { AssemblyPlan, AssemblyResult, SourceDescription } from '../../src/shared/assemble-api';
import type { BundleManifest } from '../../src/shared/manifest';
import type { RenderRequest } from '../../src/shared/request';

declare global {
  interface Window {
    assembleTest: AssembleTest;
    precisionTest: PrecisionTest;
  }
}

const ROOT = new URL('../../', import.meta.url);
const read = (rel: string) => readFileSync(new URL(rel, ROOT));
const json = <T>(rel: string) => JSON.parse(read(rel).toString()) as T;
const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const FP32 = 'tests/fixtures/assemble/tiny/expected/';
const FP16 = 'tests/fixtures/assemble/tiny-f16/expected/';
const SOURCE = json<SourceDescription>('tests/fixtures/assemble/tiny-f16/source.json');
/** The gates (tools/export precision_check.py has the same). */
const COSINE_MIN = 0.999;
const PSNR_MIN_DB = 35;

type Failure = { error: { name: string; message: string } };
function ok<T>(value: T | Failure | undefined): T {
  if (value && typeof value === 'object' && 'error' in value) throw new Error(`${value.error.name}: ${value.error.message}`);
  return value as T;
}

async function open(page: Page, harness: 'assemble' | 'precision'): Promise<void> {
  await page.goto(`/tests/pages/${harness}.html`);
  await expect(page.locator('#status')).toHaveText('ready');
}

/** The device's shader-f16, as the assembler reads it (the engine's GPU device). */
const shaderF16 = async (page: Page) => ok<boolean>(await page.evaluate(() => window.precisionTest.shaderF16()));

/** Every file the engine reads from the stored bundle equals `dir` (an expected/ of the fixtures) byte for byte. */
async function expectStoredLike(page: Page, manifestUrl: string, dir: string): Promise<BundleManifest> {
  const want = json<BundleManifest>(`${dir}manifest.json`);
  const opened = ok(await page.evaluate((u) => window.assembleTest.open(u), manifestUrl));
  expect(opened.version).toBe(want.version);
  for (const f of opened.files) {
    const bytes = sha256(read(`${dir}${f.path}`));
    expect([f.path, f.sha256, f.listed]).toEqual([f.path, bytes, bytes]);
  }
  expect(opened.manifest.components.transformer).toEqual(want.components.transformer);
  return opened.manifest;
}

const plan = async (page: Page, f16?: boolean) =>
  ok<AssemblyPlan>(
    await page.evaluate(
      ([s, o]) => {
        window.assembleTest.options = o;
        return window.assembleTest.plan(s);
      },
      [SOURCE, f16 === undefined ? {} : { shaderF16: f16 }] as const,
    ),
  );
const assemble = async (page: Page, f16?: boolean) =>
  ok<AssemblyResult>(
    await page.evaluate(([s, o]) => window.assembleTest.assemble(s, o), [SOURCE, f16 === undefined ? {} : { shaderF16: f16 }] as const),
  );

test('the assembler takes template_f16 only with shader-f16: this GPU gets float32, and the manifest says so', async ({ page }) => {
  test.setTimeout(120_000);
  await open(page, 'precision');
  const hasF16 = await shaderF16(page);
  await open(page, 'assemble');
  ok(await page.evaluate(() => window.assembleTest.deleteBundle()));
  const before = await plan(page);
  const want = hasF16 ? 'float16' : 'float32';
  expect(before).toMatchObject({ complete: false, activations: want });
  expect(before.activationsReason).toMatch(hasF16 ? /has shader-f16/ : /no shader-f16/);
  expect(before.storedActivations).toBeUndefined();
  const result = await assemble(page);
  expect(result.activations).toBe(want);
  // The very bundle tools/export's fill makes from that template (the oracle), float32 here.
  const manifest = await expectStoredLike(page, result.manifestUrl, hasF16 ? FP16 : FP32);
  expect(manifest.components.transformer.activations).toBe(hasF16 ? 'float16' : undefined);
  expect(await plan(page)).toMatchObject({ complete: true, activations: want, storedActivations: want });
});

test('with shader-f16 the float16 bundle is assembled byte for byte like the exporter; without, it is replaced by the float32 one', async ({
  page,
}) => {
  test.setTimeout(180_000);
  await open(page, 'assemble');
  ok(await page.evaluate(() => window.assembleTest.deleteBundle()));
  const f16 = await assemble(page, true);
  expect(f16.activations).toBe('float16');
  const manifest = await expectStoredLike(page, f16.manifestUrl, FP16);
  expect(manifest.components.transformer.activations).toBe('float16');
  // Its float16 scales make a smaller transformer shard than the float32 bundle's.
  expect(manifest.components.transformer.external_data[0]!.bytes).toBeLessThan(
    json<BundleManifest>(`${FP32}manifest.json`).components.transformer.external_data[0]!.bytes,
  );
  expect(await plan(page, true)).toMatchObject({ complete: true, activations: 'float16', storedActivations: 'float16' });

  // The same store on a GPU without shader-f16: the plan says the stored copy is float16 and offers float32.
  const other = await plan(page, false);
  expect(other).toMatchObject({ complete: false, activations: 'float32', storedActivations: 'float16' });
  expect(other.activationsReason).toMatch(/no shader-f16/);
  const f32 = await assemble(page, false);
  expect(f32.activations).toBe('float32');
  await expectStoredLike(page, f32.manifestUrl, FP32);
  // A float32 bundle is kept even on a GPU with shader-f16 (switching would read every source again).
  const kept = await plan(page, true);
  expect(kept).toMatchObject({ complete: true, activations: 'float32', storedActivations: 'float32' });
  expect(kept.activationsReason).toMatch(/stored bundle was assembled with 32-bit activations/);
  ok(await page.evaluate(() => window.assembleTest.deleteBundle()));
});

test('a template_f16 whose transformer is not float16 is refused by name, before anything is written', async ({ page }) => {
  await open(page, 'assemble');
  ok(await page.evaluate(() => window.assembleTest.deleteBundle()));
  const wrong = { ...SOURCE, template_f16: '/tests/fixtures/assemble/tiny/template/template.json?f16' };
  const error = await page.evaluate((s) => window.assembleTest.assemble(s, { shaderF16: true }), wrong);
  expect(error).toMatchObject({ error: { name: 'BundleInvalid' } });
  expect((error as Failure).error.message).toMatch(/named as the template_f16 of this source, but its transformer computes in float32/);
  const report = ok(await page.evaluate(() => window.assembleTest.storage()));
  expect(report.bundles).toEqual([]);
});

test('the float16 transformer matches the float32 one on wasm (cosine >= 0.999); WebGPU without shader-f16 refuses it', async ({
  page,
}) => {
  test.setTimeout(120_000);
  await open(page, 'precision');
  const hasF16 = await shaderF16(page);
  const wasm = ok(
    await page.evaluate(([a, b]) => window.precisionTest.compare(a, b, 'wasm'), [
      `/${FP32}manifest.json`,
      `/${FP16}manifest.json`,
    ] as const),
  );
  console.log(`wasm: cosine ${wasm.cosine}, max |diff| ${wasm.maxAbs} (output scale ${wasm.scale})`);
  expect(wasm.activations).toEqual(['float32', 'float16']);
  expect(wasm.length).toEqual([1024, 1024]);
  expect(wasm.finite).toBe(true);
  expect(wasm.cosine).toBeGreaterThanOrEqual(COSINE_MIN);
  // Really another computation (onnxruntime's CPU MatMulNBits in float16), not the same graph twice.
  expect(wasm.maxAbs).toBeGreaterThan(0);

  const gpu = await page.evaluate(([a, b]) => window.precisionTest.compare(a, b, 'webgpu'), [
    `/${FP32}manifest.json`,
    `/${FP16}manifest.json`,
  ] as const);
  if (hasF16) {
    const r = ok(gpu);
    console.log(`webgpu (shader-f16): cosine ${r.cosine}, max |diff| ${r.maxAbs}`);
    expect(r.cosine).toBeGreaterThanOrEqual(COSINE_MIN);
  } else {
    // onnxruntime-web's WebGPU EP makes the session, then refuses the first float16 shader at run time.
    expect(gpu).toMatchObject({ error: { message: expect.stringMatching(/requires f16 but the device does not support it/) } });
  }
});

const REQUEST: RenderRequest = {
  prompt: 'a tomato',
  state1: 'fresh',
  state2: 'rotten',
  strength: 1.5,
  frames: 3,
  iterations: 0,
  steps: 2,
  seed: 7,
  width: 64,
  height: 64,
  guidanceScale: 3.5,
  maxSequenceLength: 256,
};

function psnr(a: number[], b: number[]): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) if (i % 4 !== 3) se += (a[i]! - b[i]!) ** 2;
  const mse = se / ((a.length / 4) * 3);
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

test('a float16 bundle on a GPU without shader-f16 runs on wasm, says why, and its frames match the float32 bundle (>= 35 dB)', async ({
  page,
}) => {
  test.setTimeout(180_000);
  await open(page, 'precision');
  test.skip(await shaderF16(page), 'this GPU has shader-f16: the float16 bundle runs on WebGPU');
  const f16 = ok(await page.evaluate(([u, r]) => window.precisionTest.render(u, r), [`/${FP16}manifest.json`, REQUEST] as const));
  // The engine tried WebGPU, onnxruntime refused the float16 shader, and the job ran again on wasm.
  expect(f16.backend).toBe('wasm');
  expect(f16.backendEvents.at(-1)).toMatchObject({ backend: 'wasm', reason: expect.stringMatching(/requires f16/) });
  const f32 = ok(await page.evaluate(([u, r]) => window.precisionTest.render(u, r, 'wasm'), [`/${FP32}manifest.json`, REQUEST] as const));
  expect(f16.frames).toHaveLength(3);
  expect(f32.frames).toHaveLength(3);
  const db = f16.frames.map((frame, i) => psnr(frame, f32.frames[i]!));
  console.log(`frames float16 vs float32 (wasm): PSNR ${db.map((d) => d.toFixed(1)).join(', ')} dB`);
  for (const d of db) expect(d).toBeGreaterThanOrEqual(PSNR_MIN_DB);
});

/** The app's model panel: paste the fixture's source description by URL. */
async function pasteSource(page: Page, url: string) {
  await page.goto('/');
  const panel = page.getByRole('region', { name: 'Model' });
  const field = page.locator('#bundle-url');
  if (!(await field.isVisible())) await panel.getByText('from a bundle URL').click();
  await field.fill(url);
  await panel.getByRole('button', { name: 'Check size' }).click();
  return page.getByTestId(`source-${SOURCE.id}`);
}

test('the model card says which precision it assembles or holds, and why; a float16 copy this GPU cannot run is named', async ({
  page,
  baseURL,
}) => {
  test.setTimeout(180_000);
  await open(page, 'precision');
  const hasF16 = await shaderF16(page);
  await open(page, 'assemble');
  ok(await page.evaluate(() => window.assembleTest.deleteBundle()));

  let card = await pasteSource(page, `${baseURL}/tests/fixtures/assemble/tiny-f16/source.json`);
  const precision = card.getByTestId('source-precision');
  await expect(precision).toContainText(`Precision: 4-bit weights, ${hasF16 ? 16 : 32}-bit activations`);
  await expect(precision).toContainText(hasF16 ? 'This GPU has shader-f16' : 'This GPU has no shader-f16');
  await expect(card.getByTestId('source-precision-warning')).toHaveCount(0);
  test.skip(hasF16, 'this GPU has shader-f16: a stored float16 copy runs on it');

  // A float16 copy in the store (assembled as on a GPU with shader-f16), then seen from this GPU.
  await open(page, 'assemble');
  expect(ok<AssemblyResult>(await page.evaluate((s) => window.assembleTest.assemble(s, { shaderF16: true }), SOURCE)).activations).toBe(
    'float16',
  );
  card = await pasteSource(page, `${baseURL}/tests/fixtures/assemble/tiny-f16/source.json`);
  await expect(card.getByTestId('source-done')).toBeVisible();
  await expect(card.getByTestId('source-precision')).toHaveText('Precision: 4-bit weights, 16-bit activations');
  await expect(card.getByTestId('source-precision-warning')).toContainText('it has no shader-f16');
  await expect(card.getByTestId('source-precision-warning')).toContainText('Delete it and assemble it again');

  await open(page, 'assemble');
  ok(await page.evaluate(() => window.assembleTest.deleteBundle()));
});

test('the shipped FLUX.1-schnell templates plan through the assembler: fp16 with shader-f16, fp32 without, 0.74 GB apart', async ({
  page,
  baseURL,
}) => {
  const list = JSON.parse(read('public/models/sources.json').toString()) as { models: Record<string, unknown>[] };
  const flux = structuredClone(list.models.find((m) => m.id === 'flux1-schnell-q4-public')) as unknown as SourceDescription;
  // As public/models/sources.json will name it (resolved against the app, as sources.ts does).
  flux.template = `${baseURL}/models/flux1-schnell-q4/template.json`;
  flux.template_f16 = `${baseURL}/models/flux1-schnell-q4-f16/template.json`;
  const stored = (dir: string) => {
    const m = json<{ manifest: BundleManifest }>(`public/models/${dir}/template.json`).manifest;
    const files = Object.values(m.components).flatMap((c) => [c.graph, ...c.external_data]);
    return [...files, ...m.tokenizers.clip.files].reduce((n, f) => n + f.bytes, 0);
  };
  await open(page, 'assemble');
  const plans: AssemblyPlan[] = [];
  for (const shaderF16 of [true, false]) {
    await page.evaluate((o) => (window.assembleTest.options = o), { shaderF16 });
    plans.push(ok<AssemblyPlan>(await page.evaluate((s) => window.assembleTest.plan(s), flux)));
  }
  const [f16, f32] = plans as [AssemblyPlan, AssemblyPlan];
  expect(f16).toMatchObject({
    activations: 'float16',
    activationsWhy: 'shader-f16',
    precision: 'q4',
    storedBytes: stored('flux1-schnell-q4-f16'),
  });
  expect(f32).toMatchObject({
    activations: 'float32',
    activationsWhy: 'no-shader-f16',
    precision: 'q4',
    storedBytes: stored('flux1-schnell-q4'),
  });
  console.log(`FLUX stored bytes: fp16 ${f16.storedBytes}, fp32 ${f32.storedBytes} (${f32.storedBytes - f16.storedBytes} less)`);
  expect(f32.storedBytes - f16.storedBytes).toBeGreaterThan(0.7e9);
  // The same public files to download; of the app's own files only the transformer graph differs.
  const graph = (dir: string) =>
    json<{ manifest: BundleManifest }>(`public/models/${dir}/template.json`).manifest.components.transformer.graph.bytes;
  expect(f16.downloadBytes - f32.downloadBytes).toBe(graph('flux1-schnell-q4-f16') - graph('flux1-schnell-q4'));
  // The same largest tensor (a 4-bit weight, not a scale): the preflight's GPU buffer check is unchanged.
  expect(f16.largestTensorBytes).toBe(f32.largestTensorBytes);
});
