import { describe, expect, it } from 'vitest';
import { pixelDistance, latentDistance, coefficientOfVariation, placeEvenly } from '../../workers/pipeline/spacing';

describe('even spacing', () => {
  it('measures frames by their mean absolute RGB change', () => {
    const a = new Uint8ClampedArray([0, 0, 0, 255, 10, 10, 10, 255]);
    const b = new Uint8ClampedArray([30, 0, 0, 0, 10, 10, 10, 0]);
    expect(pixelDistance(a, b)).toBe(5);
    expect(latentDistance(new Float32Array([0, 0]), new Float32Array([3, 4]))).toBeCloseTo(Math.sqrt(12.5), 12);
    expect(coefficientOfVariation([2, 2, 2])).toBe(0);
    expect(coefficientOfVariation([1, 3])).toBeCloseTo(0.5, 12);
  });

  it('puts frames where the change is: a walk that changes only in its middle gets its frames there', () => {
    // 7 samples at places 0..6 (grid 6); all the change happens between places 2 and 4.
    const steps = [0, 0, 0, 5, 5, 0, 0];
    const samples = steps.map((step, at) => ({ at: at * 10, step }));
    const [places] = placeEvenly([samples], [60], 5);
    expect(places).toEqual([25, 30, 35, 60]);
  });

  it('splits frames between segments by measured change and keeps places whole and increasing', () => {
    const flat = [0, 1, 1, 1, 1].map((step, i) => ({ at: i * 16, step }));
    const busy = [0, 3, 3, 3, 3].map((step, i) => ({ at: i * 16, step }));
    const places = placeEvenly([flat, busy], [64, 64], 9);
    expect(places.map((p) => p.length)).toEqual([2, 6]);
    for (const list of places) {
      expect(list.at(-1)).toBe(64);
      list.forEach((p, i) => expect(p).toBeGreaterThan(i === 0 ? 0 : list[i - 1]!));
    }
    // More frames than places: still strictly increasing within the grid.
    const [crowded] = placeEvenly(
      [
        [
          { at: 0, step: 0 },
          { at: 4, step: 1 },
        ],
      ],
      [4],
      5,
    );
    expect(crowded).toEqual([1, 2, 3, 4]);
  });
});
