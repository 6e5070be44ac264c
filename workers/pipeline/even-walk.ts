/**
 * The even-spacing stage: renders the uniform walk (a coarse pass that is also the baseline, shown as a
 * preview while it renders), measures how much neighbouring frames differ, places the frames at even steps
 * of that change, renders the new places, and refines once more from everything rendered. The placement with the most even neighbours wins (the
 * uniform walk included, so even spacing is never less even than uniform). The transformer and decoder stay
 * open across the passes; every frame rendered is reused (by the job, and by later jobs through the cache).
 */
import type { Evenness } from '../../src/shared/events';
import { timelineStates } from '../../src/shared/request';
import type { EncodedText } from './encode';
import { renderFrames, type FrameTask } from './frames';
import { progressiveOrder } from './frame-plan';
import { uniformColumns, columnsFromSteps, type WalkColumn, type WalkFrame } from './walk-plan';
import { pixelDistance, latentDistance, coefficientOfVariation, placeEvenly, type SegmentSample } from './spacing';
import type { WalkRender } from './run';

/** Placement passes after the uniform one. */
const EVEN_PASSES = 2;
/** Places per uniform step a frame may be put at (fractions with this many times the uniform denominator). */
const PLACES_PER_STEP = 64;

interface Seen {
  column: WalkColumn;
  rgba: Uint8ClampedArray<ArrayBuffer>;
  cached: boolean;
  /** The final latents, for frames rendered by this job (the cache keeps pixels only). */
  latents?: Float32Array;
}

const placeKey = (c: WalkColumn) => `${c.segment}:${c.num}/${c.den}`;
const onWalk = (column: WalkColumn): WalkFrame => ({ index: 0, column, row: 0, scale2: 0 });

