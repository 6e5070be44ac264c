import { describe, expect, it } from 'vitest';
import {
  validateRequest,
  DEFAULT_REQUEST,
  SAME_NEIGHBOUR,
  hasHangul,
  sameStates,
  timelineStates,
  type SecondAxis,
} from '../../src/shared/request';
import type { AppError } from '../../src/shared/errors';

function rejection(patch: Record<string, unknown>): AppError {
  try {
    validateRequest({ ...DEFAULT_REQUEST, ...patch });
  } catch (e) {
    return e as AppError;
  }
  throw new Error('expected a rejection');
}

/** The request with `patch` is refused on `field` with a message like `message`. */
function expectRejection(patch: Record<string, unknown>, field: string, message: RegExp) {
  const error = rejection(patch);
  expect(error.name).toBe('InvalidRequest');
  expect(error.field).toBe(field);
  expect(error.message).toMatch(message);
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
    [{ frames: 3, waypoints: ['sprout', 'tree'] }, 'frames', /timeline of 4 states needs at least 4 frames/],
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
  ])('rejects %j', expectRejection);
  it('takes any frame count from 3 to 65: the odd-count rule is gone', () => {
    for (const frames of [3, 4, 8, 64, 65]) expect(validateRequest({ ...DEFAULT_REQUEST, frames }).frames).toBe(frames);
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

const AXIS2: SecondAxis = { state1: 'day', state2: 'night', strength: 1.5, frames: 3, normalize: false };

describe('keyframes, the second axis and spacing (issue 19)', () => {
  it.each([
    [{ waypoints: ['  '] }, 'waypoints.0', /empty/],
    [{ waypoints: ['sprout', 42] }, 'waypoints.1', /must be text/],
    [{ waypoints: ['sprout', 'x'.repeat(2001)] }, 'waypoints.1', /characters long/],
    [{ waypoints: 'sprout' }, 'waypoints', /list of states/],
    [{ waypoints: ['a', 'b', 'c', 'd', 'e', 'f', 'g'], frames: 9 }, 'waypoints', /at most 8 states: remove 1/],
    [{ state1: 'seed', waypoints: [' Seed '] }, 'waypoints.0', new RegExp(`^${SAME_NEIGHBOUR}`)],
    [{ state1: 'seed', waypoints: ['sprout', 'SPROUT'] }, 'waypoints.1', new RegExp(`^${SAME_NEIGHBOUR}`)],
    [{ state2: 'rotten', waypoints: ['mouldy', 'rotten'] }, 'state2', new RegExp(`^${SAME_NEIGHBOUR}`)],
    [{ axis2: 'day' }, 'axis2', /pair of states/],
    [{ axis2: { ...AXIS2, state1: '' } }, 'axis2.state1', /empty/],
    [{ axis2: { ...AXIS2, state2: undefined } }, 'axis2.state2', /must be text/],
    [{ axis2: { ...AXIS2, state2: ' DAY' } }, 'axis2.state2', /same as the 1st state on the second axis/],
    [{ axis2: { ...AXIS2, strength: 4.5 } }, 'axis2.strength', /between 0 and 4/],
    [{ axis2: { ...AXIS2, frames: 1 } }, 'axis2.frames', /between 2 and 9/],
    [{ axis2: { ...AXIS2, frames: 2.5 } }, 'axis2.frames', /whole number/],
    [{ axis2: { ...AXIS2, frames: 9 }, frames: 17 }, 'axis2.frames', /17 x 9 is 153 frames; keep it at 144/],
    [{ axis2: { ...AXIS2, normalize: 'yes' } }, 'axis2.normalize', /on or off/],
    [{ spacing: 'fast' }, 'spacing', /"uniform" or "even"/],
    [{ spacing: 'even', axis2: AXIS2 }, 'spacing', /turn off the second axis/],
  ])('rejects %j', expectRejection);

  it('a plain two-state request validates to exactly the old object, whatever defaults it spells out', () => {
    const plain = validateRequest({ ...DEFAULT_REQUEST, waypoints: [], axis2: null, spacing: 'uniform' });
    expect(plain).toEqual(DEFAULT_REQUEST);
    expect(Object.keys(plain)).toEqual(Object.keys(DEFAULT_REQUEST));
  });

  it('keeps a timeline, a second axis and even spacing, with their text normalised; the ends may be alike', () => {
    const request = validateRequest({
      ...DEFAULT_REQUEST,
      prompt: 'a tree',
      state1: 'summer',
      state2: 'summer',
      waypoints: [' autumn ', 'winter'],
      axis2: { ...AXIS2, state1: ' day', normalize: true },
      frames: 8,
    });
    expect(request.waypoints).toEqual(['autumn', 'winter']);
    expect(request.axis2).toEqual({ ...AXIS2, normalize: true });
    expect(request.spacing).toBeUndefined();
    expect(timelineStates(request)).toEqual(['summer', 'autumn', 'winter', 'summer']);
    expect(validateRequest({ ...DEFAULT_REQUEST, waypoints: ['mouldy'], spacing: 'even' }).spacing).toBe('even');
    // A timeline of 8 states fits 8 frames; the second axis's normalising defaults to off.
    const full = validateRequest({
      ...DEFAULT_REQUEST,
      frames: 8,
      waypoints: ['a', 'b', 'c', 'd', 'e', 'f'],
      axis2: { ...AXIS2, normalize: undefined },
    });
    expect(timelineStates(full)).toHaveLength(8);
    expect(full.axis2?.normalize).toBe(false);
  });
});
