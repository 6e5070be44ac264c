import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  DEFAULT_AXIS2,
  DEFAULT_SETTINGS,
  checkAll,
  queryToSettings,
  settingsToQuery,
  sizeOptions,
  type FormSettings,
} from '../../src/state/form-settings';
import { EXAMPLES, WORLD_EXAMPLES, WORLD_MODEL_ID, examplesFor } from '../../src/state/examples';
import { LIMITS, SAME_NEIGHBOUR, timelineStates, validateRequest } from '../../src/shared/request';
import type { BundleManifest } from '../../src/shared/manifest';

const tiny = { min: 32, max: 256 };

describe('settings <-> URL', () => {
  it('round-trips every field, with a fixed seed', () => {
    const settings: FormSettings = {
      ...DEFAULT_SETTINGS,
      prompt: 'a city street & "more" / 100%',
      state1: '1900',
      state2: '2100',
      strength: 2.3,
      frames: 9,
      iterations: 50,
      steps: 2,
      guidanceScale: 0.7,
      seed: 4_000_000_000,
      randomizeSeed: false,
      width: 96,
      height: 64,
      maxSequenceLength: 256,
      fps: 12,
      loop: 'pingpong',
      holdLastMs: 400,
    };
    const query = settingsToQuery(settings, 'https://example.org/flux/manifest.json');
    const back = queryToSettings(`?${query}`);
    expect(back.settings).toEqual(settings);
    expect(back.model).toBe('https://example.org/flux/manifest.json');
    expect(back.notes).toEqual([]);
  });

  it('leaves the seed out while randomize is on, so each visitor draws their own', () => {
    const query = settingsToQuery({ ...DEFAULT_SETTINGS, seed: 42, randomizeSeed: true });
    expect(new URLSearchParams(query).has('seed')).toBe(false);
    expect(queryToSettings(query).settings.randomizeSeed).toBeUndefined();
  });

  it('keeps Korean text intact', () => {
    const query = settingsToQuery({ ...DEFAULT_SETTINGS, prompt: '토마토', state1: '신선한', state2: '썩은' });
    expect(queryToSettings(query).settings).toMatchObject({ prompt: '토마토', state1: '신선한', state2: '썩은' });
  });

  it('ignores unknown keys; drops unreadable values with a note; keeps out-of-range ones for the form to explain', () => {
    const { settings, model, notes } = queryToSettings('?frames=8&steps=abc&strength=&t5=300&evil=1&w=70&fps=999&loop=sideways&seed=NaN');
    expect(settings).toEqual({ frames: 8, width: 70, fps: 999 });
    expect(model).toBeUndefined();
    expect(notes).toEqual([
      { kind: 'ignored', field: 'strength', raw: '' },
      { kind: 'ignored', field: 'steps', raw: 'abc' },
      { kind: 'ignored', field: 'seed', raw: 'NaN' },
      { kind: 'ignored', field: 'maxSequenceLength', raw: '300' },
      { kind: 'ignored', field: 'loop', raw: 'sideways' },
    ]);
  });

  it('cuts text a link puts in a field to the limit, and says by how much', () => {
    const { settings, notes } = queryToSettings(`?prompt=${'x'.repeat(10_000)}`);
    expect(settings.prompt!.length).toBe(LIMITS.textMaxChars);
    expect(notes).toEqual([{ kind: 'cut', field: 'prompt', length: 10_000, kept: LIMITS.textMaxChars }]);
  });

  it('quotes at most 40 characters of a dropped value', () => {
    const { notes } = queryToSettings(`?strength=${'9'.repeat(400)}x`);
    expect(notes).toEqual([{ kind: 'ignored', field: 'strength', raw: `${'9'.repeat(40)}…` }]);
  });
});

