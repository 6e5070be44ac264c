import { describe, expect, it } from 'vitest';
import { fluxSchedule, eulerStep, dynamicShiftMu } from '../../workers/pipeline/schedule';
import type { SchedulerConfig } from '../../src/shared/manifest';
import diffusersSchedules from '../fixtures/schedule/diffusers-schedules.json';

describe('fluxSchedule (schnell: shift 1, no dynamic shifting)', () => {
  it('matches FlowMatchEulerDiscreteScheduler for 1..4 steps', () => {
    expect(Array.from(fluxSchedule(1).sigmas)).toEqual([1, 0]);
    expect(Array.from(fluxSchedule(2).sigmas)).toEqual([1, 0.5, 0]);
    expect(Array.from(fluxSchedule(3).sigmas)).toEqual([1, Math.fround(2 / 3), Math.fround(1 / 3), 0]);
    expect(Array.from(fluxSchedule(4).sigmas)).toEqual([1, 0.75, 0.5, 0.25, 0]);
  });
  it('feeds the transformer fp32(fp32(sigma*1000)/1000)', () => {
    const { timestepInputs, sigmas } = fluxSchedule(3);
    const f = Math.fround;
    expect(timestepInputs[1]).toBe(f(f(sigmas[1]! * 1000) / 1000));
    expect(timestepInputs[0]).toBe(1);
  });
  it('rejects a non-positive step count', () => {
    expect(() => fluxSchedule(0)).toThrow(RangeError);
  });
  it('applies a static shift like the scheduler when shift != 1', () => {
    const s = fluxSchedule(2, 3).sigmas;
    expect(s[1]).toBeCloseTo((3 * 0.5) / (1 + 2 * 0.5), 6);
  });
  it('eulerStep moves x by (sigma_next - sigma) * v', () => {
    const x = new Float32Array([1, 2]);
    eulerStep(x, new Float32Array([0.5, -1]), 1, 0.5);
    expect(Array.from(x)).toEqual([0.75, 2.5]);
  });
});

// Made by diffusers' own scheduler and FluxPipeline's calculate_shift (tests/fixtures/schedule/make_schedules.py).
describe('fluxSchedule against diffusers (dynamic shifting, static shift)', () => {
  const cases = diffusersSchedules as {
    config: SchedulerConfig;
    tokens: number;
    steps: number;
    mu: number;
    sigmas: number[];
    timestep_inputs: number[];
  }[];
  it.each(cases.map((c) => [`${JSON.stringify(c.config)} tokens ${c.tokens} steps ${c.steps}`, c] as const))('%s', (_, c) => {
    const schedule = fluxSchedule(c.steps, c.config, c.tokens);
    expect(Array.from(schedule.sigmas)).toEqual(c.sigmas);
    expect(Array.from(schedule.timestepInputs)).toEqual(c.timestep_inputs);
    if (c.config.use_dynamic_shifting) expect(dynamicShiftMu(c.tokens, c.config)).toBeCloseTo(c.mu, 12);
  });
  it('refuses dynamic shifting without the image size', () => {
    expect(() => fluxSchedule(2, { shift: 1, num_train_timesteps: 1000, use_dynamic_shifting: true })).toThrow(RangeError);
  });
});
