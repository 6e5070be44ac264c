import { describe, expect, it } from 'vitest';
import { gridPath, holdPeriods, loopOrder, planVideo } from '../../workers/video/plan';
import type { LoopMode } from '../../src/shared/video-api';

const base = { fps: 5, loop: 'forward' as const, holdFirstMs: 0, holdLastMs: 0 };
/** The source frame of each sample of a one-row video of `count` frames. */
const frameOrder = (count: number, loop: LoopMode) => planVideo(count, { ...base, loop }).samples.map((s) => s.frame);

describe('the frame order of one row', () => {
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

/** Whether two frames of a grid of `columns` are neighbours (one step along a row or a column). */
function neighbours(a: number, b: number, columns: number): boolean {
  const [ca, ra, cb, rb] = [a % columns, Math.floor(a / columns), b % columns, Math.floor(b / columns)];
  return Math.abs(ca - cb) + Math.abs(ra - rb) === 1;
}

describe('gridPath', () => {
  it('rows: a snake, row by row from the top, turning at each end', () => {
    // 4 x 3:  0  1  2  3 /  4  5  6  7 /  8  9 10 11
    expect(gridPath({ columns: 4, rows: 3 }, 'rows')).toEqual([0, 1, 2, 3, 7, 6, 5, 4, 8, 9, 10, 11]);
    expect(gridPath({ columns: 3, rows: 2 }, 'rows')).toEqual([0, 1, 2, 5, 4, 3]);
  });

  it('loop: once around the border, clockwise from the top-left frame', () => {
    expect(gridPath({ columns: 4, rows: 3 }, 'loop')).toEqual([0, 1, 2, 3, 7, 11, 10, 9, 8, 4]);
    expect(gridPath({ columns: 3, rows: 2 }, 'loop')).toEqual([0, 1, 2, 5, 4, 3]);
    expect(gridPath({ columns: 3, rows: 3 }, 'loop')).toEqual([0, 1, 2, 5, 8, 7, 6, 3]);
  });

  it('one row (or one column) plays in index order whatever the path', () => {
    for (const path of ['rows', 'loop'] as const) {
      expect(gridPath({ columns: 5, rows: 1 }, path)).toEqual([0, 1, 2, 3, 4]);
      expect(gridPath({ columns: 1, rows: 3 }, path)).toEqual([0, 1, 2]);
    }
  });

  it('every grid the request allows: rows shows each frame once and loop each border frame once, each step to a neighbour', () => {
    for (let columns = 3; columns <= 65; columns++) {
      for (let rows = 2; rows <= 9 && columns * rows <= 144; rows++) {
        const snake = gridPath({ columns, rows }, 'rows');
        expect([...snake].sort((a, b) => a - b)).toEqual(Array.from({ length: columns * rows }, (_, i) => i));
        for (let i = 1; i < snake.length; i++) expect(neighbours(snake[i - 1]!, snake[i]!, columns)).toBe(true);

        const loop = gridPath({ columns, rows }, 'loop');
        const border = Array.from({ length: columns * rows }, (_, i) => i).filter((i) => {
          const [c, r] = [i % columns, Math.floor(i / columns)];
          return c === 0 || r === 0 || c === columns - 1 || r === rows - 1;
        });
        expect(loop).toHaveLength(2 * (columns + rows) - 4);
        expect([...loop].sort((a, b) => a - b)).toEqual(border);
        // A closed loop: the last frame is beside the first, so the forward video loops without a jump.
        for (let i = 1; i <= loop.length; i++) expect(neighbours(loop[i - 1]!, loop[i % loop.length]!, columns)).toBe(true);
        expect(loop[1]).toBe(1); // clockwise: along the top row first
      }
    }
  });

  it('rejects a grid that is not whole', () => {
    expect(() => gridPath({ columns: 0, rows: 2 }, 'rows')).toThrow(RangeError);
    expect(() => gridPath({ columns: 3, rows: 1.5 }, 'loop')).toThrow(RangeError);
  });
});

describe('loopOrder and planVideo over a grid', () => {
  it('ping-pong goes back along the walk without repeating its ends', () => {
    expect(loopOrder([0, 1, 2, 5, 4, 3], 'pingpong')).toEqual([0, 1, 2, 5, 4, 3, 4, 5, 2, 1]);
    expect(loopOrder([0, 1, 2, 5, 4, 3], 'forward')).toEqual([0, 1, 2, 5, 4, 3]);
    expect(() => loopOrder([], 'forward')).toThrow(RangeError);
  });

  it('plays the grid along the asked path (rows by default), a single row as before', () => {
    expect(planVideo(6, base, { columns: 3, rows: 2 }).samples.map((s) => s.frame)).toEqual([0, 1, 2, 5, 4, 3]);
    expect(planVideo(12, { ...base, path: 'loop' }, { columns: 4, rows: 3 }).samples.map((s) => s.frame)).toEqual([
      0, 1, 2, 3, 7, 11, 10, 9, 8, 4,
    ]);
    expect(planVideo(5, { ...base, path: 'loop' }, { columns: 5, rows: 1 }).samples.map((s) => s.frame)).toEqual([0, 1, 2, 3, 4]);
    expect(planVideo(5, { ...base, path: 'loop' }).samples.map((s) => s.frame)).toEqual([0, 1, 2, 3, 4]);
  });

  it("holds the walk's first and last frames, wherever they are in the grid", () => {
    // Snake over 3 x 2 ends on frame 3 (bottom-left); ping-pong turns there.
    const plan = planVideo(6, { ...base, loop: 'pingpong', holdFirstMs: 400, holdLastMs: 1000 }, { columns: 3, rows: 2 });
    expect(plan.samples.map((s) => [s.frame, s.periods])).toEqual([
      [0, 2],
      [1, 1],
      [2, 1],
      [5, 1],
      [4, 1],
      [3, 5],
      [4, 1],
      [5, 1],
      [2, 1],
      [1, 1],
    ]);
    expect(plan.totalPeriods).toBe(15);
  });

  it('refuses a grid that does not hold the frames', () => {
    expect(() => planVideo(7, base, { columns: 3, rows: 2 })).toThrow(/grid of 3 x 2 does not hold 7 frames/);
  });
});
