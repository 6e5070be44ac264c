/**
 * Orchestrates one Time Stream job on a loaded bundle, in named stages: encode (tokenizers, T5 once),
 * direction (CLIP: the prompt's pooled vector and one direction per segment of the timeline, plus the
 * second axis's, batched and cached), plan (where each frame sits on the walk and the grid), then frames
 * (same noise, each frame's shifted pooled vector), decoding each frame as soon as it is done (decode).
 * Even spacing plans in passes: the uniform walk, then frames placed from what it measured.
 * Stages run one after another and each session is released before the next large one is created,
 * so the peak is the largest stage, not the sum. Frames already rendered come from the frame cache.
 */
import type { EventSink, FramePlace, WalkLayout } from '../../src/shared/events';
import type { RenderRequest } from '../../src/shared/request';
import { loadOrt } from '../runtime/ort';
import { Job, type CancelFlag, type LoadedBundle, type PipelineHooks } from './job';
import { tokenize, encodeT5, type EncodedText } from './encode';
import { encodePooledAndDirections } from './direction';
import { renderFrames, type FrameTask } from './frames';
import { decoderOutputToRgba } from './image';
import { progressiveOrder } from './frame-plan';
import { FrameCache, walkFrameKey } from './frame-cache';
import {
  uniformColumns,
  gridFrames,
  framePlace,
  stateColumns,
  walkConditioning,
  framePooled,
  directionLengths,
  type WalkColumn,
  type WalkFrame,
} from './walk-plan';
import { evenSpacing } from './even-walk';

export { CancelFlag, type LoadedBundle, type PipelineHooks } from './job';

export interface OutputFrame {
  index: number;
  scale: number;
  cached: boolean;
  rgba: Uint8ClampedArray<ArrayBuffer>;
  place: FramePlace;
}

export interface JobOutput {
  /** In frame order (row-major over the grid). */
  frames: OutputFrame[];
  layout: WalkLayout;
  timings: Record<string, number>;
}

const frameCache = new FrameCache();

/** A walk with no keyframes, no second axis and uniform spacing: planned without the encoders. */
function isPlainWalk(request: RenderRequest): boolean {
  return !request.waypoints?.length && !request.axis2 && request.spacing !== 'even';
}

/** What the stages of one job share: its frames as they arrive, the cache and the events. */
export class WalkRender {
  readonly frames: OutputFrame[] = [];
  readonly useCache: boolean;

  constructor(
    readonly job: Job,
    readonly request: RenderRequest,
  ) {
    const { hooks } = job;
    // Frames already rendered with the same inputs come from the cache (never when tensors are injected).
    this.useCache = hooks.frameCache !== false && !hooks.noise && !hooks.direction && !hooks.pairs;
  }

  key(frame: Pick<WalkFrame, 'column' | 'scale2'>): string {
    const { bundle } = this.job;
    return walkFrameKey(
      { bundleVersion: bundle.manifest.version, backend: bundle.backend, request: this.request, scale: frame.column.scale },
      frame,
    );
  }

  cached(frame: Pick<WalkFrame, 'column' | 'scale2'>): Uint8ClampedArray<ArrayBuffer> | undefined {
    return this.useCache ? frameCache.get(this.key(frame)) : undefined;
  }

  remember(frame: Pick<WalkFrame, 'column' | 'scale2'>, rgba: Uint8ClampedArray<ArrayBuffer>): void {
    if (this.useCache) frameCache.set(this.key(frame), rgba);
  }

  layout(columns: readonly WalkColumn[], extra: Pick<WalkLayout, 'evenness'> = {}): WalkLayout {
    const rows = this.request.axis2?.frames ?? 1;
    return { columns: columns.length, rows, stateColumns: stateColumns(columns), spacing: this.request.spacing ?? 'uniform', ...extra };
  }

  /** A finished frame: kept for the output and sent to the page (a copy: the original stays here). */
  deliver(frame: WalkFrame, columns: number, rgba: Uint8ClampedArray<ArrayBuffer>, cached: boolean): void {
    const { request } = this;
    const place = framePlace(frame, columns);
    const count = columns * (request.axis2?.frames ?? 1);
    this.frames[frame.index] = { index: frame.index, scale: frame.column.scale, cached, rgba, place };
    this.job.emit({
      type: 'frame',
      index: frame.index,
      count,
      scale: frame.column.scale,
      width: request.width,
      height: request.height,
      rgba: rgba.slice(),
      place,
    });
  }

  toRgba(image: Float32Array): Uint8ClampedArray<ArrayBuffer> {
    return decoderOutputToRgba(image, this.request.width, this.request.height);
  }
}

