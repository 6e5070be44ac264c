// Steps the app's browser tests share: open the page on the built-in model, open the advanced options,
// catch a download, and read a video's streams with ffprobe.
import { expect, type Download, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';

/** Opens the app (a link's query, if any) and waits until the worker has read the built-in model: the form follows its sizes. */
export async function openApp(page: Page, query = '') {
  await page.goto(`/${query}`);
  await expect(page.getByTestId('model-info')).toContainText('world', { ignoreCase: true });
}

export async function openAdvanced(page: Page) {
  const details = page.getByTestId('advanced');
  if (!(await details.evaluate((d) => (d as HTMLDetailsElement).open))) await details.locator('summary').click();
}

export async function downloadOf(page: Page, click: () => Promise<void>): Promise<Download> {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]);
  return download;
}

/** A video file's first video stream as ffprobe reads it: `count` decodes frames or counts packets; `entries` are the stream fields to show. */
export function probeVideo(file: string, entries: string, count: 'frames' | 'packets' = 'frames'): Record<string, string | number> {
  const json = execFileSync(
    'ffprobe',
    ['-v', 'error', `-count_${count}`, '-select_streams', 'v:0', '-show_entries', `stream=${entries}`, '-of', 'json', file],
    { encoding: 'utf8' },
  );
  return (JSON.parse(json) as { streams: Record<string, string | number>[] }).streams[0]!;
}
