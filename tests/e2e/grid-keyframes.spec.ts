// The output side of issue 19 through the real app on the built-in world model (Debian's Chromium,
// SwiftShader WebGPU): a timeline with a keyframe shows each state's name at the frame it sits on, in the
// strip, the gallery and the viewer; a second axis gives an n x m grid with two sliders worked by
// keyboard, a video whose sample count follows the chosen path through the grid, and downloads named
// after the timeline and the grid; even spacing shows what it measured.
import { test, expect, type Page, type Download } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { downloadOf, probeVideo } from './app-page';
import { mkdirSync, readFileSync } from 'node:fs';

const SHOTS = process.env.SCREENSHOT_DIR ?? 'test-results/screenshots';

/** Screenshots at 1280 and 375 px; at 375 nothing may be wider than the screen (the grid scrolls inside its card). */
async function shoot(page: Page, name: string) {
  mkdirSync(SHOTS, { recursive: true });
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: `${SHOTS}/${name}-desktop-1280.png`, fullPage: true });
  await page.setViewportSize({ width: 375, height: 812 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, 'horizontal overflow at 375 px').toBeLessThanOrEqual(0);
  await page.screenshot({ path: `${SHOTS}/${name}-phone-375.png`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 720 });
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** Frames ffprobe decodes from a downloaded video. */
async function decodedFrames(download: Download): Promise<number> {
  return Number(probeVideo(await download.path(), 'nb_read_frames').nb_read_frames);
}

/** A small, fast job on the world model: few template pairs, one step, 64 px frames. */
const FAST = { iterations: '8', steps: '1', t5: '256', w: '64', h: '64' };

/** Opens the app on a link that fills the form (nothing runs by itself), then runs it to the end. */
async function runLink(page: Page, params: Record<string, string | string[]>) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...FAST, ...params }))
    for (const one of Array.isArray(value) ? value : [value]) query.append(key, one);
  await page.goto(`/?${query}`);
  // The form follows the loaded model's sizes, so wait until the worker has read it.
  await expect(page.getByTestId('model-info')).toContainText('world', { ignoreCase: true });
  await page.getByTestId('generate').click();
  await expect(page.getByTestId('progress')).toHaveAttribute('data-status', 'running');
  await expect(page.getByTestId('finished')).toBeVisible({ timeout: 300_000 });
  await expect(page.getByTestId('error')).toHaveCount(0);
  await expect(page.getByTestId('video-error')).toHaveCount(0);
}

