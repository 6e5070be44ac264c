// The Time Stream page end to end on the built-in tiny bundle (Debian's Chromium, SwiftShader WebGPU).
import { test, expect, type Page, type Download } from '@playwright/test';
import { downloadOf, openAdvanced, openApp, probeVideo } from './app-page';
import { mkdirSync, readFileSync } from 'node:fs';

const SHOTS = 'test-results/screenshots';

/** Width and height from a PNG's IHDR chunk. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

async function saved(download: Download): Promise<Buffer> {
  const path = await download.path();
  return readFileSync(path);
}

/** A small, fast job: few template pairs, one or two steps, small frames. */
async function fillSmallJob(page: Page, { frames, steps, seed }: { frames: number; steps: number; seed?: number }) {
  await openAdvanced(page);
  await page.locator('#frames').fill(String(frames));
  await page.locator('#iterations').fill('8');
  await page.locator('#steps').fill(String(steps));
  await page.locator('#t5').selectOption('256');
  if (seed !== undefined) await page.locator('#seed').fill(String(seed));
}

/** Records every stage the progress view passes through. */
async function watchStages(page: Page) {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { __stages: string[] }).__stages = seen;
    const el = document.querySelector('[data-testid="progress"]')!;
    new MutationObserver(() => {
      const stage = el.getAttribute('data-stage') ?? '';
      if (stage && seen.at(-1) !== stage) seen.push(stage);
    }).observe(el, { attributes: true, attributeFilter: ['data-stage'] });
  });
  return () => page.evaluate(() => (window as unknown as { __stages: string[] }).__stages);
}