describe('links with a timeline, a second axis and even spacing (issue 19)', () => {
  const timeline: FormSettings = {
    ...DEFAULT_SETTINGS,
    prompt: 'a tree',
    state1: 'seed',
    state2: 'dead tree',
    waypoints: ['sprout', 'tree & "more"', '나무'],
    axis2: { state1: 'day', state2: 'night', strength: 1.2, frames: 4, normalize: true },
    spacing: 'even',
    randomizeSeed: false,
  };

  it('round-trip: keyframes in order, every second-axis field, the spacing', () => {
    const query = settingsToQuery(timeline);
    const params = new URLSearchParams(query);
    expect(params.getAll('via')).toEqual(['sprout', 'tree & "more"', '나무']);
    expect(
      Object.fromEntries(['axis2from', 'axis2to', 'axis2strength', 'axis2rows', 'axis2norm', 'spacing'].map((k) => [k, params.get(k)])),
    ).toEqual({
      axis2from: 'day',
      axis2to: 'night',
      axis2strength: '1.2',
      axis2rows: '4',
      axis2norm: '1',
      spacing: 'even',
    });
    const back = queryToSettings(`?${query}`);
    expect(back.settings).toEqual(timeline);
    expect(back.notes).toEqual([]);
  });

  it('writes normalising only when on, and reads its absence as off', () => {
    const query = settingsToQuery({ ...DEFAULT_SETTINGS, axis2: { ...DEFAULT_AXIS2, normalize: false } });
    expect(new URLSearchParams(query).has('axis2norm')).toBe(false);
    expect(queryToSettings(query).settings.axis2).toEqual({ ...DEFAULT_AXIS2, normalize: false });
  });

  it('a plain two-state link stays exactly what it was', () => {
    expect(settingsToQuery(DEFAULT_SETTINGS, 'http://m/x.json')).toBe(
      'prompt=a+tomato&from=super+fresh&to=rotten&strength=1.75&frames=7&iterations=200&steps=3&guidance=3.5&w=768&h=768&fps=5&hold=0&t5=512&loop=forward&model=http%3A%2F%2Fm%2Fx.json',
    );
    const back = queryToSettings(settingsToQuery(DEFAULT_SETTINGS)).settings;
    for (const key of ['waypoints', 'axis2', 'spacing']) expect(back).not.toHaveProperty(key);
    // Uniform spacing is the default: never written.
    expect(settingsToQuery({ ...DEFAULT_SETTINGS, spacing: 'uniform', waypoints: [] })).toBe(settingsToQuery(DEFAULT_SETTINGS));
  });

  it('keeps the first 6 keyframes of a link with more, and says so', () => {
    const via = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((v) => `via=${v}`).join('&');
    const { settings, notes } = queryToSettings(`?${via}`);
    expect(settings.waypoints).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(notes).toEqual([{ kind: 'keyframes', field: 'waypoints', count: 8, kept: 6 }]);
  });

  it('cuts a long keyframe or second-axis state, and names the field', () => {
    const long = 'x'.repeat(LIMITS.textMaxChars + 5);
    const { settings, notes } = queryToSettings(`?via=a&via=${long}&axis2to=${long}`);
    expect(settings.waypoints).toEqual(['a', long.slice(0, LIMITS.textMaxChars)]);
    expect(settings.axis2?.state2).toHaveLength(LIMITS.textMaxChars);
    expect(notes).toEqual([
      { kind: 'cut', field: 'waypoints.1', length: long.length, kept: LIMITS.textMaxChars },
      { kind: 'cut', field: 'axis2.state2', length: long.length, kept: LIMITS.textMaxChars },
    ]);
  });

  it('drops unreadable second-axis values and spacing with a note; the axis is on with the form’s defaults for the rest', () => {
    const { settings, notes } = queryToSettings('?axis2from=dusk&axis2strength=lots&axis2rows=&axis2norm=maybe&spacing=fast');
    expect(settings.axis2).toEqual({ ...DEFAULT_AXIS2, state1: 'dusk' });
    expect(settings).not.toHaveProperty('spacing');
    expect(notes).toEqual([
      { kind: 'ignored', field: 'axis2.strength', raw: 'lots' },
      { kind: 'ignored', field: 'axis2.frames', raw: '' },
      { kind: 'ignored', field: 'axis2.normalize', raw: 'maybe' },
      { kind: 'ignored', field: 'spacing', raw: 'fast' },
    ]);
  });

  it('keeps an out-of-range second-axis value for the form to explain', () => {
    expect(queryToSettings('?axis2rows=12&axis2strength=-1').settings.axis2).toMatchObject({ frames: 12, strength: -1 });
  });
});

