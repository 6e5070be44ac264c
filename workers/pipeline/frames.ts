/**
 * The frames stage: for every frame to render, the same noise denoised by the transformer with the
 * pooled vector shifted along the direction (pooled + scale·direction), each frame decoded as soon as
 * it is done. On WebGPU the latents stay on the GPU between steps (Euler step and unpacking are small
 * graphs of their own); on wasm they are stepped in JS.
 */
import type { RenderRequest } from '../../src/shared/request';
import { AppError } from '../../src/shared/errors';
import { tensorF32, readF32, gpuTensorF32, type OrtSession, type OrtTensor } from '../runtime/ort';
import { gpuDevice } from '../runtime/gpu-device';
import { fluxSchedule, eulerStep } from './schedule';
import { gaussianNoise } from './rng';
import { latentShape, packLatents, imageIds, textIds, tokenCount } from './latents';
import { eulerGraph, unpackGraph } from './latent-graphs';
import { decodeOnCpu, decodeOnGpu, type GpuUnpack } from './decode';
import type { Job } from './job';

/** What the frames need from the text stage. */
export interface FrameInputs {
  /** T5's hidden states [1, textLength, d_model]. */
  t5: Float32Array;
  textLength: number;
}

/** A frame to render: a number that names it (hooks, progress) and its pooled CLIP vector. */
export interface FrameTask {
  index: number;
  pooled: Float32Array;
}

/**
 * The frames to render, handed out one at a time: a planner may decide the next frames from the images of
 * the ones before (even spacing), while the sessions stay open. `expected` is how many it will hand out at
 * most (for progress).
 */
export interface FrameTasks {
  tasks: Iterable<FrameTask> | AsyncIterable<FrameTask>;
  expected: () => number;
  /** Hand each frame's final latents to onImage too (even spacing measures them; a read back on WebGPU). */
  latents?: boolean;
}

