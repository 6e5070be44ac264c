import { describe, expect, it } from 'vitest';
import { frameOrder, holdPeriods, planVideo } from '../../workers/video/plan';

const base = { fps: 5, loop: 'forward' as const, holdFirstMs: 0, holdLastMs: 0 };

describe('frameOrder', () => {
  it('forward plays each frame once, in order', () => {
    expect(frameOrder(7, 'forward')).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('ping-pong goes there and back without repeating either end', () => {
    expect(frameOrder(7, 'pingpong')).toEqual([0, 1, 2, 3, 4, 5, 6, 5, 4, 3, 2, 1]);
    expect(frameOrder(3, 'pingpong')).toEqual([0, 1, 2, 1]);
  });

  it('ping-pong of n frames has 2n-2 samples and no two equal neighbours, looping included', () => {
    for (let n = 2; n <= 65; n++) {
      const order = frameOrder(n, 'pingpong');
      expect(order).toHaveLength(2 * n - 2);
      const looped = [...order, order[0]];
      for (let i = 1; i < looped.length; i++) expect(Math.abs(looped[i]! - looped[i - 1]!)).toBe(1);
    }
  });

  it('handles one and two frames', () => {
    expect(frameOrder(1, 'forward')).toEqual([0]);
    expect(frameOrder(1, 'pingpong')).toEqual([0]);
    expect(frameOrder(2, 'pingpong')).toEqual([0, 1]);
  });

  it('rejects a count that is not a positive integer', () => {
    expect(() => frameOrder(0, 'forward')).toThrow(RangeError);
    expect(() => frameOrder(2.5, 'pingpong')).toThrow(RangeError);
  });
});

describe('holdPeriods', () => {
  it('rounds to whole frame periods and never goes below one', () => {
    expect(holdPeriods(0, 5)).toBe(1);
    expect(holdPeriods(50, 5)).toBe(1);
    expect(holdPeriods(1000, 5)).toBe(5);
    expect(holdPeriods(1100, 5)).toBe(6); // 5.5 periods rounds up
    expect(holdPeriods(1000, 30)).toBe(30);
    expect(holdPeriods(10_000, 1)).toBe(10);
  });
});

describe('planVideo', () => {
  it('without holds, every sample lasts one period at its slot', () => {
    const plan = planVideo(7, base);
    expect(plan.samples.map((s) => s.frame)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    plan.samples.forEach((s, i) => {
      expect(s.start).toBe(i);
      expect(s.periods).toBe(1);
      expect(s.timestamp).toBeCloseTo(i / 5, 12);
      expect(s.duration).toBeCloseTo(0.2, 12);
    });
    expect(plan.totalPeriods).toBe(7);
    expect(plan.durationSeconds).toBeCloseTo(1.4, 12);
  });

  it('holds make the first and last frames one longer sample each (forward)', () => {
    const plan = planVideo(4, { ...base, holdFirstMs: 1000, holdLastMs: 600 });
    expect(plan.samples.map((s) => [s.frame, s.start, s.periods])).toEqual([
      [0, 0, 5],
      [1, 5, 1],
      [2, 6, 1],
      [3, 7, 3],
    ]);
    expect(plan.durationSeconds).toBeCloseTo(2, 12);
  });

  it('in ping-pong the last frame is held at the turning point, the first at the start', () => {
    const plan = planVideo(4, { ...base, loop: 'pingpong', holdFirstMs: 400, holdLastMs: 1000 });
    expect(plan.samples.map((s) => [s.frame, s.start, s.periods])).toEqual([
      [0, 0, 2],
      [1, 2, 1],
      [2, 3, 1],
      [3, 4, 5],
      [2, 9, 1],
      [1, 10, 1],
    ]);
    expect(plan.totalPeriods).toBe(11);
  });

  it('samples are contiguous: each starts where the previous ends, and they add up to the duration', () => {
    for (const loop of ['forward', 'pingpong'] as const) {
      for (const fps of [1, 5, 7, 24, 30]) {
        const plan = planVideo(9, { fps, loop, holdFirstMs: 730, holdLastMs: 2500 });
        let end = 0;
        for (const s of plan.samples) {
          expect(s.start).toBe(end);
          expect(s.timestamp).toBeCloseTo(s.start / fps, 12);
          expect(s.duration).toBeCloseTo(s.periods / fps, 12);
          end += s.periods;
        }
        expect(plan.totalPeriods).toBe(end);
        expect(plan.durationSeconds).toBeCloseTo(end / fps, 12);
      }
    }
  });

  it('a single frame takes the longer of the two holds', () => {
    const plan = planVideo(1, { ...base, holdFirstMs: 400, holdLastMs: 1000 });
    expect(plan.samples).toHaveLength(1);
    expect(plan.samples[0]!.periods).toBe(5);
  });
});