/** WCAG 2.1 A/AA rules of axe-core, as a11y.spec runs them: any violation fails with its rule and elements. */
async function axe(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** The strip's state names: [text, column] for each, in order. */
const stripStates = (page: Page) =>
  page
    .getByTestId('strip-states')
    .locator('[data-state]')
    .evaluateAll((els) => els.map((e) => [e.textContent?.trim(), Number(e.getAttribute('data-column'))] as const));

test('keyframes: summer → winter → summer names each state at its frame, in the strip, the gallery and the viewer', async ({ page }) => {
  test.setTimeout(480_000);
  await runLink(page, { prompt: 'a tree', from: 'summer', via: 'winter', to: 'summer', frames: '7', strength: '2', seed: '1' });

  // One row of 7 frames; the three states' names under their tiles: the ends on the first and last column,
  // the keyframe between them, where the engine placed it.
  const strip = page.getByTestId('strip');
  await expect(strip).toHaveAttribute('data-columns', '7');
  await expect(strip).toHaveAttribute('data-rows', '1');
  await expect(strip).toHaveAccessibleName('Strip: summer → winter → summer');
  const states = await stripStates(page);
  expect(states.map(([text]) => text)).toEqual(['summer', 'winter', 'summer']);
  const winter = states[1]![1];
  expect(states[0]![1]).toBe(0);
  expect(states[2]![1]).toBe(6);
  expect(winter).toBeGreaterThan(0);
  expect(winter).toBeLessThan(6);
  // The gallery names the same frames by the place the engine gave each frame, and no others.
  await expect(page.getByTestId('gallery').locator('canvas')).toHaveCount(7);
  await expect(page.getByTestId('gallery-state-0')).toHaveText('summer');
  await expect(page.getByTestId(`gallery-state-${winter}`)).toHaveText('winter');
  await expect(page.getByTestId('gallery-state-6')).toHaveText('summer');
  await expect(page.locator('[data-testid^="gallery-state-"]')).toHaveCount(3);

  // The viewer: the slider is named after the timeline; on a keyframe its name shows, between two it says which.
  const slider = page.getByTestId('frame-slider');
  await expect(slider).toHaveAccessibleName('Frame, through “summer” → “winter” → “summer”');
  await slider.focus();
  await page.keyboard.press('Home');
  await expect(page.getByTestId('viewer-caption')).toContainText('Frame 1 of 7');
  await expect(page.getByTestId('viewer-caption')).toContainText('at “summer”');
  for (let i = 0; i < winter; i++) await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('viewer-caption')).toContainText(`Frame ${winter + 1} of 7`);
  await expect(page.getByTestId('viewer-caption')).toContainText('at “winter”');
  await expect(slider).toHaveAttribute('aria-valuetext', new RegExp(`^Frame ${winter + 1} of 7, scale .*, at “winter”$`));
  await expect(page.getByTestId('viewer-states').locator('.current')).toHaveText('winter');
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('viewer-caption')).toContainText('between “winter” and “summer”');
  await expect(page.getByTestId('viewer-states').locator('.current')).toHaveCount(0);
  expect(await axe(page), 'axe on a finished timeline run').toEqual([]);

  // The video plays the 7 frames in order; the files are named after the whole timeline.
  const video = page.getByTestId('video');
  await expect(video).toHaveAttribute('data-frame-count', '7');
  await expect(page.getByTestId('video-path')).toHaveCount(0); // a single row has no path to choose
  const videoFile = await downloadOf(page, () => page.getByTestId('download-video').click());
  expect(videoFile.suggestedFilename()).toMatch(/^time-stream_a-tree_summer-to-winter-to-summer_seed1\.(mp4|webm)$/);
  expect(await decodedFrames(videoFile)).toBe(7);
  const stripFile = await downloadOf(page, () => page.getByTestId('download-strip').click());
  expect(stripFile.suggestedFilename()).toBe('time-stream_a-tree_summer-to-winter-to-summer_seed1_strip.png');
  expect(pngSize(readFileSync(await stripFile.path()))).toEqual({ width: 7 * 64, height: 64 });
  await shoot(page, 'keyframes');
});