export async function renderFrames(
  job: Job,
  request: RenderRequest,
  text: FrameInputs,
  todo: FrameTasks,
  onImage: (task: FrameTask, image: Float32Array, latents?: Float32Array) => void,
): Promise<void> {
  const { manifest, hooks, cancel } = job;
  const { t5, textLength } = text;
  const shape = latentShape(request.width, request.height, manifest.vae.latent_channels, manifest.vae.spatial_factor);
  const tokens = tokenCount(shape);
  const noise = hooks.noise ?? packLatents(gaussianNoise(request.seed, tokens * 64), shape);
  if (noise.length !== tokens * 64) throw new AppError('Internal', `injected noise has ${noise.length} values, expected ${tokens * 64}`);
  const schedule = fluxSchedule(request.steps, manifest.scheduler, tokens);
  // Latents stay on the GPU between steps on WebGPU; wasm keeps them in JS (there is no copy to save).
  const onGpu = job.bundle.backend === 'webgpu' && hooks.gpuLatents !== false;
  const inputs: Record<'encoder_hidden_states' | 'img_ids' | 'txt_ids', [Float32Array, number[]]> = {
    encoder_hidden_states: [t5, [1, textLength, t5.length / textLength]],
    img_ids: [imageIds(shape), [tokens, 3]],
    txt_ids: [textIds(textLength), [textLength, 3]],
  };
  const timesteps = Array.from(schedule.timestepInputs, (t) => tensorF32(Float32Array.of(t), [1]));
  const dts = Array.from({ length: request.steps }, (_, i) => Math.fround(schedule.sigmas[i + 1]! - schedule.sigmas[i]!));

  await job.stage('denoise', async () => {
    const transformer = await job.session('transformer', onGpu ? { gpuOutputs: ['out'] } : {});
    const decoder = await job.session('decoder').catch(async (e: unknown) => {
      await job.sessions.close('transformer', transformer);
      throw e;
    });
    // GPU tensors made for this job; disposed (their buffers destroyed) when the stage ends.
    const owned: OrtTensor[] = [];

    let gpu: (GpuUnpack & { device: GPUDevice; euler: OrtSession; dt: OrtTensor[] }) | undefined;
    // The latest Euler output on the GPU (ORT's buffer): disposed even when a cancel ends the frame early.
    let stepLatents: OrtTensor | undefined;
    try {
      let fixedFeeds: Record<string, OrtTensor>;
      if (onGpu) {
        const device = await gpuDevice();
        const upload = (data: Float32Array, dims: readonly number[]) => {
          const t = gpuTensorF32(device, data, dims);
          owned.push(t);
          return t;
        };
        fixedFeeds = Object.fromEntries(Object.entries(inputs).map(([name, [data, dims]]) => [name, upload(data, dims)]));
        const { channels, rows, cols } = shape;
        gpu = {
          device,
          euler: await job.sessions.graph(`euler:${tokens}`, () => eulerGraph(tokens), { gpuOutputs: true }),
          unpack: await job.sessions.graph(`unpack:${channels}x${rows}x${cols}`, () => unpackGraph(channels, rows, cols), {
            gpuOutputs: true,
          }),
          dt: dts.map((dt) => tensorF32(Float32Array.of(dt), [1])),
          vae: {
            scaling: tensorF32(Float32Array.of(manifest.vae.scaling_factor), [1]),
            shift: tensorF32(Float32Array.of(manifest.vae.shift_factor), [1]),
          },
        };
      } else fixedFeeds = Object.fromEntries(Object.entries(inputs).map(([name, [data, dims]]) => [name, tensorF32(data, dims)]));
      const sync = hooks.syncGpu ? gpu?.device : undefined;
      const noiseFeed = onGpu ? (owned.push(gpuTensorF32(gpu!.device, noise, [1, tokens, 64])), owned.at(-1)!) : undefined;

      await job.timed('frames', async () => {
        let k = 0;
        for await (const task of todo.tasks) {
          const pooledFeed = tensorF32(task.pooled, [1, task.pooled.length]);
          const frames = todo.expected();
          // wasm: x is updated in place; WebGPU: x is a GPU tensor, replaced by each Euler step's output.
          let x: Float32Array | undefined;
          let xGpu: OrtTensor | undefined = noiseFeed;
          if (!gpu) x = Float32Array.from(noise);
          for (let step = 0; step < request.steps; step++) {
            cancel.check();
            job.emit({
              type: 'progress',
              stage: 'denoise',
              done: k * request.steps + step,
              total: frames * request.steps,
              frame: k,
              frames,
              step,
              steps: request.steps,
            });
            const feeds = {
              ...fixedFeeds,
              hidden_states: xGpu ?? tensorF32(x!, [1, tokens, 64]),
              pooled_projections: pooledFeed,
              timestep: timesteps[step]!,
            };
            if (gpu) {
              const { out: v } = await job.timed('transformer', () => job.runTimed('transformer', transformer, feeds, ['out'], sync));
              let next: OrtTensor;
              try {
                ({ x_next: next } = (await job.timed('euler', () =>
                  job.runTimed('euler', gpu!.euler, { x: xGpu!, v: v!, dt: gpu!.dt[step]! }, ['x_next'], sync),
                )) as { x_next: OrtTensor });
              } finally {
                v!.dispose();
              }
              stepLatents?.dispose();
              xGpu = stepLatents = next;
              // Read back only when a hook asks for each step's latents (parity tests).
              if (hooks.onStep) hooks.onStep(task.index, step, Float32Array.from(await job.timed('readback', () => readF32(xGpu!))));
            } else {
              const [v] = await job.timed('transformer', () => job.run('transformer', transformer, feeds, ['out']));
              eulerStep(x!, v!, schedule.sigmas[step]!, schedule.sigmas[step + 1]!);
              hooks.onStep?.(task.index, step, Float32Array.from(x!));
            }
          }
          cancel.check();
          let latents: Float32Array | undefined;
          if (todo.latents) latents = gpu ? Float32Array.from(await job.timed('readback', () => readF32(xGpu!))) : Float32Array.from(x!);
          let image: Float32Array;
          if (gpu) {
            image = await decodeOnGpu(job, decoder, gpu, xGpu!, sync);
            stepLatents?.dispose();
            stepLatents = undefined;
          } else image = await decodeOnCpu(job, decoder, x!, shape);
          onImage(task, image, latents);
          k++;
        }
      });
    } finally {
      stepLatents?.dispose();
      for (const t of owned) t.dispose();
      await Promise.all([
        job.sessions.close('transformer', transformer),
        job.sessions.close('decoder', decoder),
        ...(gpu ? [job.sessions.closeGraph(gpu.euler), job.sessions.closeGraph(gpu.unpack)] : []),
      ]);
    }
    const total = todo.expected() * request.steps;
    job.emit({ type: 'progress', stage: 'denoise', done: total, total });
  });
}
