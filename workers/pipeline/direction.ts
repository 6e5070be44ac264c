/**
 * The direction stage (CLIP): the prompt's pooled vector, and the direction in pooled CLIP space
 * between the two states: mean over template rounds of pooled(pos) − pooled(neg), batched and cached.
 */
import type { RenderRequest } from '../../src/shared/request';
import { tensorI64 } from '../runtime/ort';
import type { FixedLengthTokenizer } from '../runtime/tokenizers';
import { drawTemplatePairs, directionPrompts, DirectionMean } from './slider';
import type { Job } from './job';

const DIRECTION_BATCH = 32;
const directionCache = new Map<string, Float32Array>();

export interface PooledText {
  pooled: Float32Array;
  direction: Float32Array;
}

export async function encodePooledAndDirection(
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
      const direction = job.hooks.direction ?? (await job.timed('direction', () => findDirection(job, request, tokenizer, encodePooled)));
      return { pooled, direction };
    }),
  );
}

type EncodePooled = (ids: BigInt64Array, rows: number) => Promise<Float32Array>;

async function findDirection(
  job: Job,
  request: RenderRequest,
  tokenizer: FixedLengthTokenizer,
  encodePooled: EncodePooled,
): Promise<Float32Array> {
  const { hooks } = job;
  const injectedPairs = hooks.pairs;
  const batch = hooks.directionBatch ?? DIRECTION_BATCH;
  const key = JSON.stringify([
    job.manifest.version,
    request.state1,
    request.state2,
    request.iterations,
    request.seed,
    injectedPairs ?? null,
  ]);
  const cached = hooks.directionBatch === undefined && hooks.directionCompact === undefined ? directionCache.get(key) : undefined;
  if (cached) return cached;
  // The Space's target is the 2nd state and its opposite the 1st.
  const pairs = injectedPairs ?? drawTemplatePairs(request.seed, request.iterations);
  const { positive, negative } = directionPrompts(request.state2, request.state1, pairs);
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
    job.emit({ type: 'progress', stage: 'direction', done: end, total: positive.length });
  }
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
