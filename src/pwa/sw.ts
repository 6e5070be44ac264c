// The service worker: precaches the app shell (the built files, onnxruntime-web's wasm and the built-in
// world model bundle) in one versioned cache, serves them offline, and adds the cross-origin isolation
// headers to what it serves (the coi-serviceworker approach), so that ORT can use threaded wasm on hosts
// that cannot set COOP/COEP themselves.
//
// It is built by src/pwa/vite-plugin.ts as a separate classic script (dist/sw.js) after the app, with
// the precache list and version defined in. It never touches any other URL: other model bundles (same
// origin or not) go straight to the network, because the model store keeps weights in IndexedDB.
import type { PrecacheEntry, SwMessage } from './protocol';

declare const self: ServiceWorkerGlobalScope;
declare const __TS_PRECACHE__: readonly PrecacheEntry[];
declare const __TS_VERSION__: string;
declare const __TS_CACHE_PREFIX__: string;

const VERSION = __TS_VERSION__;
const scope = self.registration.scope;
// Caches are per origin, and one origin can host several apps (GitHub Pages project sites), so the name
// carries the scope: "every other cache of ours" means ours under this scope, never another app's.
const CACHE_PREFIX = `${__TS_CACHE_PREFIX__}:${scope}:`;
const CACHE_NAME = `${CACHE_PREFIX}${VERSION}`;
const HASH_HEADER = 'x-time-stream-sha256';

/** Absolute URL (no query) → expected sha256 of its bytes. */
const precache = new Map(__TS_PRECACHE__.map((entry) => [new URL(entry.url, scope).href, entry.sha256]));
const indexUrl = new URL('index.html', scope).href;

const ISOLATION_HEADERS: Record<string, string> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

async function sha256Hex(buffer: ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', buffer));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A response of the previous version's caches with the same bytes, so an update downloads only what changed. */
async function reusable(url: string, sha256: string): Promise<Response | undefined> {
  for (const name of await caches.keys()) {
    if (!name.startsWith(CACHE_PREFIX) || name === CACHE_NAME) continue;
    const old = await (await caches.open(name)).match(url);
    if (old?.headers.get(HASH_HEADER) === sha256) return old;
  }
  return undefined;
}

/** Fetches one file, checks its bytes against the build's hash, and stores it with that hash. */
async function fetchVerified(url: string, sha256: string): Promise<Response> {
  // 'no-cache' revalidates with the server: a stale HTTP-cached file of the old version must not slip in.
  const response = await fetch(url, { cache: 'no-cache', credentials: 'same-origin' });
  if (!response.ok) throw new Error(`precache: ${url} answered ${response.status}`);
  const body = await response.arrayBuffer();
  const actual = await sha256Hex(body);
  // A mismatch is a host still serving the previous deploy (CDN propagation): fail this install, the
  // browser retries on a later visit, and the old version keeps working meanwhile.
  if (actual !== sha256) throw new Error(`precache: ${url} has sha256 ${actual}, the build says ${sha256}`);
  const headers = new Headers(response.headers);
  headers.set(HASH_HEADER, sha256);
  return new Response(body, { status: 200, statusText: 'OK', headers });
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE_NAME);
      const cached = new Set((await cache.keys()).map((request) => request.url));
      // Sequential on purpose: the wasm file is tens of MB, and an install must not starve the page.
      for (const [url, sha256] of precache) {
        if (cached.has(url)) continue;
        await cache.put(url, (await reusable(url, sha256)) ?? (await fetchVerified(url, sha256)));
      }
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(names.filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE_NAME).map((name) => caches.delete(name)));
      // Control the page that installed us right away: it works offline from now on, and a reload
      // through this worker makes it cross-origin isolated.
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('message', (event) => {
  const message = event.data as SwMessage | undefined;
  if (message?.type === 'skip-waiting') void self.skipWaiting();
  else if (message?.type === 'get-version') event.ports[0]?.postMessage({ type: 'version', version: VERSION } satisfies SwMessage);
});

/** The same response with the isolation headers added; opaque and redirect responses cannot be rewritten. */
function isolated(response: Response): Response {
  if (response.status === 0 || response.type === 'opaqueredirect') return response;
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(ISOLATION_HEADERS)) headers.set(name, value);
  headers.delete(HASH_HEADER);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

async function fromCache(url: string): Promise<Response | undefined> {
  return (await caches.open(CACHE_NAME)).match(url);
}

async function navigate(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const path = url.origin + url.pathname;
  // The app is one page: its start URL (with any query: shared settings) opens the cached index.html.
  if (path === scope || path === indexUrl) {
    const cached = await fromCache(indexUrl);
    if (cached) return isolated(cached);
  }
  return isolated(await fetch(request));
}

async function precached(request: Request, url: string): Promise<Response> {
  const cached = await fromCache(url);
  // Missing only if the cache was cleared behind our back (storage pressure, devtools): go to the network.
  return isolated(cached ?? (await fetch(request)));
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  // A Chromium quirk (devtools): such requests fail if a service worker answers them.
  if (request.cache === 'only-if-cached' && request.mode !== 'same-origin') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return; // model hosts and anything else: not ours
  if (request.mode === 'navigate') {
    event.respondWith(navigate(request));
    return;
  }
  const key = url.origin + url.pathname;
  // Range requests are left to the network: a cached full body would not answer them correctly.
  if (precache.has(key) && !request.headers.has('range')) event.respondWith(precached(request, key));
});