// One page, two runs: the engine's first run pays for model and shader set-up, so the cancelled run
// and the finished one share it. SwiftShader on a small machine is slow, hence the long timeout.
test('fill the form, run, cancel mid-run, run again; progress, frames, slider, video and downloads', async ({ page }) => {
  test.setTimeout(480_000);
  await openApp(page);

  // A long job, cancelled once it renders frames.
  await fillSmallJob(page, { frames: 21, steps: 2 });
  await page.getByTestId('generate').click();
  await expect(page.getByTestId('progress')).toHaveAttribute('data-status', 'running');
  await expect(page.getByTestId('progress')).toHaveAttribute('data-stage', 'denoise', { timeout: 240_000 });
  await expect(page.getByTestId('stage-detail')).toContainText(/Frame \d+ of 21/);
  await expect(page.getByTestId('eta')).toContainText(/about .+ left/);
  // The viewer works while frames arrive: the middle one is not there yet, so the nearest is shown.
  await expect(page.getByTestId('viewer-canvas')).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('viewer-caption')).toContainText(/Frame 11 is still rendering; showing frame \d+/);
  await page.getByTestId('frame-slider').focus();
  await page.keyboard.press('Home');
  await expect(page.getByTestId('viewer-caption')).toContainText('Frame 1 of 21');
  await page.getByTestId('cancel').click();
  await expect(page.getByTestId('cancelled')).toBeVisible({ timeout: 60_000 });
  // Cancelling is not an error.
  await expect(page.getByTestId('error')).toHaveCount(0);
  await expect(page.getByTestId('progress')).toHaveAttribute('data-status', 'cancelled');
  const kept = await page.getByTestId('gallery').locator('canvas').count();
  expect(kept).toBeLessThan(21);
  // What the cancel left, in numbers, and no video promised for later.
  await expect(page.getByTestId('cancelled')).toHaveText(
    kept === 1 ? 'Cancelled. The frame made so far is kept.' : `Cancelled. The ${kept} frames made so far are kept.`,
  );
  await expect(page.getByTestId('strip-partial')).toHaveText(`${kept} of 21 frames were made before the run stopped.`);
  await expect(page.getByTestId('video-missing')).toHaveText('No video: the run stopped before every frame was made.');

  // The job that runs to the end.
  await page.locator('#prompt').fill('a city street');
  await page.locator('#state1').fill('1900');
  await page.locator('#state2').fill('2100');
  await page.locator('#strength').fill('2');
  await fillSmallJob(page, { frames: 5, steps: 1, seed: 7 });
  await expect(page.getByTestId('randomize')).not.toBeChecked();
  await expect(page.locator('#width')).toHaveValue('64');

  const stages = await watchStages(page);
  // The page must stay responsive: the longest gap between main-thread timer ticks during the run.
  // Coarse on purpose: on a loaded 2-core machine SwiftShader competes with the page for the CPU.
  await page.evaluate(() => {
    const w = window as unknown as { __maxGap: number; __tick: number };
    w.__maxGap = 0;
    w.__tick = performance.now();
    setInterval(() => {
      const now = performance.now();
      w.__maxGap = Math.max(w.__maxGap, now - w.__tick);
      w.__tick = now;
    }, 20);
  });

  await page.getByTestId('generate').click();
  await expect(page.getByTestId('progress')).toHaveAttribute('data-status', 'running');
  await expect(page.getByTestId('cancel')).toBeEnabled();
  await expect(page.getByTestId('finished')).toBeVisible({ timeout: 240_000 });

  const passed = await stages();
  expect(passed).toEqual(expect.arrayContaining(['load', 'direction', 'denoise', 'video', 'done']));
  expect(passed.indexOf('denoise')).toBeLessThan(passed.indexOf('video'));
  const maxGap = await page.evaluate(() => (window as unknown as { __maxGap: number }).__maxGap);
  expect(maxGap, 'longest main-thread stall during the run (ms)').toBeLessThan(2500);
  await expect(page.getByTestId('error')).toHaveCount(0);
  await expect(page.getByTestId('video-error')).toHaveCount(0);

  // Five frames, the slider on the middle one, labelled with the two states.
  await expect(page.getByTestId('gallery').locator('canvas')).toHaveCount(5);
  const slider = page.getByTestId('frame-slider');
  await expect(slider).toHaveAttribute('max', '4');
  await expect(slider).toHaveValue('2');
  await expect(slider).toHaveAccessibleName(/1900.*2100/);
  await expect(page.getByTestId('viewer-caption')).toContainText('Frame 3 of 5');
  await expect(page.getByTestId('seed-used')).toContainText('7');
  await expect(page.getByTestId('result-seed')).toHaveText('Seed used: 7');
  await expect(page.getByTestId('backend')).toBeVisible();

  await slider.focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('viewer-caption')).toContainText('Frame 4 of 5');
  await page.keyboard.press('Home');
  await expect(page.getByTestId('viewer-caption')).toContainText('Frame 1 of 5');
  await expect(page.getByTestId('viewer-canvas')).toHaveAccessibleName(/Frame 1 of 5/);
  await page.getByRole('button', { name: 'Show frame 5 in the viewer' }).click();
  await expect(slider).toHaveValue('4');

  // The looping video plays by itself, muted.
  const video = page.getByTestId('video');
  await expect(video).toBeVisible();
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.readyState >= 2 && !v.paused && v.loop && v.muted)).toBe(true);
  const frameCount = Number(await video.getAttribute('data-frame-count'));
  expect(frameCount).toBe(5);

  // Downloads: the video (frame count by ffprobe), the strip and one frame (PNG sizes).
  const videoFile = await downloadOf(page, () => page.getByTestId('download-video').click());
  expect(videoFile.suggestedFilename()).toMatch(/^time-stream_a-city-street_1900-to-2100_seed7\.(mp4|webm)$/);
  const probe = probeVideo(await videoFile.path(), 'nb_read_frames,width,height');
  expect(Number(probe.nb_read_frames)).toBe(frameCount);
  expect(probe.width).toBe(64);

  const strip = pngSize(await saved(await downloadOf(page, () => page.getByTestId('download-strip').click())));
  expect(strip).toEqual({ width: 5 * 64, height: 64 });
  const frameFile = await downloadOf(page, () => page.getByTestId('download-frame-0').click());
  expect(frameFile.suggestedFilename()).toMatch(/_frame01\.png$/);
  expect(pngSize(await saved(frameFile))).toEqual({ width: 64, height: 64 });

  // Screenshots of the finished page, wide and narrow.
  mkdirSync(SHOTS, { recursive: true });
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: `${SHOTS}/finished-desktop-1280.png`, fullPage: true });
  await page.setViewportSize({ width: 375, height: 812 });
  await expect(page.getByTestId('generate')).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, 'horizontal overflow at 375 px').toBeLessThanOrEqual(0);
  await page.screenshot({ path: `${SHOTS}/finished-phone-375.png`, fullPage: true });
});

