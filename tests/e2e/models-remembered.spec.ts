// A model added by its address is remembered by the store: after a reload the panel offers it again, and a
// download that stopped resumes where it stopped (issue 17 item 4), in Debian's Chromium.
import { test, expect } from '@playwright/test';

test('a download by address that stopped is offered again after a reload and resumes without fetching stored files again', async ({
  page,
  baseURL,
}) => {
  test.setTimeout(180_000);
  // Not the list's address of the tiny bundle (the query keeps it apart), so it counts as added by address.
  const manifestUrl = `${baseURL}/models/tiny/manifest.json?added=by-address`;
  const requested: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/models/tiny/') && !r.url().includes('manifest.json')) requested.push(new URL(r.url()).pathname);
  });
  // The transformer's weights cannot be fetched: the other files are stored, then the download gives up.
  await page.route('**/models/tiny/transformer.onnx.data.0', (route) => route.abort('connectionreset'));
  await page.goto('/');
  const panel = page.getByRole('region', { name: 'Model' });
  await panel.getByText('from a bundle URL').click();
  await page.locator('#bundle-url').fill(manifestUrl);
  await panel.getByRole('button', { name: 'Check size' }).click();
  await panel.getByRole('button', { name: 'Download' }).click();
  await expect(page.getByTestId('bundle-error')).toBeVisible({ timeout: 60_000 });

  await page.reload();
  const remembered = page.getByTestId('remembered');
  await expect(remembered).toContainText('Added by address on this device');
  await expect(remembered).toContainText('the download stopped');
  await page.unroute('**/models/tiny/transformer.onnx.data.0');
  requested.length = 0;
  await remembered.getByRole('button', { name: 'Resume the download' }).click();
  await expect(panel.getByText('Downloaded and verified.')).toBeVisible({ timeout: 60_000 });
  // Only what was missing was fetched; the entry left the list (it is the checked model now).
  expect(requested).toContain('/models/tiny/transformer.onnx.data.0');
  expect(requested).not.toContain('/models/tiny/clip.onnx.data.0');
  await expect(page.getByTestId('remembered')).toHaveCount(0);
  await expect(page.locator('#bundle-url')).toHaveValue(manifestUrl);
});

test('a source description pasted by address comes back after a reload, without fetching it again', async ({ page, baseURL }) => {
  const descriptionUrl = `${baseURL}/tests/fixtures/assemble/tiny/source.json`;
  await page.goto('/');
  const panel = page.getByRole('region', { name: 'Model' });
  await panel.getByText('from a bundle URL').click();
  await page.locator('#bundle-url').fill(descriptionUrl);
  await panel.getByRole('button', { name: 'Check size' }).click();
  const card = page.getByTestId('source-tiny-random-flux-schnell-assembled');
  await expect(card).toContainText('Pasted source description');

  const fetched: string[] = [];
  page.on('request', (r) => r.url().endsWith('/source.json') && fetched.push(r.url()));
  await page.reload();
  await expect(card).toContainText('Pasted source description');
  await expect(card.getByRole('button', { name: 'Fetch and assemble' })).toBeVisible();
  expect(fetched).toEqual([]);
});
