// Engine behaviour in real Chromium on the tiny bundle: determinism, cancel, validation first.
import { test, expect, type Page } from '@playwright/test';

async function harness(page: Page) {
  await page.goto('/tests/pages/engine.html');
  // A cold dev server transforms onnxruntime-web and transformers.js on the first load: give it time.
  await expect(page.locator('#status')).toHaveText('ready', { timeout: 180_000 });
}

const small = { frames: 3, steps: 2, iterations: 4, seed: 1234, prompt: 'a tomato', state1: 'fresh', state2: 'rotten' };

test('the same request twice gives identical frames (wasm)', async ({ page }) => {
  await harness(page);
  const [a, b] = await page.evaluate(async (req) => {
    const w = window as any;
    // The frame cache is off: the second job really renders again.
    return [await w.runPlain(req, 'wasm', 'a', undefined, false), await w.runPlain(req, 'wasm', 'b', undefined, false)];
  }, small);
  expect(a.error).toBeNull();
  expect(b.rendered).toEqual([0, 1, 2]);
  expect(a.frames).toHaveLength(3);
  expect(a.frames).toEqual(b.frames);
  // Different seeds give different frames.
  const c = await page.evaluate(async (req) => (window as any).runPlain({ ...req, seed: 99 }, 'wasm', 'c'), small);
  expect(c.frames[0]).not.toEqual(a.frames[0]);
});

test('a cancelled job stops within one step and the engine takes the next job', async ({ page }) => {
  await harness(page);
  const cancelled = await page.evaluate(async (req) => (window as any).runPlain({ ...req, frames: 5 }, 'wasm', 'cancel-me', 2), small);
  expect(cancelled.error?.name).toBe('AbortError');
  expect(cancelled.events.filter((e: string) => e.startsWith('after-cancel:'))).toEqual([]);
  expect(cancelled.frames.filter(Boolean).length).toBe(1); // frame 0 (steps 0, 1) finished before the cancel at step 2
  const next = await page.evaluate(async (req) => (window as any).runPlain(req, 'wasm', 'next'), small);
  expect(next.error).toBeNull();
  expect(next.frames).toHaveLength(3);
});

test('an invalid request is refused before any model runs', async ({ page }) => {
  await harness(page);
  const onnxRequests: string[] = [];
  page.on('request', (r) => r.url().match(/\.onnx/) && onnxRequests.push(r.url()));
  for (const bad of [{ frames: 2 }, { strength: Number.NaN }, { prompt: '  ' }, { seed: -5 }, { width: 40 }]) {
    const r = await page.evaluate(async (req) => (window as any).runPlain(req, 'wasm', 'bad'), { ...small, ...bad });
    expect(r.error?.name).toBe('InvalidRequest');
    expect(r.sessions).toEqual([]);
  }
  expect(onnxRequests).toEqual([]);
});

test('WebGPU is used when the adapter exists, and reported; onnxruntime logs nothing to the console', async ({ page }) => {
  // ORT's warning-level session log used to print "VerifyEachNodeIsAssignedToAnEp" through console.error.
  const logged: string[] = [];
  page.on('console', (m) => {
    if ((m.type() === 'error' || m.type() === 'warning') && !m.text().includes('[vite]')) logged.push(`${m.type()}: ${m.text()}`);
  });
  await harness(page);
  const r = await page.evaluate(async (req) => (window as any).runPlain({ ...req, frames: 3, steps: 1 }, 'webgpu', 'gpu'), small);
  expect(r.error).toBeNull();
  expect(r.result.backend).toBe('webgpu');
  expect(r.events).toContain('backend');
  expect(logged.filter((line) => !line.includes('Failed to load resource'))).toEqual([]);
});

test('the frame cache: a repeated job renders nothing, 3 -> 5 frames renders only the 2 new ones', async ({ page }) => {
  await harness(page);
  const r = await page.evaluate(async (req) => {
    const w = window as any;
    const first = await w.runPlain(req, 'wasm', 'c1');
    const again = await w.runPlain(req, 'wasm', 'c2');
    const more = await w.runPlain({ ...req, frames: 5 }, 'wasm', 'c3');
    const fresh = await w.runPlain({ ...req, frames: 5 }, 'wasm', 'c4', undefined, false);
    return { first, again, more, fresh };
  }, small);
  expect(r.first.rendered).toEqual([0, 1, 2]);
  expect(r.again.rendered).toEqual([]);
  expect(r.again.sessions).toEqual([]);
  expect(r.again.frames).toEqual(r.first.frames);
  expect(r.more.rendered).toEqual([1, 3]);
  // Cached frames are the same pixels a fresh render gives.
  expect(r.more.frames).toEqual(r.fresh.frames);
});

test('the frame cache for timelines, grids and even spacing: a repeated walk renders nothing and loads only CLIP', async ({ page }) => {
  await harness(page);
  const walks = {
    timeline: { ...small, frames: 5, waypoints: ['ripe'] },
    grid: { ...small, axis2: { state1: 'day', state2: 'night', strength: 1, frames: 2, normalize: false } },
    even: { ...small, frames: 4, spacing: 'even' },
  };
  const r = await page.evaluate(async (walks) => {
    const w = window as any;
    const out: Record<string, unknown> = {};
    for (const [name, req] of Object.entries(walks)) {
      const first = await w.runPlain(req, 'wasm', `${name}1`);
      const again = await w.runPlain(req, 'wasm', `${name}2`);
      out[name] = { first, again };
    }
    return out;
  }, walks);
  for (const [name, { first, again }] of Object.entries(r as Record<string, { first: any; again: any }>)) {
    expect(first.error, name).toBeNull();
    expect(first.sessions, name).toEqual(expect.arrayContaining(['session:clip', 'session:t5', 'session:transformer', 'session:decoder']));
    // The plan needs CLIP (pooled prompt; the directions are cached), and nothing else runs.
    expect(again.rendered, name).toEqual([]);
    expect(again.sessions, name).toEqual(['session:clip']);
    expect(again.frames, name).toEqual(first.frames);
  }
  expect((r as any).grid.first.frames).toHaveLength(6);
  expect((r as any).timeline.first.result.layout.stateColumns).toHaveLength(3);
});
