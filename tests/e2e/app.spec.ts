import { test, expect } from '@playwright/test';

test('the app reads the built-in bundle through its worker, cross-origin isolated', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('model-info')).toContainText('tiny', { ignoreCase: true });
  await expect(page.getByTestId('isolation')).toContainText('yes');
});