describe('checkAll', () => {
  it('accepts the defaults at the model size', () => {
    const checked = checkAll({ ...DEFAULT_SETTINGS, width: 64, height: 64 }, tiny, 64);
    expect(checked.ok).toBe(true);
  });

  it('reports every wrong field at once, each with validateRequest’s own message', () => {
    const values = { ...DEFAULT_SETTINGS, prompt: '', frames: 66, steps: 5, seed: -1, width: 1024, height: 64 };
    const checked = checkAll(values, tiny, 64);
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(Object.keys(checked.errors).sort()).toEqual(['frames', 'prompt', 'seed', 'steps', 'width']);
    expect(checked.errors.frames).toMatch(/between 3 and 65/);
    expect(() => validateRequest({ ...DEFAULT_SETTINGS, width: 64, height: 64, steps: 5 }, tiny)).toThrow(checked.errors.steps!);
  });

  it('checks the video options with the request, and names each wrong one', () => {
    const checked = checkAll({ ...DEFAULT_SETTINGS, width: 64, height: 64, fps: 999, holdLastMs: -5, loop: 'sideways' as never }, tiny, 64);
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(checked.errors).toEqual({
      fps: 'Frames per second must be between 1 and 30 (got 999).',
      loop: "The loop mode must be one of 'forward', 'pingpong' (got \"sideways\").",
      holdLastMs: 'The hold on the last frame (ms) must be between 0 and 10000 (got -5).',
    });
    for (const fps of [0, null, Number.NaN]) {
      const wrong = checkAll({ ...DEFAULT_SETTINGS, width: 64, height: 64, fps: fps as number }, tiny, 64);
      expect(wrong.ok ? {} : wrong.errors, `fps ${fps}`).toHaveProperty('fps');
    }
  });

  it('hands over the job that runs: the request and the video options', () => {
    const checked = checkAll({ ...DEFAULT_SETTINGS, width: 64, height: 64, fps: 12, loop: 'pingpong', holdLastMs: 400 }, tiny, 64);
    expect(checked.ok && checked.job.video).toEqual({ fps: 12, loop: 'pingpong', holdLastMs: 400 });
    expect(checked.ok && checked.job.request.width).toBe(64);
  });

  it('collects every wrong keyframe and second-axis field, each under its own name, and the spacing', () => {
    const values: FormSettings = {
      ...DEFAULT_SETTINGS,
      width: 64,
      height: 64,
      state2: 'rotten',
      waypoints: ['', 'mouldy', 'rotten'],
      axis2: { state1: ' ', state2: 'night', strength: 9, frames: 20, normalize: false },
      spacing: 'even',
    };
    const checked = checkAll(values, tiny, 64);
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(Object.keys(checked.errors).sort()).toEqual([
      'axis2.frames',
      'axis2.state1',
      'axis2.strength',
      'spacing',
      'state2',
      'waypoints.0',
    ]);
    expect(checked.errors['waypoints.0']).toMatch(/empty/);
    expect(checked.errors.state2).toMatch(new RegExp(`^${SAME_NEIGHBOUR}`));
    expect(checked.errors['axis2.frames']).toMatch(/between 2 and 9/);
    expect(checked.errors.spacing).toMatch(/second axis/);
  });

  it('names each of two alike neighbours in a row, and frames too few for the timeline', () => {
    const checked = checkAll(
      { ...DEFAULT_SETTINGS, width: 64, height: 64, state1: 'seed', waypoints: ['seed', 'sprout', 'SPROUT'], frames: 4 },
      tiny,
      64,
    );
    expect(checked.ok ? {} : checked.errors).toEqual({
      'waypoints.0': expect.stringMatching(new RegExp(`^${SAME_NEIGHBOUR}`)),
      'waypoints.2': expect.stringMatching(new RegExp(`^${SAME_NEIGHBOUR}`)),
      frames: 'A timeline of 5 states needs at least 5 frames, one per state (got 4).',
    });
  });

  it('an empty 2nd state beside a 1st state alike its stand-in still gets its own message, not a form-wide one', () => {
    const checked = checkAll({ ...DEFAULT_SETTINGS, width: 64, height: 64, state1: 'rotten', state2: 'rotten' }, tiny, 64);
    expect(checked.ok ? {} : checked.errors).toEqual({ state2: expect.stringMatching(/same as the 1st state/) });
  });

  it('hands over the timeline, the second axis and the spacing only when they are used', () => {
    const plain = checkAll({ ...DEFAULT_SETTINGS, width: 64, height: 64 }, tiny, 64);
    expect(plain.ok && Object.keys(plain.job.request)).toEqual(
      Object.keys({ ...DEFAULT_SETTINGS }).filter((k) => !['fps', 'loop', 'holdLastMs', 'randomizeSeed'].includes(k)),
    );
    const used = checkAll({ ...DEFAULT_SETTINGS, width: 64, height: 64, waypoints: [' mouldy '], spacing: 'even' }, tiny, 64);
    expect(used.ok && used.job.request).toMatchObject({ waypoints: ['mouldy'], spacing: 'even' });
    const grid = checkAll({ ...DEFAULT_SETTINGS, width: 64, height: 64, axis2: DEFAULT_AXIS2 }, tiny, 64);
    expect(grid.ok && grid.job.request.axis2).toEqual(DEFAULT_AXIS2);
  });

  it('treats an emptied number box (null) as a wrong number, not a crash', () => {
    const checked = checkAll({ ...DEFAULT_SETTINGS, width: 64, height: 64, strength: null as unknown as number }, tiny, 64);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.errors.strength).toMatch(/number/);
  });
});

