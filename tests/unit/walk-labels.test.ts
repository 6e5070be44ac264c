import { describe, expect, it } from 'vitest';
import { labelSpans, tileLabelSpans } from '../../src/shared/walk-labels';

describe('labelSpans', () => {
  it('two states split the row at the middle: the 1st from the left, the 2nd to the right', () => {
    expect(labelSpans([0, 100], 0, 100)).toEqual([
      { state: 0, start: 0, end: 50, align: 'start' },
      { state: 1, start: 50, end: 100, align: 'end' },
    ]);
  });

  it('a keyframe is centred on its point, as wide as its nearer neighbour allows', () => {
    const spans = labelSpans([0, 20, 60, 100], 0, 100);
    expect(spans).toEqual([
      { state: 0, start: 0, end: 10, align: 'start' },
      { state: 1, start: 10, end: 30, align: 'center' },
      { state: 2, start: 40, end: 80, align: 'center' },
      { state: 3, start: 80, end: 100, align: 'end' },
    ]);
  });

  it('never overlaps, for any placement of up to 8 states', () => {
    for (let trial = 0; trial < 200; trial++) {
      const n = 2 + (trial % 7);
      const points = [0, ...Array.from({ length: n - 2 }, (_, i) => (i + 1) * 10 + ((trial * 7 + i * 3) % 9)), 100];
      const spans = labelSpans(points, 0, 100);
      spans.forEach((s, k) => {
        expect(s.start).toBeLessThan(s.end);
        expect(s.start).toBeLessThanOrEqual(points[k]!);
        expect(s.end).toBeGreaterThanOrEqual(points[k]!);
        if (k > 0) expect(spans[k - 1]!.end).toBeLessThanOrEqual(s.start);
      });
    }
  });

  it('one state takes the whole row', () => {
    expect(labelSpans([3], 0, 10)).toEqual([{ state: 0, start: 0, end: 10, align: 'center' }]);
  });
});

describe('tileLabelSpans', () => {
  it('measures in half tiles, so each span starts and ends on a whole number', () => {
    // 7 tiles; states on tiles 0, 2 and 6.
    expect(tileLabelSpans([0, 2, 6], 7)).toEqual([
      { state: 0, start: 0, end: 3, align: 'start' },
      { state: 1, start: 3, end: 7, align: 'center' },
      { state: 2, start: 9, end: 14, align: 'end' },
    ]);
    // Neighbouring keyframes get one tile each.
    expect(tileLabelSpans([0, 1, 2, 4], 5)[1]).toEqual({ state: 1, start: 2, end: 4, align: 'center' });
  });
});
