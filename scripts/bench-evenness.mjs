#!/usr/bin/env node
// Even spacing on the built-in world model (issue 19 item 3): the 18 walks of the world model's measurement
// ("a {subject}" for its six subjects x its three state pairs, 7 frames, steps 3, strength 2; tools/train-tiny
// README) rendered with spacing 'even' through the app's engine in real Chromium (wasm), printing per walk
// the coefficient of variation (sd / mean) of adjacent frames' mean absolute pixel change for the uniform
// walk (the even run's own first pass, which is exactly the uniform walk) and for the placed frames, the same
// for the final latents' RMS change, and how many frames were rendered for the 7.
// The must: the mean CV falls at least 2x against uniform. Exit 1 when it does not.
// Usage: node scripts/bench-evenness.mjs [--seeds 1] [--frames 7] [--backend wasm]
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import { BENCH_CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const seeds = String(arg('seeds', '1')).split(',').map(Number);
const frames = Number(arg('frames', 7));
const backend = arg('backend', 'wasm');
const SUBJECTS = ['tomato', 'house', 'tree', 'car', 'fish', 'flower'];
const PAIRS = [
  ['fresh', 'rotten'],
  ['summer', 'winter'],
  ['day', 'night'],
];

const vite = await createServer({ logLevel: 'error', server: { port: 0, host: '127.0.0.1', hmr: false, watch: null } });
await vite.listen();
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: BENCH_CHROMIUM_ARGS });
const page = await browser.newPage();
await page.goto(new URL('/tests/pages/world.html', vite.resolvedUrls.local[0]).href);
await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready', null, { timeout: 300_000 });

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const rows = [];
console.log(`even spacing, world model, ${backend}, ${frames} frames, steps 3, strength 2, seeds ${seeds.join(',')}`);
console.log('| walk | seed | pixel CV uniform | pixel CV even | latent CV uniform | latent CV even | renders | s |');
console.log('|---|---|---|---|---|---|---|---|');
for (const seed of seeds)
  for (const subject of SUBJECTS)
    for (const [state1, state2] of PAIRS) {
      const request = { prompt: `a ${subject}`, state1, state2, strength: 2, frames, steps: 3, seed, iterations: 200, spacing: 'even' };
      const r = await page.evaluate(([q, b]) => window.worldWalk(q, b), [request, backend]);
      const e = r.walks.at(-1).evenness;
      rows.push(e);
      const f = (x) => (x === undefined ? '-' : x.toFixed(3));
      console.log(
        `| a ${subject}, ${state1} -> ${state2} | ${seed} | ${f(e.uniformCv)} | ${f(e.evenCv)} | ${f(e.uniformLatentCv)} | ${f(e.evenLatentCv)} | ${e.renders} | ${(r.renderMs / 1000).toFixed(1)} |`,
      );
    }
await browser.close();
await vite.close();

const uniform = mean(rows.map((e) => e.uniformCv));
const even = mean(rows.map((e) => e.evenCv));
const latentRows = rows.filter((e) => e.uniformLatentCv !== undefined);
const renders = mean(rows.map((e) => e.renders));
console.log(
  `\n${rows.length} walks: mean pixel CV ${uniform.toFixed(3)} uniform -> ${even.toFixed(3)} even (${(uniform / even).toFixed(1)}x lower)`,
);
console.log(`  walks whose CV fell at least 2x: ${rows.filter((e) => e.evenCv * 2 <= e.uniformCv).length}/${rows.length}`);
if (latentRows.length)
  console.log(
    `  mean latent CV ${mean(latentRows.map((e) => e.uniformLatentCv)).toFixed(3)} uniform -> ${mean(latentRows.map((e) => e.evenLatentCv)).toFixed(3)} even`,
  );
console.log(`  cost: ${renders.toFixed(1)} renders per walk of ${frames} frames (${(renders / frames).toFixed(2)}x the uniform walk's)`);
const ok = even * 2 <= uniform;
console.log(`${ok ? 'PASS' : 'FAIL'}: mean CV falls at least 2x`);
process.exit(ok ? 0 : 1);