describe('sizeOptions', () => {
  it('offers multiples of 16 across the limits, with the default', () => {
    const options = sizeOptions(tiny, 64);
    expect(options[0]).toBe(32);
    expect(options.at(-1)).toBe(256);
    expect(options).toContain(64);
    expect(options.every((n) => n % 16 === 0)).toBe(true);
    expect(options.length).toBeLessThanOrEqual(17);
  });

  it('keeps the list short for the real model and includes 768', () => {
    const options = sizeOptions({ min: 256, max: 1024 }, 768);
    expect(options).toContain(768);
    expect(options.length).toBeLessThanOrEqual(18);
  });

  it('shows a current value that does not fit, so the form can explain it', () => {
    expect(sizeOptions(tiny, 64, 70)).toContain(70);
  });
});

describe('examples', () => {
  it('are all valid requests', () => {
    for (const example of EXAMPLES) expect(() => validateRequest({ ...DEFAULT_SETTINGS, ...example })).not.toThrow();
  });
  it('start with the original Space’s three', () => {
    expect(EXAMPLES.slice(0, 3).map((e) => e.prompt)).toEqual(['a dog in the park', 'a house', 'a tomato']);
  });
  it('for the built-in world model are valid, within its size limits, and only its subjects and states', () => {
    const manifest = JSON.parse(readFileSync('public/models/world/manifest.json', 'utf8')) as BundleManifest;
    expect(manifest.id).toBe(WORLD_MODEL_ID);
    const limits = { min: manifest.limits!.min_size, max: manifest.limits!.max_size };
    const size = { width: manifest.defaults.width, height: manifest.defaults.height };
    for (const example of WORLD_EXAMPLES) {
      expect(() => validateRequest({ ...DEFAULT_SETTINGS, ...size, ...example }, limits)).not.toThrow();
      expect(example.prompt).toMatch(/^a (tomato|house|tree|car|fish|flower)$/);
      // Every step of the timeline is one of the world's changes, either way.
      const states = timelineStates(example);
      for (const [a, b] of states.slice(1).map((to, i) => [states[i]!, to]))
        expect([a, b]).toSatisfy(([a, b]: string[]) =>
          [
            ['super fresh', 'rotten'],
            ['fresh', 'rotten'],
            ['summer', 'winter'],
            ['day', 'night'],
          ].some(([x, y]) => (a === x && b === y) || (example.waypoints?.length && a === y && b === x)),
        );
      expect(example.strength).toBeLessThanOrEqual(4);
    }
  });
  it('follow the model in use: the world model’s own, the Space’s for any other model', () => {
    expect(examplesFor(undefined)).toBe(WORLD_EXAMPLES);
    expect(examplesFor(WORLD_MODEL_ID)).toBe(WORLD_EXAMPLES);
    expect(examplesFor('flux1-schnell-q4-public')).toBe(EXAMPLES);
    expect(examplesFor('tiny-random-flux-schnell')).toBe(EXAMPLES);
  });
});