test('each invalid input shows its message and nothing runs', async ({ page }) => {
  await openApp(page);
  await page.locator('#prompt').fill('   ');
  await page.locator('#state2').fill('');
  await page.locator('#strength').fill('5');
  await openAdvanced(page);
  await page.locator('#frames').fill('2');
  await page.locator('#iterations').fill('401');
  await page.locator('#steps').fill('0');
  await page.locator('#guidance').fill('0');
  await page.locator('#seed').fill('-1');
  await page.getByTestId('generate').click();

  const expected: [string, RegExp][] = [
    ['prompt', /prompt is empty/i],
    ['state2', /2nd state is empty/i],
    ['strength', /between 0 and 4/],
    ['frames', /between 3 and 65/],
    ['iterations', /between 0 and 400/],
    ['steps', /between 1 and 4/],
    ['guidance', /between 0.1 and 10/],
    ['seed', /between 0 and/],
  ];
  for (const [id, message] of expected) {
    await expect(page.getByTestId(`error-${id}`), id).toContainText(message);
    await expect(page.locator(`#${id}`), id).toHaveAttribute('aria-invalid', 'true');
  }
  await expect(page.getByTestId('error-summary')).toContainText('8 fields');
  await expect(page.locator('#prompt')).toBeFocused();
  await page.waitForTimeout(500);
  await expect(page.getByTestId('progress')).toHaveAttribute('data-status', 'idle');
  await expect(page.getByTestId('gallery')).toHaveCount(0);

  // Messages follow the edits, and the Korean UI words them in Korean.
  await page.locator('#frames').fill('9');
  await expect(page.getByTestId('error-frames')).toHaveCount(0);
  await page.getByTestId('lang-ko').click();
  await expect(page.getByTestId('error-steps')).toContainText('추론 단계');
  await page.getByTestId('lang-en').click();
});

test('Korean input shows the notice in both languages; the UI speaks Korean', async ({ page }) => {
  await openApp(page);
  await expect(page.getByTestId('korean-notice')).toHaveCount(0);
  await page.locator('#state1').fill('신선한');
  const notice = page.getByTestId('korean-notice');
  await expect(notice).toContainText('optimised for English');
  await expect(notice).toContainText('영어에 최적화');
  await page.locator('#state1').fill('fresh');
  await expect(notice).toHaveCount(0);
  // A keyframe in Korean is encoded too, so it shows the notice as well.
  await page.getByRole('button', { name: 'Add a state between' }).click();
  await page.locator('#waypoint-0').fill('겨울');
  await expect(notice).toContainText('optimised for English');
  await page.getByRole('button', { name: 'Remove the 3rd state' }).click();
  await expect(notice).toHaveCount(0);

  await page.getByTestId('lang-ko').click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'ko');
  await expect(page.getByTestId('generate')).toHaveText('생성');
  await expect(page.getByLabel('프롬프트', { exact: true })).toBeVisible();
  await page.reload();
  await expect(page.getByTestId('generate')).toHaveText('생성');
  await page.getByTestId('lang-en').click();
  await expect(page.getByTestId('generate')).toHaveText('Generate');
});

test('Generate pressed before the built-in model is read waits for it, then runs at its size', async ({ page }) => {
  test.setTimeout(240_000);
  // The model's manifest arrives late: the form still has the page's default 768 px, which this model refuses.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/models/world/manifest.json', async (route) => {
    await held;
    await route.continue();
  });
  await page.goto('/?prompt=a%20tree&from=day&to=night&frames=3&steps=1&iterations=4');
  await page.getByTestId('generate').click();
  await expect(page.getByTestId('notice')).toContainText('Reading the model first');
  release();
  await expect(page.getByTestId('video')).toBeVisible({ timeout: 200_000 });
  await expect(page.getByTestId('error')).toHaveCount(0);
  await expect(page.getByTestId('notice')).toHaveCount(0);
  await openAdvanced(page);
  await expect(page.locator('#width')).toHaveValue('64');
});

