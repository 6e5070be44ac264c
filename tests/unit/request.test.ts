import { describe, expect, it } from 'vitest';
import { validateRequest, DEFAULT_REQUEST, hasHangul, sameStates } from '../../src/shared/request';
import type { AppError } from '../../src/shared/errors';

function rejection(patch: Record<string, unknown>): AppError {
  try {
    validateRequest({ ...DEFAULT_REQUEST, ...patch });
  } catch (e) {
    return e as AppError;
  }
  throw new Error('expected a rejection');
}

describe('request validation', () => {
  it('accepts the defaults and normalises text', () => {
    expect(validateRequest({ ...DEFAULT_REQUEST, prompt: '  a tomato ' }).prompt).toBe('a tomato');
  });
  it('accepts Korean and emoji', () => {
    expect(validateRequest({ ...DEFAULT_REQUEST, prompt: '토마토 🍅', state1: '신선한', state2: '썩은' }).prompt).toBe('토마토 🍅');
  });
  it.each([
    [{ prompt: '' }, 'prompt', /empty/],
    [{ state1: '   ' }, 'state1', /empty/],
    [{ state2: 'x'.repeat(5000) }, 'state2', /characters long/],
    [{ strength: Number.NaN }, 'strength', /number/],
    [{ strength: Infinity }, 'strength', /number/],
    [{ strength: 4.5 }, 'strength', /between 0 and 4/],
    [{ frames: 8 }, 'frames', /odd/],
    [{ frames: 67 }, 'frames', /between 3 and 65/],
    [{ frames: 1 }, 'frames', /between 3 and 65/],
    [{ iterations: 401 }, 'iterations', /between 0 and 400/],
    [{ iterations: 2.5 }, 'iterations', /whole number/],
    [{ steps: 0 }, 'steps', /between 1 and 4/],
    [{ seed: -1 }, 'seed', /between/],
    [{ seed: 2 ** 32 }, 'seed', /between/],
    [{ width: 760 }, 'width', /multiple of 16/],
    [{ height: 2048 }, 'height', /between/],
    [{ guidanceScale: 0 }, 'guidanceScale', /between 0.1 and 10/],
    [{ maxSequenceLength: 300 }, 'maxSequenceLength', /256 or 512/],
    [{ prompt: 42 }, 'prompt', /text/],
    [{ state1: 'rotten', state2: 'rotten' }, 'state2', /same as the 1st state/],
    [{ state1: ' Super  Fresh', state2: 'super fresh ' }, 'state2', /same as the 1st state/],
  ])('rejects %j', (patch, field, message) => {
    const error = rejection(patch);
    expect(error.name).toBe('InvalidRequest');
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });
  it('narrows sizes to the bundle limits', () => {
    expect(() => validateRequest({ ...DEFAULT_REQUEST, width: 768 }, { min: 32, max: 256 })).toThrow(/between 32 and 256/);
  });
  it('calls states the same when only case and runs of spaces differ', () => {
    expect(sameStates('Rotten', '  rotten ')).toBe(true);
    expect(sameStates('super\tfresh', 'SUPER FRESH')).toBe(true);
    expect(sameStates('신선한', '신선한 ')).toBe(true);
    expect(sameStates('fresh', 'rotten')).toBe(false);
    expect(sameStates('fresh', 'freshly')).toBe(false);
  });
  it('detects Hangul', () => {
    expect(hasHangul('a 토마토')).toBe(true);
    expect(hasHangul('a tomato 🍅')).toBe(false);
  });
});
