import { test, expect } from '@playwright/test';

test('the app reads the built-in bundle through its worker, cross-origin isolated', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('model-info')).toContainText('world', { ignoreCase: true });
  await expect(page.getByTestId('isolation')).toContainText('yes');
});

test('the device card names the GPU device the engine made: adapter, onnxruntime build, limits, features', async ({ page }) => {
  await page.goto('/');
  const details = page.getByTestId('device-details');
  await details.locator('summary').click();
  await expect(page.getByTestId('device-build')).toContainText('stream from storage to the GPU');
  // SwiftShader here: 1 GiB buffers and bindings (the adapter's maximum, not WebGPU's 256/128 MiB defaults).
  await expect(details).toContainText('Largest GPU buffer: 1.1 GB');
  await expect(details).toContainText('GPU features in use:');
});