test('a shared URL restores the form and starts nothing', async ({ page, context }) => {
  await openApp(
    page,
    '?prompt=a%20kitchen&from=1950s&to=2050s&strength=2.2&frames=9&iterations=10&steps=2&guidance=1.5&seed=99&w=48&h=32&t5=256',
  );
  await expect(page.locator('#prompt')).toHaveValue('a kitchen');
  await expect(page.locator('#state1')).toHaveValue('1950s');
  await expect(page.locator('#state2')).toHaveValue('2050s');
  await expect(page.locator('#strength')).toHaveValue('2.2');
  await openAdvanced(page);
  await expect(page.locator('#frames')).toHaveValue('9');
  await expect(page.locator('#iterations')).toHaveValue('10');
  await expect(page.locator('#steps')).toHaveValue('2');
  await expect(page.locator('#guidance')).toHaveValue('1.5');
  await expect(page.locator('#seed')).toHaveValue('99');
  await expect(page.getByTestId('randomize')).not.toBeChecked();
  await expect(page.locator('#width')).toHaveValue('48');
  await expect(page.locator('#height')).toHaveValue('32');
  await expect(page.locator('#t5')).toHaveValue('256');
  await page.waitForTimeout(1000);
  await expect(page.getByTestId('progress')).toHaveAttribute('data-status', 'idle');

  // The address bar follows edits, and that address restores the edit in a fresh page.
  await page.locator('#state2').fill('2080s');
  await expect.poll(() => new URL(page.url()).searchParams.get('to')).toBe('2080s');
  const fresh = await context.newPage();
  await openApp(fresh, new URL(page.url()).search);
  await expect(fresh.locator('#state2')).toHaveValue('2080s');
  await expect(fresh.locator('#prompt')).toHaveValue('a kitchen');

  // An example (the built-in world model's) fills the form (and the address).
  await fresh.getByRole('button', { name: /a house, summer to winter/ }).click();
  await expect(fresh.locator('#prompt')).toHaveValue('a house');
  await expect(fresh.locator('#state1')).toHaveValue('summer');
  await expect(fresh.locator('#strength')).toHaveValue('2');
  await expect.poll(() => new URL(fresh.url()).searchParams.get('to')).toBe('winter');
});

test('a bundle URL shows its size before download, downloads into the store, is used and deleted', async ({ page, baseURL }) => {
  await openApp(page);
  const panel = page.getByRole('region', { name: 'Model' });
  await panel.getByText('from a bundle URL').click();
  // A wrong address gets a named error in words, with what to do.
  await page.locator('#bundle-url').fill(`${baseURL}/models/missing/manifest.json`);
  await panel.getByRole('button', { name: 'Check size' }).click();
  await expect(page.getByTestId('bundle-error')).toHaveAttribute('data-error-name', /^(NotFound|BundleInvalid)$/);
  await expect(page.getByTestId('bundle-error')).toContainText(/Check the (model|bundle) URL/);

  await page.locator('#bundle-url').fill(`${baseURL}/models/tiny/manifest.json`);
  await panel.getByRole('button', { name: 'Check size' }).click();
  await expect(page.getByTestId('custom-info')).toContainText('Tiny random FLUX.1-schnell');
  await expect(page.getByTestId('download-size')).toContainText(/Download size: [\d.]+ MB/);
  await expect(page.getByTestId('custom-info')).toContainText('Transformer');

  await panel.getByRole('button', { name: 'Download' }).click();
  await expect(panel.getByText('Downloaded and verified.')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('storage')).not.toContainText(/^Storage used by this site: 0 B/);
  mkdirSync(SHOTS, { recursive: true });
  await panel.screenshot({ path: `${SHOTS}/model-panel-downloaded.png` });

  await panel.getByRole('button', { name: 'Use this model' }).click();
  await expect(panel.locator('details .badge')).toHaveText('In use');
  await expect.poll(() => new URL(page.url()).searchParams.get('model')).toBe(`${baseURL}/models/tiny/manifest.json`);

  await panel.getByRole('button', { name: 'Delete from this device' }).click();
  await expect(panel.getByText('Not downloaded; it is read from its address each run.')).toBeVisible();
  await panel.getByRole('button', { name: 'Use the built-in model' }).click();
  await expect(panel.locator('.title .badge')).toHaveText('In use');
  await expect.poll(() => new URL(page.url()).searchParams.get('model')).toBeNull();
});

