// Fused attention (issue 15): the transformer's com.microsoft MultiHeadAttention, as tools/export emits it,
// against softmax(q·kᵀ/√d)·v computed in float64, on wasm and on WebGPU; and on WebGPU the memory it saves:
// onnxruntime's flash attention never holds the [heads, S, S] scores the decomposed graph materialises.
// Graphs: tests/fixtures/attention/make_attention.py (4 heads of 16, S symbolic).
import { test, expect, type Page } from '@playwright/test';

type Result = { maxError: number; length: number; runPeakBytes: number } | { error: { name: string; message: string } };

async function run(page: Page, graph: string, seq: number, backend: 'wasm' | 'webgpu', checkValues = true) {
  const result: Result = await page.evaluate(([g, s, b, c]) => window.runtimeTest.runAttention(g, s, b, c), [
    graph,
    seq,
    backend,
    checkValues,
  ] as const);
  if ('error' in result) throw new Error(`${result.error.name}: ${result.error.message}`);
  return result;
}

test.beforeEach(async ({ page }) => {
  await page.goto('/tests/pages/runtime.html');
  await expect(page.locator('#status')).toHaveText('ready');
});

for (const backend of ['wasm', 'webgpu'] as const)
  test(`fused attention matches the float64 reference on ${backend}`, async ({ page }) => {
    for (const seq of [1, 64, 300]) {
      const fused = await run(page, 'mha-fused', seq, backend);
      console.log(`[attention ${backend}] S=${seq}: max error ${fused.maxError.toExponential(2)}`);
      expect(fused.length).toBe(seq * 64);
      expect(fused.maxError).toBeLessThan(1e-5);
    }
  });

test('fused attention on WebGPU holds no S x S scores: at S = 1200 its run peak is under 1/5 of the decomposed graph', async ({ page }) => {
  const fused = await run(page, 'mha-fused', 1200, 'webgpu', false);
  const decomposed = await run(page, 'mha-decomposed', 1200, 'webgpu', false);
  console.log(`[attention webgpu] S=1200 run peak: fused ${fused.runPeakBytes} B, decomposed ${decomposed.runPeakBytes} B`);
  // The decomposed graph's scores alone are 4 heads x 1200² x 4 B = 23 MB (twice: scores and probabilities).
  expect(decomposed.runPeakBytes).toBeGreaterThan(2 * 4 * 1200 * 1200 * 4);
  expect(fused.runPeakBytes * 5).toBeLessThan(decomposed.runPeakBytes);
});
