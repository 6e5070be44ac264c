// Small pure pieces behind the progress and frame views (unit-tested in node).
import type { DeviceReport, BundleInfo } from '../shared/api';
import { bundleFiles } from '../shared/manifest';
import type { Evenness, GeneratorEvent, WaitCause, WalkLayout } from '../shared/events';
import { timelineStates, type RenderRequest } from '../shared/request';
import { labelSpans, tileLabelSpans, type LabelSpan } from '../shared/walk-labels';

/**
 * Time left for work measured in units (steps, bytes), from the average rate since the first
 * sample of the stage. Undefined until the rate is known.
 */
export class EtaEstimator {
  #origin: { done: number; at: number } | null = null;

  reset(): void {
    this.#origin = null;
  }

  update(done: number, total: number, now: number): number | undefined {
    if (!this.#origin || done < this.#origin.done) {
      this.#origin = { done, at: now };
      return undefined;
    }
    const units = done - this.#origin.done;
    const elapsed = now - this.#origin.at;
    if (units <= 0 || elapsed <= 0) return undefined;
    return Math.max(0, ((total - done) * elapsed) / units);
  }
}

/** A store download's or assembly's progress as the model panel shows it. */
export interface DownloadProgress {
  loaded: number;
  total: number;
  bytesPerSecond: number;
  file: string;
  etaMs?: number;
  /** A pause before the next try (a 'wait' event), until bytes flow again. */
  wait?: { cause: WaitCause; ms: number };
}

/** The panel's progress from a 'download' event: the store's own rate when it has one, else the estimator's. */
export function downloadProgress(event: Extract<GeneratorEvent, { type: 'download' }>, eta: EtaEstimator, now: number): DownloadProgress {
  const etaMs =
    event.bytesPerSecond > 0
      ? ((event.bundleTotal - event.bundleLoaded) / event.bytesPerSecond) * 1000
      : eta.update(event.bundleLoaded, event.bundleTotal, now);
  return {
    loaded: event.bundleLoaded,
    total: event.bundleTotal,
    bytesPerSecond: event.bytesPerSecond,
    file: event.file,
    ...(etaMs !== undefined ? { etaMs } : {}),
  };
}

/** The frame to draw for a wanted index: itself if ready, else the nearest ready one (earlier wins a tie), else null. */
export function nearestReady(index: number, ready: readonly boolean[]): number | null {
  if (ready[index]) return index;
  for (let d = 1; d < ready.length; d++) {
    if (ready[index - d]) return index - d;
    if (ready[index + d]) return index + d;
  }
  return null;
}

/**
 * In a grid of `columns`: the ready frame nearest to the wanted one, counting steps along rows and columns
 * (a tie goes to the same row, then to the earlier frame); null when none is ready. One row: `nearestReady`.
 */
export function nearestReadyCell(index: number, ready: readonly boolean[], columns: number): number | null {
  if (columns >= ready.length) return nearestReady(index, ready);
  if (ready[index]) return index;
  const want = cellOf(index, columns);
  let best: number | null = null;
  let bestCost = Infinity;
  ready.forEach((isReady, i) => {
    if (!isReady) return;
    const { column, row } = cellOf(i, columns);
    // Steps first; the row change breaks ties toward the same row; the index breaks the rest (earlier wins).
    const cost = (Math.abs(column - want.column) + Math.abs(row - want.row)) * 1000 + Math.abs(row - want.row);
    if (cost < bestCost) {
      bestCost = cost;
      best = i;
    }
  });
  return best;
}

/** The middle frame, where the original's slider starts (scale 0). */
export function middleFrame(count: number): number {
  return Math.max(0, Math.floor((count - 1) / 2));
}

/** What the device check concludes, as facts; the words are in i18n. */
export type DeviceVerdict =
  | { kind: 'gpu'; adapter: string; shaderF16: boolean; lowMemory?: { need: number; have: number } }
  | { kind: 'wasm'; reason: string; lowMemory?: { need: number; have: number } }
  | { kind: 'memory'; need: number; have: number };

/**
 * GPU when WebGPU works and the model's largest weight file fits one GPU buffer; wasm when WebGPU
 * is missing; "memory" when the GPU cannot hold the largest piece. `deviceMemoryGb` is
 * navigator.deviceMemory (coarse, capped at 8 by Chrome), used only to warn.
 */
export function deviceVerdict(report: DeviceReport, bundle: BundleInfo | null, deviceMemoryGb?: number): DeviceVerdict {
  const largest = bundle ? Math.max(0, ...bundleFiles(bundle.manifest).map((f) => f.bytes)) : 0;
  const need = bundle?.totalBytes ?? 0;
  const have = deviceMemoryGb ? deviceMemoryGb * 1e9 : undefined;
  // Chrome caps deviceMemory at 8 GB, so only a device reporting less than the model is warned about.
  const lowMemory = have !== undefined && have < 8e9 && need > have ? { need, have } : undefined;
  if (!report.webgpu) return { kind: 'wasm', reason: report.reason ?? 'WebGPU is missing', ...(lowMemory ? { lowMemory } : {}) };
  const limit = report.maxBufferSize;
  if (limit !== undefined && largest > limit) return { kind: 'memory', need: largest, have: limit };
  const adapter = report.adapter
    ? [report.adapter.description, report.adapter.vendor, report.adapter.architecture].filter(Boolean).join(', ')
    : '';
  return { kind: 'gpu', adapter, shaderF16: report.shaderF16, ...(lowMemory ? { lowMemory } : {}) };
}

