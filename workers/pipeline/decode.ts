/**
 * The decode stage of one frame: final packed latents -> VAE latents (unpacked, / scaling + shift) ->
 * the decoder's image [1, 3, H, W] in [-1, 1]. On WebGPU the unpacking runs as a small graph on the GPU
 * (the latents never leave it); on wasm it runs in JS.
 */
import type { OrtSession, OrtTensor } from '../runtime/ort';
import { tensorF32 } from '../runtime/ort';
import { unpackLatents, toDecoderInput, type LatentShape } from './latents';
import type { Job } from './job';

/** The GPU's unpack graph and the VAE constants it is fed. */
export interface GpuUnpack {
  unpack: OrtSession;
  vae: Record<'scaling' | 'shift', OrtTensor>;
}

export async function decodeOnGpu(job: Job, decoder: OrtSession, gpu: GpuUnpack, x: OrtTensor, sync?: GPUDevice): Promise<Float32Array> {
  const { latents } = await job.timed('unpack', () => job.runTimed('unpack', gpu.unpack, { x, ...gpu.vae }, ['latents'], sync));
  try {
    return (await job.timed('decode', () => job.run('decoder', decoder, { latents: latents! }, ['image'])))[0]!;
  } finally {
    latents!.dispose();
  }
}

export async function decodeOnCpu(job: Job, decoder: OrtSession, x: Float32Array, shape: LatentShape): Promise<Float32Array> {
  const { vae } = job.manifest;
  const latents = toDecoderInput(unpackLatents(x, shape), vae.scaling_factor, vae.shift_factor);
  const feed = tensorF32(latents, [1, shape.channels, shape.rows, shape.cols]);
  return (await job.timed('decode', () => job.run('decoder', decoder, { latents: feed }, ['image'])))[0]!;
}
