// Build-time half of the PWA (runs in Node, imported by vite.config.ts; never bundled into the app):
// - injects the Content-Security-Policy <meta> and the version <meta> into the built index.html only
//   (the dev server injects inline scripts of its own, so it keeps working without a CSP);
// - after the app is written, lists every file to precache with its sha256 and builds the service
//   worker (src/pwa/sw.ts) on its own into <outDir>/sw.js, with that list and the version defined in.
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin, type ResolvedConfig } from 'vite';
import type { PrecacheEntry } from './protocol';

export interface PwaPluginOptions {
  /** Origins the app may fetch model bundles from, besides its own (CSP connect-src). */
  modelHosts: readonly string[];
  /** Shown in the page's version <meta> and part of the service worker's cache version. */
  appVersion: string;
  /** Folders under the output (with a trailing slash) of bundles that ship with the app, and files under models/, that are precached. */
  builtInModels?: readonly string[];
}

const SW_FILE = 'sw.js';
const CACHE_PREFIX = 'time-stream-shell';

/**
 * Parses a list of model hosts (comma or space separated origins, e.g. "https://huggingface.co
 * https://*.hf.co") and refuses anything that is not a plain origin, so a typo cannot widen the policy.
 */
export function parseModelHosts(value: string | undefined): string[] {
  const hosts = (value ?? '').split(/[\s,]+/).filter(Boolean);
  for (const host of hosts) {
    if (!/^https?:\/\/(\*\.)?[a-z0-9.-]+(:\d+)?$/i.test(host)) {
      throw new Error(
        `VITE_MODEL_HOSTS: "${host}" is not an origin like https://huggingface.co or https://*.hf.co (no path, no trailing slash)`,
      );
    }
  }
  return hosts;
}

/** Keys of the model list whose values the app fetches (licence links and notes are only shown). */
const FETCHED_KEYS = new Set(['url', 'manifest_url', 'template', 'template_f16']);
/** Where a host redirects its downloads: CSP checks every hop, so these are allowed with it. */
const REDIRECT_HOSTS: Record<string, readonly string[]> = {
  'https://huggingface.co': ['https://*.huggingface.co', 'https://*.hf.co'],
};

/**
 * The origins the model list (public/models/sources.json) downloads from, for connect-src: a default
 * build can then fetch every model it lists (before, FLUX.1-schnell was listed but refused). Relative
 * URLs are the app's own; huggingface.co brings the hosts it redirects downloads to.
 */
export function modelListHosts(listJson: string): string[] {
  const hosts = new Set<string>();
  const visit = (value: unknown, key?: string): void => {
    if (Array.isArray(value)) for (const item of value) visit(item);
    else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) if (k !== 'license') visit(v, k);
    } else if (typeof value === 'string' && key && FETCHED_KEYS.has(key) && /^https?:\/\//i.test(value)) {
      const origin = new URL(value).origin;
      for (const host of [origin, ...(REDIRECT_HOSTS[origin] ?? [])]) hosts.add(host);
    }
  };
  visit(JSON.parse(listJson));
  return [...hosts];
}

/** The app's Content-Security-Policy. frame-ancestors cannot be set from a <meta>: hosts add it as a header. */
export function contentSecurityPolicy(modelHosts: readonly string[]): string {
  return [
    "default-src 'none'",
    // 'wasm-unsafe-eval' lets onnxruntime-web compile its wasm; no other eval, no inline scripts.
    "script-src 'self' 'wasm-unsafe-eval'",
    // Stylesheets from our origin only. Svelte's style: directives go through the CSSOM, which CSP allows;
    // a static style="…" attribute in a component's markup would be refused (use a class or style:).
    "style-src 'self'",
    "img-src 'self' blob: data:",
    "media-src 'self' blob: data:",
    ['connect-src', "'self'", ...modelHosts].join(' '),
    // The generation worker, its wasm threads (emscripten starts them from the same script) and sw.js:
    // all files of ours; no blob: workers are needed (checked by the static suite's CSP reports).
    "worker-src 'self'",
    "manifest-src 'self'",
    "base-uri 'self'",
    "form-action 'none'",
    "object-src 'none'",
  ].join('; ');
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'));
}

