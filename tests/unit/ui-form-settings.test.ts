import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SETTINGS,
  checkAll,
  queryToSettings,
  settingsToQuery,
  sizeOptions,
  type FormSettings,
} from '../../src/state/form-settings';
import { EXAMPLES } from '../../src/state/examples';
import { LIMITS, validateRequest } from '../../src/shared/request';

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
    };
    const query = settingsToQuery(settings, 'https://example.org/flux/manifest.json');
    const back = queryToSettings(`?${query}`);
    expect(back.settings).toEqual(settings);
    expect(back.model).toBe('https://example.org/flux/manifest.json');
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

  it('ignores unknown keys and unreadable numbers, keeps out-of-range ones for the form to explain', () => {
    const { settings, model } = queryToSettings('?frames=8&steps=abc&strength=&t5=300&evil=1&w=70');
    expect(settings).toEqual({ frames: 8, width: 70 });
    expect(model).toBeUndefined();
  });

  it('caps text a link can put in a field', () => {
    const { settings } = queryToSettings(`?prompt=${'x'.repeat(10_000)}`);
    expect(settings.prompt!.length).toBe(LIMITS.textMaxChars + 1);
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
});
