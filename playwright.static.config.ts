import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './scripts/chromium.mjs';
import { FIRST_VERSION, ISOLATED_URL, NEXT_DEPLOY_DIR, NEXT_VERSION, STATIC_PORT } from './tests/e2e-static/setup';

// The built app (dist/) on plain static hosts: offline PWA, updates, cross-origin isolation through the
// service worker, CSP, same-origin-only requests. `npm run test:static`.
export default defineConfig({
  testDir: 'tests/e2e-static',
  timeout: 180_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: 'test-results/static',
  use: {
    browserName: 'chromium',
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
  },
  webServer: {
    command: 'node tests/e2e-static/serve.mjs',
    url: ISOLATED_URL,
    // Always a fresh build: a server left running from an older build would test stale files.
    reuseExistingServer: false,
    timeout: 240_000,
    stdout: 'pipe',
    env: { STATIC_PORT: String(STATIC_PORT), NEXT_DEPLOY_DIR, FIRST_VERSION, NEXT_VERSION },
  },
});