test('second axis: a 5 x 3 grid, two sliders by keyboard, a video along the chosen path, grid downloads', async ({ page }) => {
  test.setTimeout(480_000);
  await runLink(page, {
    prompt: 'a house',
    from: 'summer',
    to: 'winter',
    frames: '5',
    strength: '2',
    axis2from: 'day',
    axis2to: 'night',
    axis2rows: '3',
    axis2strength: '2',
    seed: '2',
  });

  // The grid: 5 columns x 3 rows of frames, rows named by the second axis (day at the top, night at the bottom).
  const grid = page.getByTestId('grid');
  await expect(grid).toHaveAttribute('data-columns', '5');
  await expect(grid).toHaveAttribute('data-rows', '3');
  await expect(grid.locator('.tile canvas')).toHaveCount(15);
  await expect(grid).toHaveAccessibleName(
    'Grid of 5 × 3 frames: columns through “summer” → “winter”, rows from “day” at the top to “night” at the bottom',
  );
  await expect(grid.locator('[data-row="0"]')).toHaveText('day');
  await expect(grid.locator('[data-row="2"]')).toHaveText('night');
  await expect(page.getByRole('heading', { name: 'Grid' })).toBeVisible();
  await expect(page.getByTestId('gallery').locator('canvas')).toHaveCount(15);

  // Both sliders start in the middle: column 3 of 5, row 2 of 3.
  const columns = page.getByTestId('frame-slider');
  const rows = page.getByTestId('row-slider');
  await expect(columns).toHaveAttribute('max', '4');
  await expect(columns).toHaveValue('2');
  await expect(rows).toHaveAttribute('max', '2');
  await expect(rows).toHaveValue('1');
  await expect(rows).toHaveAccessibleName('Row, from “day” at the top to “night” at the bottom');
  await expect(rows).toHaveAttribute('aria-valuetext', 'Row 2 of 3, the middle');
  await expect(page.getByTestId('viewer-caption')).toContainText('Column 3 of 5, row 2 of 3');
  await expect(grid.locator('.tile.selected')).toHaveAttribute('data-index', '7');

  // Keyboard: the row slider moves down the column, the column slider along the row.
  await rows.focus();
  await page.keyboard.press('ArrowRight');
  await expect(rows).toHaveAttribute('aria-valuetext', 'Row 3 of 3, toward “night”');
  await expect(page.getByTestId('viewer-caption')).toContainText('Column 3 of 5, row 3 of 3');
  await page.keyboard.press('Home');
  await expect(rows).toHaveAttribute('aria-valuetext', 'Row 1 of 3, toward “day”');
  await columns.focus();
  await page.keyboard.press('End');
  await expect(columns).toHaveAttribute('aria-valuetext', /^Column 5 of 5, scale .*, at “winter”$/);
  await expect(page.getByTestId('viewer-caption')).toContainText('Column 5 of 5, row 1 of 3');
  await expect(page.getByTestId('viewer-canvas')).toHaveAccessibleName(/^Column 5 of 5, row 1 of 3 \(scales .+, .+\)/);
  await expect(grid.locator('.tile.selected')).toHaveAttribute('data-index', '4');
  await page.keyboard.press('ArrowLeft');
  await expect(page.getByTestId('viewer-caption')).toContainText('Column 4 of 5, row 1 of 3');
  await expect(rows).toHaveValue('0'); // moving along the row keeps the row

  // The video walks the grid row by row (all 15 frames); around the border it is 2·(5+3)−4 = 12 frames.
  const video = page.getByTestId('video');
  await expect(video).toHaveAttribute('data-frame-count', '15');
  await expect(video).toHaveAttribute('data-path', 'rows');
  const path = page.getByTestId('video-path');
  await expect(path).toHaveValue('rows');
  await path.selectOption('loop');
  await expect(video).toHaveAttribute('data-path', 'loop', { timeout: 120_000 });
  await expect(video).toHaveAttribute('data-frame-count', '12');
  await expect(page.getByTestId('video-remaking')).toHaveCount(0);
  expect(await axe(page), 'axe on a finished grid run').toEqual([]);

  // Downloads: named after both axes and the grid; the grid PNG is 5 x 3 tiles; a frame by its column and row.
  const stem = 'time-stream_a-house_summer-to-winter_day-to-night_grid-5x3_seed2';
  const videoFile = await downloadOf(page, () => page.getByTestId('download-video').click());
  expect(videoFile.suggestedFilename()).toMatch(new RegExp(`^${stem}\\.(mp4|webm)$`));
  expect(await decodedFrames(videoFile)).toBe(12);
  const gridFile = await downloadOf(page, () => page.getByTestId('download-strip').click());
  expect(gridFile.suggestedFilename()).toBe(`${stem}_grid.png`);
  expect(pngSize(readFileSync(await gridFile.path()))).toEqual({ width: 5 * 64, height: 3 * 64 });
  await expect(page.getByTestId('download-current')).toHaveText('Column 4, row 1 (PNG)');
  const frameFile = await downloadOf(page, () => page.getByTestId('download-current').click());
  expect(frameFile.suggestedFilename()).toBe(`${stem}_col04-row01.png`);
  expect(pngSize(readFileSync(await frameFile.path()))).toEqual({ width: 64, height: 64 });
  await shoot(page, 'grid');
});

test('even spacing: the strip says what the spacing measured, in English and Korean', async ({ page }) => {
  test.setTimeout(480_000);
  await runLink(page, { prompt: 'a tomato', from: 'super fresh', to: 'rotten', frames: '5', strength: '2', seed: '3', spacing: 'even' });
  const line = page.getByTestId('evenness');
  await expect(line).toHaveText(/^Even spacing: adjacent change CV \d+\.\d\d → \d+\.\d\d, \d+ renders for 5 frames$/);
  const renders = Number((await line.textContent())!.match(/(\d+) renders/)![1]);
  expect(renders).toBeGreaterThanOrEqual(5);
  await page.getByTestId('lang-ko').click();
  await expect(line).toHaveText(new RegExp(`^고른 간격: .* \\d+\\.\\d\\d → \\d+\\.\\d\\d, 프레임 5개에 렌더 ${renders}번$`));
  await page.getByTestId('lang-en').click();
});
