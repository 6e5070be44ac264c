import { readFileSync } from 'node:fs';
import { defineConfig, loadEnv } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { modelListHosts, parseModelHosts, pwaPlugin } from './src/pwa/vite-plugin.js';

// Cross-origin isolation lets onnxruntime-web use threaded wasm (SharedArrayBuffer).
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const ASSETS_DIR = 'assets';

export default defineConfig(({ command, mode }) => {
  // Build settings (docs/deploy.md): from the environment or a .env.production file.
  const env = loadEnv(mode, process.cwd(), ['VITE_', 'BASE_PATH', 'APP_VERSION']);
  const packageVersion = (JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string }).version;
  // './' (the default) makes the build work from any folder of any static host, sub-paths included;
  // BASE_PATH=/time-stream/ pins an absolute one instead.
  const base = env.BASE_PATH || './';
  const relativeBase = command === 'build' && base.startsWith('.');
  // connect-src: the hosts of the model list's files (and where they redirect), plus VITE_MODEL_HOSTS.
  const modelHosts = [
    ...new Set([...modelListHosts(readFileSync('public/models/sources.json', 'utf8')), ...parseModelHosts(env.VITE_MODEL_HOSTS)]),
  ];

  return {
    base,
    plugins: [svelte(), pwaPlugin({ modelHosts, appVersion: env.APP_VERSION || packageVersion })],
    define: relativeBase
      ? {
          // With a relative base Vite's BASE_URL is './', which the generation worker would resolve against
          // its own URL (assets/…). Every chunk lives in assets/, so the app root is one folder up from it:
          // an absolute URL that means the same thing on the page and in the worker.
          'import.meta.env.BASE_URL': `new URL(${JSON.stringify('../'.repeat(ASSETS_DIR.split('/').length))}, import.meta.url).href`,
        }
      : {},
    // Browser tests set VITE_NO_WATCH=1: a test page must not reload because a file changed under it.
    server: { headers: isolationHeaders, host: '127.0.0.1', ...(process.env.VITE_NO_WATCH ? { hmr: false, watch: null } : {}) },
    preview: { headers: isolationHeaders, host: '127.0.0.1' },
    worker: { format: 'es' },
    // onnxruntime-web ships its own wasm loader; pre-bundling it breaks the wasm URL resolution.
    optimizeDeps: { exclude: ['onnxruntime-web', '@huggingface/transformers'] },
    build: { target: 'es2022', chunkSizeWarningLimit: 4096, assetsDir: ASSETS_DIR },
  };
});
