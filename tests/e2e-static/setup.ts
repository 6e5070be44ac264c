// Shared by playwright.static.config.ts and the static suite: where the two static hosts listen and
// which version strings the two deploys carry.
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const STATIC_PORT = Number(process.env.STATIC_PORT ?? 4180);
/** COOP/COEP and CSP headers, app under a sub-path; can switch to the second deploy. */
export const ISOLATED_URL = `http://127.0.0.1:${STATIC_PORT}/time-stream/`;
/** No COOP/COEP headers (like GitHub Pages), CSP header, app at the root. */
export const PLAIN_URL = `http://127.0.0.1:${STATIC_PORT + 1}/`;
/** The second deploy, built outside the repository (it only lives for the test run). */
export const NEXT_DEPLOY_DIR = join(tmpdir(), 'time-stream-static-next');
export const FIRST_VERSION = 'static-test-1';
export const NEXT_VERSION = 'static-test-2';