test('a link with a model URL fills it in and fetches nothing', async ({ page }) => {
  const remote = 'https://models.example.invalid/flux-schnell/manifest.json';
  const asked: string[] = [];
  page.on('request', (request) => {
    if (new URL(request.url()).hostname.endsWith('example.invalid')) asked.push(request.url());
  });
  await openApp(page, `?prompt=a%20house&model=${encodeURIComponent(remote)}`);
  await expect(page.locator('#bundle-url')).toHaveValue(remote);
  await expect(page.locator('#bundle-url')).toBeVisible();
  await page.waitForTimeout(1000);
  expect(asked).toEqual([]);
  await expect(page.getByTestId('progress')).toHaveAttribute('data-status', 'idle');
});

test('every control has a name, and keyboard focus is visible', async ({ page }) => {
  await openApp(page);
  // Tab from the top: the skip link, the two language buttons, then the prompt, with a visible outline.
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to the results' })).toBeFocused();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await expect(page.locator('#prompt')).toBeFocused();
  const outline = await page.locator('#prompt').evaluate((el) => getComputedStyle(el).outlineStyle);
  expect(outline).not.toBe('none');

  await openAdvanced(page);
  await page.getByText('from a bundle URL').click();
  const controls = page.locator('input, select, textarea, button, summary, a[href]');
  const count = await controls.count();
  expect(count).toBeGreaterThan(20);
  for (let i = 0; i < count; i++) {
    const control = controls.nth(i);
    if (!(await control.isVisible())) continue;
    await expect(control, await control.evaluate((el) => el.outerHTML.slice(0, 120))).toHaveAccessibleName(/\S/);
  }
});

test('video options: a there-and-back loop at 10 fps has 2n-2 frames and no duplicated ends', async ({ page }) => {
  test.setTimeout(300_000);
  await openApp(page);
  await fillSmallJob(page, { frames: 3, steps: 1 });
  await page.locator('#fps').fill('10');
  await page.locator('#loop').selectOption('pingpong');
  await page.getByTestId('generate').click();
  const video = page.getByTestId('video');
  await expect(video).toBeVisible({ timeout: 280_000 });
  const url = await video.getAttribute('src');
  const bytes = await page.evaluate(async (u) => Array.from(new Uint8Array(await (await fetch(u!)).arrayBuffer())), url);
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const file = join(mkdtempSync(join(tmpdir(), 'ts-video-')), 'loop.mp4');
  writeFileSync(file, Buffer.from(bytes));
  const probe = probeVideo(file, 'nb_read_packets,r_frame_rate', 'packets');
  // 3 frames there and back: 0, 1, 2, 1 (the ends are not repeated).
  expect(Number(probe.nb_read_packets)).toBe(4);
  expect(probe.r_frame_rate).toBe('10/1');
});

// Issue 18: the page says the right thing at every moment: one check before any work, links that
// carry and name every setting, refused identical states, honest states after cancel and error.

test('video options are checked with the rest before anything runs, and every named field is marked', async ({ page }) => {
  await openApp(page);
  await openAdvanced(page);
  const cases: [string, string, RegExp, RegExp][] = [
    ['999', '-5', /Frames per second must be between 1 and 30 \(got 999\)/, /between 0 and 10000 \(got -5\)/],
    ['0', '99999', /Frames per second must be between 1 and 30 \(got 0\)/, /between 0 and 10000 \(got 99999\)/],
    ['', '', /Frames per second must be a number/, /must be a number/],
  ];
  for (const [fps, hold, fpsMessage, holdMessage] of cases) {
    await page.locator('#fps').fill(fps);
    await page.locator('#hold').fill(hold);
    await page.getByTestId('generate').click();
    await expect(page.getByTestId('error-fps'), `fps ${fps}`).toContainText(fpsMessage);
    await expect(page.locator('#fps')).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByTestId('error-hold'), `hold ${hold}`).toContainText(holdMessage);
    await expect(page.locator('#hold')).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByTestId('error-summary')).toContainText('2 fields');
  }
  await expect(page.locator('#fps')).toBeFocused();
  await page.waitForTimeout(500);
  await expect(page.getByTestId('progress')).toHaveAttribute('data-status', 'idle');
  await expect(page.getByTestId('viewer-canvas')).toHaveCount(0);

  // The Korean UI words them in Korean; fixed values clear the marks.
  await page.getByTestId('lang-ko').click();
  await expect(page.getByTestId('error-fps')).toContainText('초당 프레임');
  await expect(page.getByTestId('error-hold')).toContainText('마지막 프레임 유지');
  await page.getByTestId('lang-en').click();
  await page.locator('#fps').fill('12');
  await page.locator('#hold').fill('400');
  await expect(page.getByTestId('error-fps')).toHaveCount(0);
  await expect(page.getByTestId('error-hold')).toHaveCount(0);
  await expect(page.getByTestId('error-summary')).toHaveCount(0);
});