/** What the service worker precaches: the whole build except itself, source maps, and bundles not built in. */
function isPrecached(file: string, builtInModels: readonly string[]): boolean {
  if (file === SW_FILE || file.endsWith('.map') || file.startsWith('.')) return false;
  if (file.startsWith('models/')) return builtInModels.some((folder) => file.startsWith(folder));
  return true;
}

export function pwaPlugin(options: PwaPluginOptions): Plugin {
  // The model list too, so that a model assembled earlier can be chosen offline.
  const builtInModels = options.builtInModels ?? ['models/world/', 'models/sources.json'];
  const csp = contentSecurityPolicy(options.modelHosts);
  let config: ResolvedConfig;

  return {
    name: 'time-stream:pwa',
    apply: 'build',
    configResolved(resolved) {
      config = resolved;
    },
    transformIndexHtml: {
      order: 'post',
      handler(html) {
        // Right after <meta charset>: a meta CSP only governs what comes after it.
        const charset = /<meta charset="[^"]*"\s*\/?>/i;
        if (!charset.test(html)) throw new Error('pwa: index.html has no <meta charset> to put the Content-Security-Policy after');
        const meta = `<meta http-equiv="Content-Security-Policy" content="${csp}" />`;
        return {
          html: html.replace(charset, (tag) => `${tag}\n    ${meta}`),
          tags: [{ tag: 'meta', attrs: { name: 'time-stream-version', content: options.appVersion }, injectTo: 'head' }],
        };
      },
    },
    async closeBundle() {
      // Vite runs closeBundle for every environment it builds; only the browser client has a service worker.
      if (config.build.ssr || this.environment?.name !== 'client') return;
      const outDir = config.build.outDir;
      const files = (await listFiles(outDir)).filter((file) => isPrecached(file, builtInModels)).sort();
      let totalBytes = 0;
      const precache: PrecacheEntry[] = await Promise.all(
        files.map(async (url) => {
          const bytes = await readFile(join(outDir, url));
          totalBytes += bytes.length;
          return { url, sha256: createHash('sha256').update(bytes).digest('hex') };
        }),
      );
      const contentHash = createHash('sha256').update(JSON.stringify(precache)).digest('hex').slice(0, 12);
      const version = `${options.appVersion}+${contentHash}`;
      const result = await build({
        configFile: false,
        root: config.root,
        logLevel: 'warn',
        publicDir: false,
        define: {
          __TS_PRECACHE__: JSON.stringify(precache),
          __TS_VERSION__: JSON.stringify(version),
          __TS_CACHE_PREFIX__: JSON.stringify(CACHE_PREFIX),
        },
        build: {
          write: false,
          target: 'es2022',
          minify: true,
          copyPublicDir: false,
          emptyOutDir: false,
          // A classic script (iife): module service workers are not supported by every browser yet.
          lib: {
            entry: fileURLToPath(new URL('./sw.ts', import.meta.url)),
            formats: ['iife'],
            name: 'timeStreamServiceWorker',
            fileName: () => SW_FILE,
          },
        },
      });
      const output = (Array.isArray(result) ? result[0] : result) as { output: { fileName: string; type: string; code?: string }[] };
      const chunk = output.output.find((item) => item.type === 'chunk');
      if (!chunk?.code) throw new Error('pwa: the service worker build produced no code');
      await writeFile(join(outDir, SW_FILE), chunk.code);
      config.logger.info(`pwa: ${SW_FILE} ${version}: precaches ${precache.length} files, ${(totalBytes / 1e6).toFixed(1)} MB`);
    },
  };
}
