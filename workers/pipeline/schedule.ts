/**
 * FLUX.1-schnell's sampling schedule, as diffusers' FlowMatchEulerDiscreteScheduler builds it for
 * FluxPipeline: float32 throughout, like the reference. Schnell uses a static shift of 1.0 (the
 * identity); a bundle whose scheduler sets `use_dynamic_shifting` gets diffusers' resolution-dependent
 * shift instead (FluxPipeline's calculate_shift → the scheduler's time_shift).
 */
import type { SchedulerConfig } from '../../src/shared/manifest';

export interface Schedule {
  /** sigmas[0..steps-1] and a terminal 0: float32 values. */
  sigmas: Float32Array;
  /** What the pipeline feeds the transformer's `timestep` input: fp32(fp32(sigma·1000)/1000). */
  timestepInputs: Float32Array;
}

/** FluxPipeline's defaults where a scheduler config leaves a dynamic-shift field out (`config.get(name, default)`). */
const DYNAMIC_DEFAULTS = { base_image_seq_len: 256, max_image_seq_len: 4096, base_shift: 0.5, max_shift: 1.15 } as const;

/** FluxPipeline's calculate_shift: mu, linear in the number of image tokens (float64, as in Python). */
export function dynamicShiftMu(imageTokens: number, scheduler: Partial<SchedulerConfig> = {}): number {
  const { base_image_seq_len, max_image_seq_len, base_shift, max_shift } = { ...DYNAMIC_DEFAULTS, ...definedOnly(scheduler) };
  const m = (max_shift - base_shift) / (max_image_seq_len - base_image_seq_len);
  const b = base_shift - m * base_image_seq_len;
  return imageTokens * m + b;
}

const definedOnly = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/**
 * The schedule for `steps` steps. `imageTokens` (S_img = (H/16)·(W/16)) matters only with dynamic
 * shifting. Called with a number as the second argument it is the static shift (tests, older callers).
 */
export function fluxSchedule(steps: number, scheduler: Partial<SchedulerConfig> | number = {}, imageTokens = 0): Schedule {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps must be a positive integer, got ${steps}`);
  const config = typeof scheduler === 'number' ? { shift: scheduler } : scheduler;
  const shift = config.shift ?? 1;
  const numTrainTimesteps = config.num_train_timesteps ?? 1000;
  const f = Math.fround;
  let shiftSigma = (sigma: number) => (shift === 1 ? sigma : f(f(shift * sigma) / f(1 + f((shift - 1) * sigma))));
  if (config.use_dynamic_shifting) {
    if (!(imageTokens > 0)) throw new RangeError('dynamic shifting needs the number of image tokens');
    // The scheduler's time_shift(mu, 1.0, sigmas) on a float32 numpy array: Python floats meet float32
    // arrays as float32 (NumPy 2), so every operation rounds to float32; `** 1.0` is the identity.
    const mu = dynamicShiftMu(imageTokens, config);
    const type = config.time_shift_type ?? 'exponential';
    const lead = f(type === 'exponential' ? Math.exp(mu) : mu);
    shiftSigma = (sigma) => f(lead / f(lead + f(f(1 / sigma) - 1)));
  }
  const sigmas = new Float32Array(steps + 1);
  const timestepInputs = new Float32Array(steps);
  for (let i = 0; i < steps; i++) {
    // np.linspace(1, 1/steps, steps) in float64, then astype(float32).
    const linear = steps === 1 ? 1 : 1 + ((1 / steps - 1) * i) / (steps - 1);
    const sigma = shiftSigma(f(linear));
    sigmas[i] = sigma;
    // timesteps = sigmas * 1000 (float32 tensor); the pipeline passes timestep / 1000 (float32).
    timestepInputs[i] = f(f(sigma * numTrainTimesteps) / numTrainTimesteps);
  }
  sigmas[steps] = 0;
  return { sigmas, timestepInputs };
}

/** One Euler step in place: x ← x + (sigma_next − sigma)·v, float32 like the scheduler. */
export function eulerStep(x: Float32Array, v: Float32Array, sigma: number, sigmaNext: number): void {
  const dt = Math.fround(sigmaNext - sigma);
  for (let i = 0; i < x.length; i++) x[i] = Math.fround(x[i]! + Math.fround(dt * v[i]!));
}
