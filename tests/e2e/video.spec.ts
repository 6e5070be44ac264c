// Video and strip encoders in real Chromium (issue 6): the harness page runs workers/video on
// synthetic frames and decodes the results back with Mediabunny; ffprobe reads the files as an
// outside reader. No codec is assumed: each test asks the browser what it can encode, then checks.
import { test, expect, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { VideoHarness, RoundTripSpec } from '../pages/video-harness';
import type { VideoCodecName, VideoContainer } from '../../src/shared/video-api';

/** Every decoded frame must be within this PSNR (dB, over RGB) of the source frame the plan puts there. */
const MIN_PSNR_DB = 30;

/** ffprobe's names for Mediabunny's codecs. */
const FFPROBE_CODEC: Record<VideoCodecName, string> = { avc: 'h264', vp9: 'vp9', av1: 'av1', vp8: 'vp8' };

declare global {
  interface Window {
    videoHarness: VideoHarness;
  }
}

/**
 * Opens the harness. The dev server is shared with whatever else is being edited, and a dependency
 * re-optimisation can make a module load fail (Vite's "Outdated Optimize Dep"); one reload then helps.
 */
async function openHarness(page: Page) {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  for (let attempt = 1; ; attempt++) {
    await page.goto('/tests/pages/video.html');
    try {
      await expect(page.locator('#status')).toHaveText('ready', { timeout: 30_000 });
      return;
    } catch (error) {
      if (attempt === 2) throw new Error(`the harness did not load: ${problems.join('; ') || String(error)}`, { cause: error });
    }
  }
}

const codecsOf = (page: Page, container: VideoContainer, width: number, height: number) =>
  page.evaluate(([c, w, h]) => window.videoHarness.codecs(c, w, h), [container, width, height] as const);

const roundTrip = (page: Page, spec: RoundTripSpec) => page.evaluate((s) => window.videoHarness.roundTrip(s), spec);

interface Probe {
  codec: string;
  width: number;
  height: number;
  packets: number;
  duration: number;
}

/** ffprobe's view of a file: codec, size, packet count (no decoding needed) and container duration. */
function ffprobe(path: string): Probe {
  const json = execFileSync('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-count_packets',
    '-show_entries',
    'stream=codec_name,width,height,nb_read_packets:format=duration',
    '-of',
    'json',
    path,
  ]).toString();
  const parsed = JSON.parse(json) as {
    streams: { codec_name: string; width: number; height: number; nb_read_packets: string }[];
    format: { duration: string };
  };
  const stream = parsed.streams[0]!;
  return {
    codec: stream.codec_name,
    width: stream.width,
    height: stream.height,
    packets: Number(stream.nb_read_packets),
    duration: Number(parsed.format.duration),
  };
}

/** The checks every round trip gets: the file says what the result says, and every frame is the right one. */
function checkRoundTrip(
  r: Awaited<ReturnType<typeof roundTrip>>,
  want: { codec: VideoCodecName; width: number; height: number },
  file: string,
) {
  const { result, decoded, plan } = r;
  expect(result.codec).toBe(want.codec);
  expect(decoded.codec).toBe(want.codec);
  expect([result.width, result.height]).toEqual([want.width, want.height]);
  expect([decoded.width, decoded.height]).toEqual([want.width, want.height]);
  expect(result.frameCount).toBe(plan.length);
  expect(decoded.packets).toBe(plan.length);
  expect(decoded.samples).toHaveLength(plan.length);
  const total = plan.reduce((sum, s) => sum + s.duration, 0);
  expect(result.durationSeconds).toBeCloseTo(total, 6);
  expect(decoded.duration).toBeCloseTo(total, 3);
  decoded.samples.forEach((sample, i) => {
    const planned = plan[i]!;
    expect(sample.timestamp, `sample ${i} timestamp`).toBeCloseTo(planned.timestamp, 3);
    expect(sample.duration, `sample ${i} duration`).toBeCloseTo(planned.duration, 3);
    expect(sample.nearest, `sample ${i} shows frame ${planned.frame}`).toBe(planned.frame);
    expect(sample.psnr, `sample ${i} PSNR`).toBeGreaterThanOrEqual(MIN_PSNR_DB);
  });
  // Progress: from 0 to the sample count, never backwards.
  const done = r.events.flatMap((e) => (e.type === 'progress' ? [e.done] : []));
  expect(done[0]).toBe(0);
  expect(done.at(-1)).toBe(plan.length);
  expect([...done].sort((a, b) => a - b)).toEqual(done);

  writeFileSync(file, Buffer.from(r.base64, 'base64'));
  const probe = ffprobe(file);
  expect(probe.codec).toBe(FFPROBE_CODEC[want.codec]);
  expect([probe.width, probe.height]).toEqual([want.width, want.height]);
  expect(probe.packets).toBe(plan.length);
  expect(Math.abs(probe.duration - total)).toBeLessThan(0.01);
}

