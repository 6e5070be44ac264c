import { describe, expect, it } from 'vitest';
import { planFrames } from '../../workers/pipeline/frame-plan';
import { shiftPooled } from '../../workers/pipeline/slider';
import {
  allocateSteps,
  uniformColumns,
  columnsFromSteps,
  stateColumns,
  gridFrames,
  walkConditioning,
  framePooled,
  directionLengths,
} from '../../workers/pipeline/walk-plan';
import { DEFAULT_REQUEST } from '../../src/shared/request';

function random(n: number, seed: number): Float32Array {
  let x = seed;
  return Float32Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return (x / 2 ** 31) * 4 - 2;
  });
}

describe('walk plan', () => {
  it('gives a two-state walk exactly the columns and pooled vectors of the plain slider', () => {
    const columns = uniformColumns(1.75, 7, [3.2]);
    expect(columns.map((c) => c.scale)).toEqual(planFrames(1.75, 7).map((p) => p.scale));
    expect(stateColumns(columns)).toEqual([0, 6]);
    const pooled = random(768, 1);
    const d = random(768, 2);
    const c = walkConditioning({ pooled, directions: [d], strength: 1.75, normalize: false });
    for (const frame of gridFrames(DEFAULT_REQUEST, columns)) {
      const mine = framePooled(c, frame);
      const plain = shiftPooled(pooled, d, frame.column.scale);
      expect(Buffer.from(mine.buffer).equals(Buffer.from(plain.buffer))).toBe(true);
    }
  });

  it('splits steps by length, at least one per segment, summing to the total', () => {
    expect(allocateSteps([1, 1, 2], 8)).toEqual([2, 2, 4]);
    expect(allocateSteps([0, 0], 5)).toEqual([3, 2]);
    expect(allocateSteps([100, 1, 1], 6)).toEqual([4, 1, 1]);
    for (const lengths of [[0.3, 2, 0.01, 5], [1], [7, 7, 7, 7, 7, 7, 7]])
      for (const steps of [lengths.length, 12, 64]) {
        const counts = allocateSteps(lengths, steps);
        expect(counts.reduce((a, b) => a + b, 0)).toBe(steps);
        expect(Math.min(...counts)).toBeGreaterThanOrEqual(1);
      }
    expect(() => allocateSteps([1, 1, 1], 2)).toThrow(RangeError);
  });

  it('walks a timeline through its states: the states sit on their columns at the segment ends', () => {
    const columns = uniformColumns(2, 9, [1, 3]);
    expect(columns).toHaveLength(9);
    expect(stateColumns(columns)).toEqual([0, 2, 8]);
    expect(columns.map((c) => c.segment)).toEqual([0, 0, 0, 1, 1, 1, 1, 1, 1]);
    expect(columns[2]!.scale).toBe(2);
    expect(columns[8]!.scale).toBe(2);
    expect(columns[3]!.scale).toBeCloseTo(-2 + 4 / 6, 12);
  });

  it('centres a timeline as a two-state walk: the two states farthest apart sit at ±s along their difference', () => {
    const pooled = random(16, 3);
    const places = [random(16, 4), random(16, 5), random(16, 6), random(16, 7)];
    const directions = places.slice(1).map((p, k) => Float32Array.from(p, (v, i) => v - places[k]![i]!));
    const s = 1.5;
    const c = walkConditioning({ pooled, directions, strength: s, normalize: false });
    const columns = uniformColumns(s, 10, directionLengths(directions));
    // The farthest pair, by brute force over the states' places.
    let best = [-1, 0, 0];
    for (let i = 0; i < 4; i++)
      for (let j = i + 1; j < 4; j++) {
        const sq = places[i]!.reduce((sum, v, n) => sum + (places[j]![n]! - v) ** 2, 0);
        if (sq > best[0]!) best = [sq, i, j];
      }
    const [, i, j] = best as [number, number, number];
    for (const [k, column] of stateColumns(columns).entries()) {
      const got = framePooled(c, { index: column, column: columns[column]!, row: 0, scale2: 0 });
      got.forEach((v, n) => expect(v).toBeCloseTo(pooled[n]! + 2 * s * (places[k]![n]! - (places[i]![n]! + places[j]![n]!) / 2), 4));
    }
  });

  it('walks a loop (summer, winter, summer) from −s to +s and back, the two halves mirror images', () => {
    const d = random(8, 9);
    const directions = [d, Float32Array.from(d, (v) => -v)];
    const pooled = random(8, 10);
    const s = 2;
    const c = walkConditioning({ pooled, directions, strength: s, normalize: false });
    const columns = uniformColumns(s, 9, directionLengths(directions));
    expect(stateColumns(columns)).toEqual([0, 4, 8]);
    const at = (col: number) => framePooled(c, { index: col, column: columns[col]!, row: 0, scale2: 0 });
    at(0).forEach((v, n) => expect(v).toBeCloseTo(pooled[n]! - s * d[n]!, 5));
    at(4).forEach((v, n) => expect(v).toBeCloseTo(pooled[n]! + s * d[n]!, 5));
    at(8).forEach((v, n) => expect(v).toBeCloseTo(pooled[n]! - s * d[n]!, 5));
    for (let k = 1; k < 4; k++) at(k).forEach((v, n) => expect(v).toBeCloseTo(at(8 - k)[n]!, 5));
  });

  it('lays a second axis out as rows and adds b·d2 (normalised like the original when asked)', () => {
    const request = {
      ...DEFAULT_REQUEST,
      frames: 3,
      axis2: { state1: 'summer', state2: 'winter', strength: 1, frames: 3, normalize: true },
    };
    const columns = uniformColumns(2, 3, [1]);
    const grid = gridFrames(request, columns);
    expect(grid.map((f) => [f.index, f.row, f.scale2])).toEqual([
      [0, 0, -1],
      [1, 0, -1],
      [2, 0, -1],
      [3, 1, 0],
      [4, 1, 0],
      [5, 1, 0],
      [6, 2, 1],
      [7, 2, 1],
      [8, 2, 1],
    ]);
    const pooled = new Float32Array([0, 0]);
    const c = walkConditioning({
      pooled,
      directions: [new Float32Array([1, 0])],
      direction2: new Float32Array([0, 1]),
      strength: 2,
      normalize: true,
    });
    // a = -2, b = -1: divided by |a| + |b| = 3.
    expect(Array.from(framePooled(c, grid[0]!))).toEqual([Math.fround(-2 / 3), Math.fround(-1 / 3)]);
    // The middle frame (a = b = 0) is not shifted (upstream would divide by zero).
    expect(Array.from(framePooled(c, grid[4]!))).toEqual([0, 0]);
    expect(Array.from(framePooled({ ...c, normalize: false }, grid[0]!))).toEqual([-2, -1]);
  });

  it('keeps columns from explicit places on reduced fractions, so equal places give equal scales', () => {
    const a = columnsFromSteps(2, [
      [
        [64, 128],
        [128, 128],
      ],
    ]);
    const b = uniformColumns(2, 3, [1]);
    expect(a.map((c) => [c.num, c.den, c.scale])).toEqual(b.map((c) => [c.num, c.den, c.scale]));
  });
});
