/**
 * Orchestrates one Time Stream job on a loaded bundle, in named stages: encode (tokenizers, T5 once),
 * direction (CLIP: the pooled prompt and the direction between the states, batched and cached), then
 * frames (same noise, pooled + scale·direction), decoding each frame as soon as it is done (decode).
 * Stages run one after another and each session is released before the next large one is created,
 * so the peak is the largest stage, not the sum. Frames already rendered come from the frame cache.
 */
import type { EventSink } from '../../src/shared/events';
import type { RenderRequest } from '../../src/shared/request';
import { loadOrt } from '../runtime/ort';
import { Job, type CancelFlag, type LoadedBundle, type PipelineHooks } from './job';
import { encodeText } from './encode';
import { encodePooledAndDirection } from './direction';
import { renderFrames, type FrameTask } from './frames';
import { decoderOutputToRgba } from './image';
import { planFrames, progressiveOrder } from './frame-plan';
import { FrameCache, frameKey } from './frame-cache';

export { CancelFlag, type LoadedBundle, type PipelineHooks } from './job';

export interface JobOutput {
  /** In frame order. */
  frames: { index: number; scale: number; cached: boolean; rgba: Uint8ClampedArray<ArrayBuffer> }[];
  timings: Record<string, number>;
}

const frameCache = new FrameCache();

export async function runJob(
  bundle: LoadedBundle,
  request: RenderRequest,
  emit: EventSink,
  cancel: CancelFlag,
  hooks: PipelineHooks = {},
): Promise<JobOutput> {
  // The synchronous tensor helpers need onnxruntime-web loaded (it loads on first use).
  await loadOrt();
  const job = new Job(bundle, emit, cancel, hooks);
  // Frames already rendered with the same inputs come from the cache (never when tensors are injected).
  const plan = planFrames(request.strength, request.frames);
  const useCache = hooks.frameCache !== false && !hooks.noise && !hooks.direction && !hooks.pairs;
  const keyOf = (scale: number) => frameKey({ bundleVersion: bundle.manifest.version, backend: bundle.backend, request, scale });
  const frames: JobOutput['frames'] = [];
  const todo: FrameTask[] = [];
  for (const index of progressiveOrder(plan.length)) {
    const { scale } = plan[index]!;
    const cached = useCache ? frameCache.get(keyOf(scale)) : undefined;
    if (cached) {
      frames[index] = { index, scale, cached: true, rgba: cached };
      emit({ type: 'frame', index, count: plan.length, scale, width: request.width, height: request.height, rgba: cached.slice() });
    } else todo.push({ index, scale });
  }
  if (todo.length === 0) {
    emit({ type: 'stage', stage: 'done' });
    return { frames, timings: job.timings };
  }

  emit({ type: 'stage', stage: 'text' });
  const text = await encodeText(job, request);
  cancel.check();
  const { pooled, direction } = await encodePooledAndDirection(job, request, text.tokenizers.clip, text.clipIds);
  hooks.onEncoded?.({ clipIds: text.clipIds, t5Ids: text.t5Ids, pooled, t5: text.t5, direction });
  cancel.check();

  emit({ type: 'stage', stage: 'denoise' });
  await renderFrames(job, request, { t5: text.t5, textLength: text.t5Ids.length, pooled, direction }, todo, ({ index, scale }, image) => {
    hooks.onDecoded?.(index, image);
    const rgba = decoderOutputToRgba(image, request.width, request.height);
    frames[index] = { index, scale, cached: false, rgba };
    if (useCache) frameCache.set(keyOf(scale), rgba);
    emit({ type: 'frame', index, count: plan.length, scale, width: request.width, height: request.height, rgba: rgba.slice() });
  });
  emit({ type: 'stage', stage: 'done' });
  return { frames, timings: job.timings };
}