test('identical states (same words after case and spaces) are named before the run and refused', async ({ page }) => {
  await openApp(page);
  await page.locator('#state1').fill('Rotten ');
  await page.locator('#state2').fill('  rotten');
  // Named as soon as it is typed, before anyone presses Generate.
  await expect(page.getByTestId('same-states')).toContainText('the same');
  await page.getByTestId('lang-ko').click();
  await expect(page.getByTestId('same-states')).toContainText('같');
  await page.getByTestId('lang-en').click();
  await page.getByTestId('generate').click();
  // Refused: the 2nd state's message says why (and replaces the warning), and nothing runs.
  await expect(page.getByTestId('error-state2')).toContainText(/same as the 1st state/);
  await expect(page.locator('#state2')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByTestId('same-states')).toHaveCount(0);
  await page.waitForTimeout(500);
  await expect(page.getByTestId('progress')).toHaveAttribute('data-status', 'idle');
  await page.getByTestId('lang-ko').click();
  await expect(page.getByTestId('error-state2')).toContainText('같');
  await page.getByTestId('lang-en').click();
  await page.locator('#state2').fill('fresh');
  await expect(page.getByTestId('same-states')).toHaveCount(0);
  await expect(page.getByTestId('error-state2')).toHaveCount(0);
});

test('the copied link carries the video options, and a fresh page restores them', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await openApp(page);
  await openAdvanced(page);
  await page.locator('#fps').fill('12');
  await page.locator('#loop').selectOption('pingpong');
  await page.locator('#hold').fill('400');
  await page.getByRole('button', { name: 'Copy link to these settings' }).click();
  await expect(page.getByTestId('notice')).toContainText('Link copied');
  const link = new URL(await page.evaluate(() => navigator.clipboard.readText()));
  expect(link.searchParams.get('fps')).toBe('12');
  expect(link.searchParams.get('loop')).toBe('pingpong');
  expect(link.searchParams.get('hold')).toBe('400');

  const fresh = await context.newPage();
  await openApp(fresh, link.search);
  await openAdvanced(fresh);
  await expect(fresh.locator('#fps')).toHaveValue('12');
  await expect(fresh.locator('#loop')).toHaveValue('pingpong');
  await expect(fresh.locator('#hold')).toHaveValue('400');
  await expect(fresh.getByTestId('link-notice')).toHaveCount(0);
});

