/**
 * The direction stage (CLIP): the prompt's pooled vector, and the direction in pooled CLIP space
 * between the two states: mean over template rounds of pooled(pos) − pooled(neg), batched and cached.
 */
import { timelineStates, type RenderRequest } from '../../src/shared/request';
import { tensorI64 } from '../runtime/ort';
import type { FixedLengthTokenizer } from '../runtime/tokenizers';
import { drawTemplatePairs, directionPrompts, DirectionMean } from './slider';
import type { Job } from './job';

const DIRECTION_BATCH = 32;
const directionCache = new Map<string, Float32Array>();

export interface PooledText {
  pooled: Float32Array;
  /** One direction per segment of the timeline (from each state to the next). */
  directions: Float32Array[];
  /** The second axis's direction, when the request has one. */
  direction2?: Float32Array;
}

/** The pairs of states whose directions a request needs: each segment's, then the second axis's. */
function directionPairs(request: RenderRequest): [from: string, to: string][] {
  const states = timelineStates(request);
  const pairs = states.slice(1).map((to, k): [string, string] => [states[k]!, to]);
  if (request.axis2) pairs.push([request.axis2.state1, request.axis2.state2]);
  return pairs;
}

export async function encodePooledAndDirections(
  job: Job,
  request: RenderRequest,
  tokenizer: FixedLengthTokenizer,
  clipIds: BigInt64Array,
): Promise<PooledText> {
  return job.stage('clip', () =>
    job.withSession('clip', async (clip) => {
      const encodePooled = async (ids: BigInt64Array, rows: number) =>
        (await job.run('clip', clip, { input_ids: tensorI64(ids, [rows, ids.length / rows]) }, ['pooled']))[0]!;
      const pooled = await job.timed('clip', () => encodePooled(clipIds, 1));
      job.emit({ type: 'stage', stage: 'direction' });
      const pairs = directionPairs(request);
      const found: Float32Array[] = [];
      // An injected direction (parity tests) stands for the one segment of a two-state walk.
      if (job.hooks.direction && pairs.length === 1) found.push(job.hooks.direction);
      else {
        const progress = { done: 0, total: pairs.length * Math.max(1, request.iterations) };
        for (const [from, to] of pairs)
          found.push(await job.timed('direction', () => findDirection(job, request, from, to, tokenizer, encodePooled, progress)));
      }
      const segments = pairs.length - (request.axis2 ? 1 : 0);
      return { pooled, directions: found.slice(0, segments), ...(request.axis2 ? { direction2: found[segments]! } : {}) };
    }),
  );
}

type EncodePooled = (ids: BigInt64Array, rows: number) => Promise<Float32Array>;

/** The direction from `from` to `to` (the Space's opposite and target): mean of pooled(pos) − pooled(neg). */
async function findDirection(
  job: Job,
  request: RenderRequest,
  from: string,
  to: string,
  tokenizer: FixedLengthTokenizer,
  encodePooled: EncodePooled,
  progress: { done: number; total: number },
): Promise<Float32Array> {
  const { hooks } = job;
  const injectedPairs = hooks.pairs;
  const batch = hooks.directionBatch ?? DIRECTION_BATCH;
  const key = JSON.stringify([
    job.manifest.version,
    from,
    to,
    request.iterations,
    request.seed,
    injectedPairs ?? null,
  ]);
  const cached = hooks.directionBatch === undefined && hooks.directionCompact === undefined ? directionCache.get(key) : undefined;
  const before = progress.done;
  if (cached) {
    progress.done += Math.max(1, request.iterations);
    return cached;
  }
  // The Space's target is the 2nd state and its opposite the 1st.
  const pairs = injectedPairs ?? drawTemplatePairs(request.seed, request.iterations);
  const { positive, negative } = directionPrompts(to, from, pairs);
  let mean: DirectionMean | undefined;
  const rounds = Math.max(1, Math.floor(batch / 2));
  for (let start = 0; start < positive.length; start += rounds) {
    job.cancel.check();
    const end = Math.min(positive.length, start + rounds);
    const rows = end - start;
    // The positive and negative prompts of these rounds go through CLIP together (or one by one).
    const prompts = [...positive.slice(start, end), ...negative.slice(start, end)];
    const parts: Float32Array[] = [];
    for (let p = 0; p < prompts.length; p += batch) {
      const slice = prompts.slice(p, p + batch);
      const ids = hooks.directionCompact === false ? tokenizer.encode(slice) : tokenizer.encodeCompact(slice).ids;
      parts.push(await encodePooled(ids, slice.length));
    }
    const pooled = parts.length === 1 ? parts[0]! : concat(parts);
    const dim = pooled.length / (2 * rows);
    mean ??= new DirectionMean(dim);
    mean.add(pooled.subarray(0, rows * dim), pooled.subarray(rows * dim));
    job.emit({ type: 'progress', stage: 'direction', done: before + end, total: progress.total });
  }
  progress.done = before + Math.max(1, request.iterations);
  const direction = mean!.result();
  directionCache.set(key, direction);
  if (directionCache.size > 32) directionCache.delete(directionCache.keys().next().value!);
  return direction;
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
