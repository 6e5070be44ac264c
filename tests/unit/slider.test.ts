import { describe, expect, it } from 'vitest';
import { MEDIUMS, SUBJECTS, drawTemplatePairs, directionPrompts, DirectionMean, shiftPooled } from '../../workers/pipeline/slider';

describe('CLIP slider', () => {
  it('has the original lists', () => {
    expect(MEDIUMS).toHaveLength(19);
    expect(SUBJECTS).toHaveLength(71);
    expect(SUBJECTS[62]).toBe('musical instrument');
  });
  it('draws the same pairs for the same seed', () => {
    expect(drawTemplatePairs(5, 10)).toEqual(drawTemplatePairs(5, 10));
    expect(drawTemplatePairs(5, 10)).not.toEqual(drawTemplatePairs(6, 10));
    expect(drawTemplatePairs(5, 4)).toEqual(drawTemplatePairs(5, 10).slice(0, 4));
  });
  it('writes the templates like the Space (target = 2nd state)', () => {
    const { positive, negative } = directionPrompts('summer', 'winter', [[2, 0]]);
    expect(positive).toEqual(['a photograph of a summer dog']);
    expect(negative).toEqual(['a photograph of a winter dog']);
  });
  it('defines 0 iterations as the bare words', () => {
    expect(directionPrompts('summer', 'winter', [])).toEqual({ positive: ['summer'], negative: ['winter'] });
  });
  it('averages differences independently of batching', () => {
    const one = new DirectionMean(2);
    one.add(new Float32Array([1, 2, 3, 4]), new Float32Array([0, 0, 1, 1]));
    const two = new DirectionMean(2);
    two.add(new Float32Array([1, 2]), new Float32Array([0, 0]));
    two.add(new Float32Array([3, 4]), new Float32Array([1, 1]));
    expect(Array.from(one.result())).toEqual([1.5, 2.5]);
    expect(two.result()).toEqual(one.result());
  });
  it('shifts pooled by scale x direction', () => {
    expect(Array.from(shiftPooled(new Float32Array([1, 1]), new Float32Array([2, -1]), 0.5))).toEqual([2, 0.5]);
  });
});
