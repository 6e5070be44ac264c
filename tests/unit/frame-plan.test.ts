import { describe, expect, it } from 'vitest';
import { planFrames, progressiveOrder } from '../../workers/pipeline/frame-plan';

describe('frame plan', () => {
  it('gives the Space scales: -s + 2 s i/(n-1), 0 in the middle', () => {
    expect(planFrames(2, 5).map((p) => p.scale)).toEqual([-2, -1, 0, 1, 2]);
    const plan = planFrames(1.75, 7);
    plan.forEach((p, i) => expect(p.scale).toBeCloseTo(-1.75 + (2 * 1.75 * i) / 6, 12));
    expect(plan[3]!.scale).toBe(0);
  });
  it('nests: every frame of 7 is bit-identical to a frame of 13 and 25', () => {
    const seven = planFrames(2.3, 7);
    const thirteen = planFrames(2.3, 13);
    const twentyFive = planFrames(2.3, 25);
    for (const p of seven) {
      expect(thirteen[p.index * 2]!.scale).toBe(p.scale);
      expect(twentyFive[p.index * 4]!.scale).toBe(p.scale);
      expect([thirteen[p.index * 2]!.num, thirteen[p.index * 2]!.den]).toEqual([p.num, p.den]);
    }
  });
  it('orders coarse to fine: ends and middle first, each index once', () => {
    expect(progressiveOrder(7)).toEqual([0, 6, 3, 1, 4, 2, 5]);
    expect(progressiveOrder(3)).toEqual([0, 2, 1]);
    for (const n of [3, 5, 9, 13, 65]) {
      const order = progressiveOrder(n);
      expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(order.slice(0, 3)).toEqual([0, n - 1, (n - 1) / 2]);
    }
  });
});