/** Coarse to fine along the walk (the ends and the middle first), each column's rows coarse to fine too. */
function renderOrder(frames: readonly WalkFrame[], columns: number): WalkFrame[] {
  const rows = frames.length / columns;
  const rowOrder = progressiveOrder(rows);
  return progressiveOrder(columns).flatMap((c) => rowOrder.map((r) => frames[r * columns + c]!));
}

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
  const walk = new WalkRender(job, request);

  // plan (plain walks): the columns need no encoder, so a walk whose frames are all cached loads nothing.
  let planned: { columns: WalkColumn[]; todo: WalkFrame[] } | undefined;
  if (isPlainWalk(request)) {
    planned = layOut(walk, uniformColumns(request.strength, request.frames, [1]));
    if (planned.todo.length === 0) return finish(walk, job, planned.columns);
  }

  // encode: a plain walk runs T5 first, as it always has. Other walks are planned from CLIP first and run T5
  // only when a frame is left to render (a walk whose frames are all cached never loads T5).
  emit({ type: 'stage', stage: 'text' });
  const tokens = await tokenize(job, request);
  let encoded: Promise<EncodedText> | undefined;
  const text = () => {
    if (!encoded) {
      if (!planned) emit({ type: 'stage', stage: 'text' });
      encoded = encodeT5(job, tokens);
    }
    return encoded;
  };
  if (planned) await text();
  cancel.check();
  // direction
  const { pooled, directions, direction2 } = await encodePooledAndDirections(job, request, tokens.tokenizers.clip, tokens.clipIds);
  if (hooks.onEncoded) {
    const { t5 } = await text();
    hooks.onEncoded({ clipIds: tokens.clipIds, t5Ids: tokens.t5Ids, pooled, t5, direction: directions[0]! });
  }
  cancel.check();
  const conditioning = walkConditioning({
    pooled,
    directions,
    ...(direction2 ? { direction2 } : {}),
    strength: request.strength,
    normalize: request.axis2?.normalize ?? false,
  });
  const pooledOf = (frame: WalkFrame) => framePooled(conditioning, frame);

  if (request.spacing === 'even') {
    const { columns, evenness } = await evenSpacing(walk, text, directionLengths(directions), pooledOf);
    return finish(walk, job, columns, { evenness });
  }

  // plan (keyframes, second axis): frames per segment follow how far apart the states are.
  planned ??= layOut(walk, uniformColumns(request.strength, request.frames, directionLengths(directions)));
  const { columns, todo } = planned;
  if (todo.length > 0) await renderWalkFrames(walk, await text(), todo, pooledOf, columns.length);
  return finish(walk, job, columns);
}

/** Sends the layout and the cached frames; returns the frames still to render, coarse to fine. */
function layOut(walk: WalkRender, columns: WalkColumn[]): { columns: WalkColumn[]; todo: WalkFrame[] } {
  walk.job.emit({ type: 'walk', ...walk.layout(columns) });
  const todo: WalkFrame[] = [];
  for (const frame of renderOrder(gridFrames(walk.request, columns), columns.length)) {
    const cached = walk.cached(frame);
    if (cached) walk.deliver(frame, columns.length, cached, true);
    else todo.push(frame);
  }
  return { columns, todo };
}

/** frames + decode: renders the frames in order, each delivered (and cached) as soon as it is decoded. */
async function renderWalkFrames(
  walk: WalkRender,
  text: EncodedText,
  todo: readonly WalkFrame[],
  pooledOf: (frame: WalkFrame) => Float32Array,
  columns: number,
): Promise<void> {
  const { job, request } = walk;
  job.emit({ type: 'stage', stage: 'denoise' });
  const tasks: FrameTask[] = todo.map((frame) => ({ index: frame.index, pooled: pooledOf(frame) }));
  const byIndex = new Map(todo.map((frame) => [frame.index, frame]));
  await renderFrames(
    job,
    request,
    { t5: text.t5, textLength: text.t5Ids.length },
    { tasks, expected: () => tasks.length },
    (task, image) => {
      job.hooks.onDecoded?.(task.index, image);
      const frame = byIndex.get(task.index)!;
      const rgba = walk.toRgba(image);
      walk.remember(frame, rgba);
      walk.deliver(frame, columns, rgba, false);
    },
  );
}

function finish(walk: WalkRender, job: Job, columns: readonly WalkColumn[], extra: Pick<WalkLayout, 'evenness'> = {}): JobOutput {
  job.emit({ type: 'stage', stage: 'done' });
  return { frames: walk.frames, layout: walk.layout(columns, extra), timings: job.timings };
}