// One harness page for the whole file: loading it is the slow part on a busy machine. Every test leaves
// it as it found it (fault injection restores VideoEncoder; the worker test terminates its worker).
let page: Page;
test.beforeAll(async ({ browser }) => {
  page = await browser.newPage();
  await openHarness(page);
});
test.afterAll(async () => page?.close());

test.describe('video encoder', () => {
  test('MP4: negotiates the first codec the browser has, and every available codec round-trips in both loop modes', async () => {
    const info = test.info();
    const available = await codecsOf(page, 'mp4', 64, 64);
    expect(available.length, 'this Chromium encodes at least one MP4 codec').toBeGreaterThan(0);
    const negotiated = await roundTrip(page, { width: 64, height: 64, count: 7, options: {} });
    expect(negotiated.result.codec).toBe(available[0]);
    expect(negotiated.result.mimeType).toMatch(/^video\/mp4; codecs="/);
    expect(negotiated.result.durationSeconds).toBeCloseTo(7 / 5, 6); // 5 fps by default, like the Space
    test
      .info()
      .annotations.push({ type: 'codec', description: `MP4 negotiated ${negotiated.result.codec}; available: ${available.join(', ')}` });

    for (const codec of available) {
      for (const loop of ['forward', 'pingpong'] as const) {
        const options = loop === 'pingpong' ? { codec, loop, holdFirstMs: 600, holdLastMs: 1000 } : { codec, loop, fps: 12 };
        const r = await roundTrip(page, { width: 64, height: 64, count: 7, options });
        expect(r.plan.map((s) => s.frame)).toEqual(loop === 'pingpong' ? [0, 1, 2, 3, 4, 5, 6, 5, 4, 3, 2, 1] : [0, 1, 2, 3, 4, 5, 6]);
        checkRoundTrip(r, { codec, width: 64, height: 64 }, info.outputPath(`${codec}-${loop}.mp4`));
      }
    }
  });

  test('WebM: every available codec round-trips, ping-pong with holds', async () => {
    const info = test.info();
    const available = await codecsOf(page, 'webm', 64, 64);
    expect(available.length).toBeGreaterThan(0);
    const negotiated = await roundTrip(page, { width: 64, height: 64, count: 3, options: { container: 'webm' } });
    expect(negotiated.result.codec).toBe(available[0]);
    expect(negotiated.result.mimeType).toMatch(/^video\/webm; codecs="/);
    for (const codec of available) {
      const r = await roundTrip(page, {
        width: 64,
        height: 64,
        count: 7,
        options: { container: 'webm', codec, loop: 'pingpong', holdLastMs: 400 },
      });
      checkRoundTrip(r, { codec, width: 64, height: 64 }, info.outputPath(`${codec}.webm`));
    }
  });

  test('odd sizes: H.264 crops to even, the others keep the size', async () => {
    const info = test.info();
    const available = await codecsOf(page, 'mp4', 51, 31);
    expect(available.length).toBeGreaterThan(0);
    for (const codec of available) {
      const r = await roundTrip(page, { width: 51, height: 31, count: 7, options: { codec } });
      const even = codec === 'avc';
      expect(r.result.cropped).toBe(even);
      checkRoundTrip(r, { codec, width: even ? 50 : 51, height: even ? 30 : 31 }, info.outputPath(`${codec}-51x31.mp4`));
    }
  });

  test('a grid (second axis): the video walks it row by row as a snake or once around the border, frame by frame as planned', async () => {
    const info = test.info();
    const [codec] = await codecsOf(page, 'mp4', 64, 64);
    expect(codec, 'this Chromium encodes at least one MP4 codec').toBeDefined();
    const grid = { columns: 4, rows: 3 };
    const cases = [
      { options: { codec }, order: [0, 1, 2, 3, 7, 6, 5, 4, 8, 9, 10, 11], path: 'rows' },
      { options: { codec, path: 'loop' as const }, order: [0, 1, 2, 3, 7, 11, 10, 9, 8, 4], path: 'loop' },
      // Ping-pong around the border: there and back, turning on the last border frame (held).
      {
        options: { codec, path: 'loop' as const, loop: 'pingpong' as const, holdLastMs: 600 },
        order: [0, 1, 2, 3, 7, 11, 10, 9, 8, 4, 8, 9, 10, 11, 7, 3, 2, 1],
        path: 'loop',
      },
    ];
    for (const [i, c] of cases.entries()) {
      const r = await roundTrip(page, { width: 64, height: 64, count: 12, grid, options: c.options });
      expect(r.plan.map((s) => s.frame)).toEqual(c.order);
      expect(r.result.frameCount).toBe(c.order.length);
      expect(r.result.grid).toEqual({ ...grid, path: c.path });
      // Every decoded sample is nearest to the frame the path puts there.
      checkRoundTrip(r, { codec: codec!, width: 64, height: 64 }, info.outputPath(`grid-${i}.mp4`));
    }
    // A single row ignores the path and says nothing of a grid.
    const row = await roundTrip(page, { width: 64, height: 64, count: 5, options: { codec, path: 'loop' } });
    expect(row.plan.map((s) => s.frame)).toEqual([0, 1, 2, 3, 4]);
    expect(row.result.grid).toBeUndefined();
  });

  test('cancel mid-encode stops before the next frame with AbortError', async () => {
    const outcome = await page.evaluate(() =>
      window.videoHarness.cancelMidway({ width: 128, height: 128, count: 30, options: { loop: 'pingpong' }, after: 5 }),
    );
    expect(outcome.name).toBe('AbortError');
    expect(outcome.lastDone).toBe(5);
  });

  test('encoder failures: the next codec takes over, or a named error says why', async () => {
    const available = await codecsOf(page, 'mp4', 64, 64);
    test.skip(available.length < 2, 'needs two MP4 codecs to fall back between');
    const [first, second] = available as [VideoCodecName, VideoCodecName];
    const prefix = { avc: 'avc1', vp9: 'vp09', av1: 'av01', vp8: 'vp8' }[first];
    const spec = { width: 64, height: 64, count: 3, options: {} };

    const fallback = await page.evaluate(([p, s]) => window.videoHarness.withFault('fails', p, s), [prefix, spec] as const);
    expect(fallback.outcome).toBe('resolved');
    expect(fallback.codec).toBe(second);
    expect(fallback.skipped).toEqual([{ codec: first, reason: expect.stringMatching(/Synthetic encoder failure/) }]);
    expect(fallback.events).toContainEqual({
      type: 'warning',
      code: 'video-codec-fallback',
      detail: expect.stringContaining(`trying ${second}`),
    });

    const forced = await page.evaluate(([p, s]) => window.videoHarness.withFault('fails', p, s), [
      prefix,
      { ...spec, options: { codec: first } },
    ] as const);
    expect(forced.outcome).toBe('EncoderUnsupported');
    expect(forced.message).toMatch(/Synthetic encoder failure/);

    const oom = await page.evaluate(([p, s]) => window.videoHarness.withFault('oom', p, s), [prefix, spec] as const);
    expect(oom.outcome).toBe('OutOfMemory');

    // A size not asked about before: Mediabunny remembers support answers per configuration.
    const none = await page.evaluate((s) => window.videoHarness.withFault('unsupported', '', s), { ...spec, width: 66, height: 66 });
    expect(none.outcome).toBe('EncoderUnsupported');
    expect(none.message).toMatch(/avc.*vp9.*av1/);

    const invalid = await page.evaluate((s) => window.videoHarness.withFault('fails', 'none', s), { ...spec, options: { fps: 60 } });
    expect(invalid.outcome).toBe('InvalidRequest');
    expect(invalid.message).toMatch(/Frames per second must be between 1 and 30/);
  });

  test('through the worker: events proxied, the file transferred, cancelVideo stops a job', async () => {
    const r = await page.evaluate(() => window.videoHarness.viaWorker({ width: 64, height: 64, count: 7, options: {} }));
    expect(r.empty).toMatch(/^InvalidRequest: .*render a job first/);
    expect(r.result.isArrayBuffer).toBe(true);
    expect(r.result.bytes).toBeGreaterThan(0);
    expect(r.result.frameCount).toBe(7);
    expect(r.events[0]).toEqual({ type: 'stage', stage: 'video' });
    expect(r.events.at(-1)).toEqual({ type: 'progress', stage: 'video', done: 7, total: 7 });
    expect(r.strip).toMatchObject({ mimeType: 'image/png', width: 7 * 32, tileHeight: 32 });
    // A remembered grid: the video goes once around its border, the strip is 4 x 3 tiles.
    expect(r.grid.video).toEqual({ frameCount: 2 * (4 + 3) - 4, grid: { columns: 4, rows: 3, path: 'loop' } });
    expect(r.grid.strip).toMatchObject({ width: 4 * 32, height: 3 * 32, columns: 4, rows: 3, frameCount: 12 });
    expect(r.cancelled).toBe('AbortError');
  });
});

test.describe('strip', () => {
  for (const spec of [
    { width: 64, height: 64, count: 7, options: { tileHeight: 32, captions: 'below' as const } },
    { width: 51, height: 31, count: 5, options: { captions: 'above' as const } },
    { width: 96, height: 64, count: 3, options: { tileHeight: 48 } },
  ]) {
    test(`${spec.count} frames of ${spec.width}x${spec.height}, ${JSON.stringify(spec.options)}`, async () => {
      const r = await page.evaluate((s) => window.videoHarness.strip(s), spec);
      const tileHeight = spec.options.tileHeight ?? 256; // the Space's default
      const tileWidth = Math.round((spec.width * tileHeight) / spec.height);
      const captioned = 'captions' in spec.options;
      expect(r.result).toMatchObject({
        mimeType: 'image/png',
        tileHeight,
        tileWidth,
        width: tileWidth * spec.count,
        frameCount: spec.count,
      });
      expect(r.png).toEqual({ width: r.result.width, height: r.result.height });
      expect(r.result.height).toBe(captioned ? tileHeight + Math.max(18, Math.round(tileHeight * 0.14)) : tileHeight);
      // Each tile shows its own frame: the centre of each flat quadrant keeps its colour.
      r.tiles.forEach((quadrants, k) =>
        quadrants.forEach(({ got, want }, q) =>
          got.forEach((v, c) => expect(Math.abs(v - want[c]!), `tile ${k} quadrant ${q} channel ${c}`).toBeLessThanOrEqual(3)),
        ),
      );
      if (captioned) {
        expect(r.band).toEqual([255, 255, 255]);
        expect(r.inkFirst, 'state 1 written at the first tile').toBeGreaterThan(20);
        expect(r.inkLast, 'state 2 written at the last tile').toBeGreaterThan(20);
      }
    });
  }

  test('a grid: columns x rows tiles, each frame in its cell, and each state of the timeline captioned at its column', async () => {
    // 6 x 3 frames; the timeline summer → winter → fall has its keyframe on column 2.
    const grid = { columns: 6, rows: 3, states: ['summer', 'winter', 'fall'], stateColumns: [0, 2, 5] };
    const spec = { width: 64, height: 64, count: 18, grid, options: { tileHeight: 48, captions: 'below' as const } };
    const r = await page.evaluate((s) => window.videoHarness.strip(s), spec);
    const band = Math.max(18, Math.round(48 * 0.14));
    expect(r.result).toMatchObject({
      width: 6 * 48,
      height: 3 * 48 + band,
      tileWidth: 48,
      tileHeight: 48,
      columns: 6,
      rows: 3,
      frameCount: 18,
    });
    expect(r.png).toEqual({ width: 6 * 48, height: 3 * 48 + band });
    r.tiles.forEach((quadrants, k) =>
      quadrants.forEach(({ got, want }, q) =>
        got.forEach((v, c) => expect(Math.abs(v - want[c]!), `frame ${k} quadrant ${q} channel ${c}`).toBeLessThanOrEqual(3)),
      ),
    );
    expect(r.band).toEqual([255, 255, 255]);
    // Ink under the state columns (0, 2, 5); none under column 4, which holds no state and no overflowing name.
    for (const column of grid.stateColumns) expect(r.inkByColumn[column], `a name written at column ${column}`).toBeGreaterThan(20);
    expect(r.inkByColumn[4], 'nothing written at column 4').toBe(0);

    // Without the layout's states, the same frames in one strip name only the two ends.
    const plain = await page.evaluate((s) => window.videoHarness.strip(s), { ...spec, grid: undefined, count: 6 });
    expect(plain.inkByColumn[2], 'no keyframe name without a timeline').toBe(0);
  });
});
