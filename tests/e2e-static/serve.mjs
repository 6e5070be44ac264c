#!/usr/bin/env node
// The static suite's web server (playwright.static.config.ts starts it): builds the app once into
// dist/, builds a second deploy (same code, another version string) for the update test, and serves
// them as two static hosts:
//   ISOLATED  (port P):   COOP/COEP + CSP headers, app under /time-stream/ (a GitHub Pages-like sub-path);
//                         its folder can be switched to the second deploy (/__control/root?name=next).
//   PLAIN     (port P+1): no COOP/COEP (a host that cannot set headers), CSP header, app at /.
// STATIC_SKIP_BUILD=1 reuses an existing dist/ and second deploy (quicker reruns while editing tests).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startStaticServer } from '../server/static-server.mjs';

// Set by playwright.static.config.ts (tests/e2e-static/setup.ts holds the values).
const STATIC_PORT = Number(process.env.STATIC_PORT ?? 4180);
const NEXT_DEPLOY_DIR = process.env.NEXT_DEPLOY_DIR ?? 'dist-next';
const FIRST_VERSION = process.env.FIRST_VERSION ?? 'static-test-1';
const NEXT_VERSION = process.env.NEXT_VERSION ?? 'static-test-2';

function viteBuild(outDir, version) {
  console.log(`serve: vite build → ${outDir} (version ${version})`);
  const result = spawnSync('npx', ['vite', 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], {
    stdio: 'inherit',
    env: { ...process.env, APP_VERSION: version },
  });
  if (result.status !== 0) throw new Error(`vite build into ${outDir} failed (${result.status})`);
}

if (!existsSync('public/models/world/manifest.json')) {
  throw new Error('public/models/world/manifest.json is missing: the built-in bundle is committed (see the README, "Models")');
}
const skip = process.env.STATIC_SKIP_BUILD === '1' && existsSync('dist/sw.js') && existsSync(join(NEXT_DEPLOY_DIR, 'sw.js'));
if (!skip) {
  viteBuild('dist', FIRST_VERSION);
  viteBuild(NEXT_DEPLOY_DIR, NEXT_VERSION);
}

await startStaticServer({ roots: { first: 'dist', next: NEXT_DEPLOY_DIR }, port: STATIC_PORT, prefix: '/time-stream/', control: true });
await startStaticServer({ roots: { first: 'dist' }, port: STATIC_PORT + 1, isolation: false, control: true });
