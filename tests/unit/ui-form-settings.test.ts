import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  DEFAULT_SETTINGS,
  checkAll,
  queryToSettings,
  settingsToQuery,
  sizeOptions,
  type FormSettings,
} from '../../src/state/form-settings';
import { EXAMPLES, WORLD_EXAMPLES, WORLD_MODEL_ID, examplesFor } from '../../src/state/examples';
import { LIMITS, validateRequest } from '../../src/shared/request';
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

describe('checkAll', () => {
  it('accepts the defaults at the model size', () => {
    const checked = checkAll({ ...DEFAULT_SETTINGS, width: 64, height: 64 }, tiny, 64);
    expect(checked.ok).toBe(true);
  });

  it('reports every wrong field at once, each with validateRequest’s own message', () => {
    const values = { ...DEFAULT_SETTINGS, prompt: '', frames: 8, steps: 5, seed: -1, width: 1024, height: 64 };
    const checked = checkAll(values, tiny, 64);
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(Object.keys(checked.errors).sort()).toEqual(['frames', 'prompt', 'seed', 'steps', 'width']);
    expect(checked.errors.frames).toMatch(/odd/);
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
      expect([example.state1, example.state2]).toSatisfy(([a, b]: string[]) =>
        [
          ['super fresh', 'rotten'],
          ['fresh', 'rotten'],
          ['summer', 'winter'],
          ['day', 'night'],
        ].some(([x, y]) => a === x && b === y),
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
