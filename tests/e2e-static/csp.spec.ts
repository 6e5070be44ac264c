// The built app under its Content-Security-Policy (the static host sends the <meta>'s policy as a header):
// an address the policy does not allow is named as such, not as a failing connection (issue 18 item 7).
import { test, expect } from '@playwright/test';
import { ISOLATED_URL, PLAIN_URL } from './setup';

test('a model address the site policy refuses is named as refused by the policy, with the host, not as a network failure', async ({
  page,
}) => {
  await page.goto(ISOLATED_URL);
  const panel = page.getByRole('region', { name: 'Model' });
  await expect(page.getByTestId('model-info')).toContainText('world', { ignoreCase: true });
  // Another origin (the second static host): not in connect-src.
  const elsewhere = `${PLAIN_URL}models/world/manifest.json`;
  await panel.getByText('from a bundle URL').click();
  await page.locator('#bundle-url').fill(elsewhere);
  await panel.getByRole('button', { name: 'Check size' }).click();
  const error = page.getByTestId('bundle-error');
  await expect(error).toContainText('This site is not allowed to connect to that model host.');
  await expect(error).toContainText('Content-Security-Policy');
  await expect(error).toContainText(new URL(PLAIN_URL).origin);
  await expect(error).not.toContainText('Check the connection');
});
