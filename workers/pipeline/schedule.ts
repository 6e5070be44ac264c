/**
 * FLUX.1-schnell's sampling schedule, as diffusers' FlowMatchEulerDiscreteScheduler builds it for
 * FluxPipeline (shift 1.0, no dynamic shifting): float32 throughout, like the reference.
 */
export interface Schedule {
  /** sigmas[0..steps-1] and a terminal 0: float32 values. */
  sigmas: Float32Array;
  /** What the pipeline feeds the transformer's `timestep` input: fp32(fp32(sigma·1000)/1000). */
  timestepInputs: Float32Array;
}

export function fluxSchedule(steps: number, shift = 1.0, numTrainTimesteps = 1000): Schedule {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps must be a positive integer, got ${steps}`);
  const f = Math.fround;
  const sigmas = new Float32Array(steps + 1);
  const timestepInputs = new Float32Array(steps);
  for (let i = 0; i < steps; i++) {
    // np.linspace(1, 1/steps, steps) in float64, then astype(float32).
    const linear = steps === 1 ? 1 : 1 + ((1 / steps - 1) * i) / (steps - 1);
    let sigma = f(linear);
    // Static shift (identity for schnell's 1.0), computed in float32 like numpy on a float32 array.
    if (shift !== 1) sigma = f(f(shift * sigma) / f(1 + f((shift - 1) * sigma)));
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