test('every select shows its options whole at 375 and 1280 px, in English and Korean', async ({ page }) => {
  await openApp(page);
  await openAdvanced(page);
  for (const lang of ['en', 'ko']) {
    await page.getByTestId(`lang-${lang}`).click();
    for (const width of [375, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      const clipped = await page.evaluate(() => {
        const ctx = document.createElement('canvas').getContext('2d')!;
        const out: string[] = [];
        for (const select of document.querySelectorAll('select')) {
          if (!select.checkVisibility()) continue;
          const style = getComputedStyle(select);
          ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
          // Chromium draws the drop-down arrow inside the box, after the text: about one em and a quarter.
          const room =
            select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 1.25 * parseFloat(style.fontSize);
          for (const option of select.options) {
            const need = ctx.measureText(option.text).width;
            if (need > room) out.push(`#${select.id} "${option.text}": needs ${need.toFixed(0)} px, has ${room.toFixed(0)}`);
          }
        }
        return out;
      });
      expect(clipped, `${lang} at ${width} px`).toEqual([]);
    }
  }
  await page.getByTestId('lang-en').click();
});

test('link values that are cut, dropped or do not fit are named in a notice', async ({ page }) => {
  const long = 'a'.repeat(10_000);
  await openApp(page, `?prompt=${long}&strength=NaN&seed=abc&w=9999&fps=999&loop=sideways`);
  const notice = page.getByTestId('link-notice');
  await expect(notice).toContainText('The link’s prompt was 10000 characters long; the form keeps the first 2000.');
  await expect(notice).toContainText('The link’s strength “NaN” was ignored; using 1.75.');
  await expect(notice).toContainText('The link’s seed “abc” was ignored; the seed is random.');
  await expect(notice).toContainText(/The link’s width 9999 does not fit this model \(\d+ to \d+ px\); using \d+\./);
  await expect(notice).toContainText('The link’s loop “sideways” was ignored; using Forward (like the original).');
  await expect(page.locator('#prompt')).toHaveValue('a'.repeat(2000));
  await expect(page.getByTestId('randomize')).toBeChecked();
  // A value that reads but is out of range stays, so the form says why it cannot run.
  await openAdvanced(page);
  await expect(page.locator('#fps')).toHaveValue('999');
  await page.getByTestId('lang-ko').click();
  await expect(notice).toContainText('NaN');
  await expect(notice).toContainText('무시');
  await page.getByTestId('lang-en').click();
  // A link with nothing wrong has no notice.
  await openApp(page, '?prompt=a%20pear&strength=2&seed=5');
  await expect(page.getByTestId('link-notice')).toHaveCount(0);
});

/** A slow job (many frames, 4 steps, the model's largest size), so it can be stopped before its first frame. */
async function startSlowJob(page: Page) {
  await openAdvanced(page);
  await page.locator('#prompt').fill(`a lamp ${Date.now()}`);
  await page.locator('#frames').fill('21');
  await page.locator('#iterations').fill('8');
  await page.locator('#steps').fill('4');
  await page.locator('#t5').selectOption('256');
  const widths = await page.locator('#width option').allTextContents();
  await page.locator('#width').selectOption(widths.at(-1)!);
  await page.locator('#height').selectOption(widths.at(-1)!);
  await page.getByTestId('generate').click();
  await expect(page.getByTestId('progress')).toHaveAttribute('data-status', 'running');
}

/** No frame, strip, gallery or video placeholder is left on the page, and nothing says "rendering". */
async function expectNoOutputs(page: Page, why: RegExp) {
  await expect(page.getByTestId('viewer-empty')).toContainText(why);
  await expect(page.getByTestId('viewer-caption')).not.toContainText('rendering');
  await expect(page.getByTestId('frame-slider')).toHaveCount(0);
  await expect(page.getByTestId('strip')).toHaveCount(0);
  await expect(page.getByTestId('gallery')).toHaveCount(0);
  await expect(page.getByRole('heading', { name: 'Looping video' })).toHaveCount(0);
}

test('cancel during denoising before any frame: no frame "still rendering", no frames "kept"', async ({ page }) => {
  test.setTimeout(420_000);
  await openApp(page);
  await startSlowJob(page);
  await expect(page.getByTestId('progress')).toHaveAttribute('data-stage', 'denoise', { timeout: 300_000 });
  await page.getByTestId('cancel').click();
  await expect(page.getByTestId('cancelled')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('cancelled')).toHaveText('Cancelled before the first frame was made.');
  await expectNoOutputs(page, /cancelled before the first frame/);
  await page.getByTestId('lang-ko').click();
  await expect(page.getByTestId('cancelled')).toContainText('첫 프레임');
  await page.getByTestId('lang-en').click();
});

test('an error before the first frame leaves no empty placeholders and says what happened', async ({ page }) => {
  test.setTimeout(300_000);
  await openApp(page);
  await page.route('**/models/world/transformer.onnx.data.0', (route) => route.abort('connectionrefused'));
  await startSlowJob(page);
  await expect(page.getByTestId('error')).toBeVisible({ timeout: 240_000 });
  await expect(page.getByTestId('progress')).toHaveAttribute('data-status', 'error');
  await expectNoOutputs(page, /stopped with an error before the first frame/);
});