/** What the viewer, strip and gallery know of a run's walk: its grid and the timeline's states. */
export interface WalkView {
  columns: number;
  rows: number;
  /** The timeline's states, in order: the 1st, the keyframes, the 2nd. */
  states: string[];
  /**
   * The column each state sits on, once the engine has said (its `walk` event); before that null, and
   * only the ends are known (the 1st state on the first column, the last on the last).
   */
  stateColumns: number[] | null;
  spacing: 'uniform' | 'even';
  evenness?: Evenness;
  /** A grid's second axis: the states of its top row and its bottom row. */
  axis2?: { state1: string; state2: string };
}

/** The walk a request asks for, before the engine has placed it: `frames` columns, the second axis's rows. */
export function requestedWalk(request: RenderRequest): WalkView {
  return {
    columns: request.frames,
    rows: request.axis2?.frames ?? 1,
    states: timelineStates(request),
    stateColumns: null,
    spacing: request.spacing ?? 'uniform',
    ...(request.axis2 ? { axis2: { state1: request.axis2.state1, state2: request.axis2.state2 } } : {}),
  };
}

/** The walk as the engine laid it out (a `walk` event or a result's layout). */
export function placedWalk(request: RenderRequest, layout: WalkLayout): WalkView {
  const states = timelineStates(request);
  // A layout that does not name a column per state (an older engine) keeps only the ends.
  const stateColumns = layout.stateColumns.length === states.length ? [...layout.stateColumns] : null;
  return {
    ...requestedWalk(request),
    columns: layout.columns,
    rows: layout.rows,
    stateColumns,
    spacing: layout.spacing,
    ...(layout.evenness ? { evenness: layout.evenness } : {}),
  };
}

/** The states whose columns are known, with their columns: all of them once placed, else the two ends. */
export function knownStates(walk: WalkView): { state: number; column: number }[] {
  if (walk.stateColumns) return walk.stateColumns.map((column, state) => ({ state, column }));
  const last = walk.states.length - 1;
  return [
    { state: 0, column: 0 },
    { state: last, column: walk.columns - 1 },
  ];
}

/** The state a column sits on (index into the timeline), if it sits on one whose place is known. */
export function stateAtColumn(walk: WalkView, column: number): number | undefined {
  return knownStates(walk).find((s) => s.column === column)?.state;
}

/** A frame's column and row (frame index = row * columns + column). */
export function cellOf(index: number, columns: number): { column: number; row: number } {
  return { column: index % columns, row: Math.floor(index / columns) };
}

/** The frame where a run starts: the middle column of the middle row (scale 0 on both axes when odd). */
export function middleCell(columns: number, rows: number): number {
  return middleFrame(rows) * columns + middleFrame(columns);
}

/**
 * Which end of the second axis a row leans to: `state1` above the middle row (row 0 is the second axis's
 * 1st state), `state2` below it, null on the middle row itself (only with an odd number of rows).
 */
export function rowLeaning(row: number, rows: number): 'state1' | 'state2' | null {
  const twice = 2 * row - (rows - 1);
  return twice < 0 ? 'state1' : twice > 0 ? 'state2' : null;
}

/** Where a column is on the timeline: on a state, between two neighbouring states, or not known yet (keyframes not placed). */
export function whereOnTimeline(walk: WalkView, column: number): { at: number } | { between: [number, number] } | null {
  const known = knownStates(walk);
  const on = known.find((s) => s.column === column);
  if (on) return { at: on.state };
  if (!walk.stateColumns && walk.states.length > 2) return null;
  for (let k = 1; k < known.length; k++) if (column < known[k]!.column) return { between: [known[k - 1]!.state, known[k]!.state] };
  return null;
}

/** A state's name placed under a row of frames or a slider: percentages of that row's width. */
export interface PlacedLabel {
  state: number;
  column: number;
  text: string;
  start: number;
  end: number;
  align: LabelSpan['align'];
}

/**
 * The known states' names under a row of `walk.columns` tiles (`tiles`: each name under its tile) or under
 * a slider (`slider`: under the thumb's place, the first column at 0 %, the last at 100 %), each within
 * its own stretch so that none overlaps another.
 */
export function stateLabels(walk: WalkView, under: 'tiles' | 'slider'): PlacedLabel[] {
  const known = knownStates(walk);
  const columns = known.map((s) => s.column);
  const spans =
    under === 'tiles'
      ? tileLabelSpans(columns, walk.columns).map((s) => ({ ...s, start: (s.start * 50) / walk.columns, end: (s.end * 50) / walk.columns }))
      : labelSpans(
          columns.map((c) => (walk.columns > 1 ? (100 * c) / (walk.columns - 1) : 50)),
          0,
          100,
        );
  return spans.map((span, i) => {
    const { state, column } = known[i]!;
    return { state, column, text: walk.states[state] ?? '', start: span.start, end: span.end, align: span.align };
  });
}