export async function evenSpacing(
  walk: WalkRender,
  text: () => Promise<EncodedText>,
  lengths: readonly number[],
  pooledOf: (frame: WalkFrame) => Float32Array,
): Promise<{ columns: WalkColumn[]; evenness: Evenness }> {
  const { job, request } = walk;
  const { strength, frames } = request;
  const uniform = uniformColumns(strength, frames, lengths);
  const grids = lengths.map((_, k) => PLACES_PER_STEP * uniform.filter((c, i) => i > 0 && c.segment === k).length);
  const seen = new Map<string, Seen>();
  const pending = new Map<number, WalkColumn>();
  // The uniform pass is shown as it comes (a preview the placed frames then replace, index by index).
  const preview = new Map(uniform.map((column, index) => [placeKey(column), index]));
  const show = (column: WalkColumn, rgba: Uint8ClampedArray<ArrayBuffer>, cached: boolean) => {
    const index = preview.get(placeKey(column));
    if (index !== undefined) walk.deliver({ index, column, row: 0, scale2: 0 }, uniform.length, rgba, cached);
  };
  job.emit({ type: 'walk', ...walk.layout(uniform) });
  let renders = 0;
  let passesLeft = EVEN_PASSES;
  let inPass = 0;

  /** The columns not rendered yet (cached ones are taken from the cache on the way). */
  const missing = (columns: readonly WalkColumn[]) =>
    columns.filter((column) => {
      if (seen.has(placeKey(column))) return false;
      const cached = walk.cached(onWalk(column));
      if (cached) {
        seen.set(placeKey(column), { column, rgba: cached, cached: true });
        if (columns === uniform) show(column, cached, true);
      }
      return !cached;
    });
  const cvOf = (columns: readonly WalkColumn[]) => {
    const rgba = columns.map((c) => seen.get(placeKey(c))!.rgba);
    return coefficientOfVariation(rgba.slice(1).map((b, i) => pixelDistance(rgba[i]!, b)));
  };
  /** The same in latent space, when every frame was rendered by this job. */
  const latentCvOf = (columns: readonly WalkColumn[]) => {
    const latents = columns.map((c) => seen.get(placeKey(c))!.latents);
    if (latents.some((l) => !l)) return undefined;
    return coefficientOfVariation(latents.slice(1).map((b, i) => latentDistance(latents[i]!, b!)));
  };
  const task = (column: WalkColumn): FrameTask => {
    const index = renders++;
    pending.set(index, column);
    return { index, pooled: pooledOf(onWalk(column)) };
  };

  let best = { columns: uniform, cv: Infinity };
  let uniformCv = 0;
  let uniformMeasured = false;
  async function* passes(): AsyncGenerator<FrameTask> {
    let columns = uniform;
    for (;;) {
      // The uniform pass coarse to fine, as a plain walk renders (its preview fills in the same way).
      const todo = missing(columns === uniform ? progressiveOrder(columns.length).map((i) => columns[i]!) : columns);
      inPass = todo.length;
      for (const column of todo) {
        yield task(column);
        inPass--;
      }
      const cv = cvOf(columns);
      if (columns === uniform) {
        uniformCv = cv;
        uniformMeasured = true;
      }
      if (cv < best.cv) best = { columns, cv };
      if (passesLeft-- === 0) return;
      columns = placed();
    }
  }

  /** Frames placed at even steps of the change measured over every frame rendered so far. */
  function placed(): WalkColumn[] {
    const bySegment: { at: number; rgba: Uint8ClampedArray }[][] = grids.map(() => []);
    for (const { column, rgba } of seen.values()) {
      bySegment[column.segment]!.push({ at: (column.num / column.den) * grids[column.segment]!, rgba });
      // A state between two segments ends one and starts the next.
      if (column.num === column.den && column.segment + 1 < grids.length) bySegment[column.segment + 1]!.push({ at: 0, rgba });
    }
    const sorted: SegmentSample[][] = bySegment.map((list) =>
      list.sort((a, b) => a.at - b.at).map(({ at, rgba }, n) => ({ at, step: n === 0 ? 0 : pixelDistance(list[n - 1]!.rgba, rgba) })),
    );
    const places = placeEvenly(sorted, grids, frames);
    return columnsFromSteps(
      strength,
      places.map((list, k) => list.map((p) => [p, grids[k]!] as const)),
    );
  }

  // Frames the cache already holds need no session: start the renderer only if a pass needs a frame.
  const planner = passes();
  const first = await planner.next();
  if (!first.done) {
    const { t5, t5Ids } = await text();
    job.emit({ type: 'stage', stage: 'denoise' });
    const states = timelineStates(request).length;
    const tasks = (async function* () {
      yield first.value;
      yield* planner;
    })();
    const expected = () => renders + inPass + passesLeft * Math.max(0, frames - states);
    const todo = { tasks, expected, latents: true };
    await renderFrames(job, request, { t5, textLength: t5Ids.length }, todo, (t, image, latents) => {
      job.hooks.onDecoded?.(t.index, image);
      const column = pending.get(t.index)!;
      pending.delete(t.index);
      const rgba = walk.toRgba(image);
      walk.remember(onWalk(column), rgba);
      seen.set(placeKey(column), { column, rgba, cached: false, ...(latents ? { latents } : {}) });
      if (!uniformMeasured) show(column, rgba, false);
    });
  }

  const [uniformLatentCv, evenLatentCv] = [latentCvOf(uniform), latentCvOf(best.columns)];
  const evenness: Evenness = {
    uniformCv,
    evenCv: best.cv,
    renders,
    ...(uniformLatentCv !== undefined && evenLatentCv !== undefined ? { uniformLatentCv, evenLatentCv } : {}),
  };
  job.emit({ type: 'walk', ...walk.layout(best.columns, { evenness }) });
  best.columns.forEach((column, index) => {
    const { rgba, cached } = seen.get(placeKey(column))!;
    walk.deliver({ index, column, row: 0, scale2: 0 }, best.columns.length, rgba, cached);
  });
  return { columns: best.columns, evenness };
}
