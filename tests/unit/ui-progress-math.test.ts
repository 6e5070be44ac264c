import { describe, expect, it } from 'vitest';
import {
  EtaEstimator,
  cellOf,
  deviceVerdict,
  knownStates,
  middleCell,
  middleFrame,
  nearestReady,
  nearestReadyCell,
  placedWalk,
  requestedWalk,
  rowLeaning,
  stateAtColumn,
  stateLabels,
  whereOnTimeline,
} from '../../src/state/progress-math';
import { DEFAULT_REQUEST } from '../../src/shared/request';
import type { BundleInfo, DeviceReport } from '../../src/shared/api';
import type { BundleManifest } from '../../src/shared/manifest';

describe('EtaEstimator', () => {
  it('knows nothing from one sample, then extrapolates the average rate', () => {
    const eta = new EtaEstimator();
    expect(eta.update(0, 10, 1000)).toBeUndefined();
    expect(eta.update(2, 10, 3000)).toBe(8000);
    expect(eta.update(10, 10, 11_000)).toBe(0);
  });
  it('starts over when the count goes back, or on reset', () => {
    const eta = new EtaEstimator();
    eta.update(5, 10, 0);
    eta.update(10, 10, 100);
    expect(eta.update(1, 10, 200)).toBeUndefined();
    expect(eta.update(2, 10, 300)).toBe(800);
    eta.reset();
    expect(eta.update(2, 10, 400)).toBeUndefined();
  });
});

describe('frames', () => {
  it('the slider starts on the middle frame', () => {
    expect(middleFrame(7)).toBe(3);
    expect(middleFrame(3)).toBe(1);
    expect(middleFrame(0)).toBe(0);
  });
  it('shows the nearest ready frame while the wanted one renders', () => {
    expect(nearestReady(3, [true, true, false, false, false])).toBe(1);
    expect(nearestReady(1, [true, false, true])).toBe(0);
    expect(nearestReady(2, [false, false, true])).toBe(2);
    expect(nearestReady(1, [false, false, false])).toBeNull();
  });
});

function bundle(largest: number, total: number): BundleInfo {
  const file = (bytes: number) => ({ path: `f${bytes}`, bytes, sha256: '' });
  const component = { graph: file(1), external_data: [file(largest)], inputs: [], outputs: [], config: {} };
  const manifest = {
    components: { clip: component, t5: component, transformer: component, decoder: component },
    tokenizers: { clip: { files: [], max_length: 77 }, t5: { files: [], max_length: 512 } },
  } as unknown as BundleManifest;
  return { manifest, totalBytes: total, bytesByComponent: { clip: 0, t5: 0, transformer: 0, decoder: 0 } };
}

describe('deviceVerdict', () => {
  const gpu: DeviceReport = {
    webgpu: true,
    adapter: { vendor: 'google', architecture: 'swiftshader', description: '' },
    shaderF16: true,
    maxBufferSize: 2 ** 31,
    crossOriginIsolated: true,
    threads: 2,
  };
  it('GPU when WebGPU works and the largest piece fits a buffer', () => {
    expect(deviceVerdict(gpu, bundle(1e6, 4e6))).toEqual({ kind: 'gpu', adapter: 'google, swiftshader', shaderF16: true });
  });
  it('not enough memory when a piece exceeds the buffer limit', () => {
    expect(deviceVerdict(gpu, bundle(3e9, 12e9))).toEqual({ kind: 'memory', need: 3e9, have: 2 ** 31 });
  });
  it('wasm with the reason when WebGPU is missing', () => {
    const verdict = deviceVerdict({ webgpu: false, shaderF16: false, crossOriginIsolated: false, threads: 1, reason: 'no adapter' }, null);
    expect(verdict).toEqual({ kind: 'wasm', reason: 'no adapter' });
  });
  it('warns when the device reports less memory than the model needs', () => {
    const verdict = deviceVerdict(gpu, bundle(1e9, 6e9), 4);
    expect(verdict.kind === 'gpu' && verdict.lowMemory).toEqual({ need: 6e9, have: 4e9 });
    // 8 GB is Chrome's cap, so it says nothing about larger machines.
    const capped = deviceVerdict(gpu, bundle(1e9, 12e9), 8);
    expect(capped.kind === 'gpu' && capped.lowMemory).toBeUndefined();
  });
});

describe('the walk the viewer shows', () => {
  const request = { ...DEFAULT_REQUEST, prompt: 'a tree', state1: 'summer', waypoints: ['autumn', 'winter'], state2: 'spring', frames: 13 };
  const grid = { ...DEFAULT_REQUEST, frames: 7, axis2: { state1: 'day', state2: 'night', strength: 1, frames: 3, normalize: false } };

  it('before the engine places it: the asked columns and rows, only the ends known', () => {
    const walk = requestedWalk(request);
    expect(walk).toMatchObject({
      columns: 13,
      rows: 1,
      states: ['summer', 'autumn', 'winter', 'spring'],
      stateColumns: null,
      spacing: 'uniform',
    });
    expect(knownStates(walk)).toEqual([
      { state: 0, column: 0 },
      { state: 3, column: 12 },
    ]);
    expect(whereOnTimeline(walk, 0)).toEqual({ at: 0 });
    // Between keyframes not yet placed: not known.
    expect(whereOnTimeline(walk, 5)).toBeNull();
    expect(requestedWalk(grid)).toMatchObject({ columns: 7, rows: 3, axis2: { state1: 'day', state2: 'night' } });
  });

  it('once placed: every state on its column, a frame between two neighbours, and the evenness', () => {
    const evenness = { uniformCv: 0.42, evenCv: 0.11, renders: 17 };
    const walk = placedWalk(request, { columns: 13, rows: 1, stateColumns: [0, 3, 8, 12], spacing: 'even', evenness });
    expect(walk).toMatchObject({ stateColumns: [0, 3, 8, 12], spacing: 'even', evenness });
    expect(stateAtColumn(walk, 8)).toBe(2);
    expect(stateAtColumn(walk, 7)).toBeUndefined();
    expect(whereOnTimeline(walk, 3)).toEqual({ at: 1 });
    expect(whereOnTimeline(walk, 5)).toEqual({ between: [1, 2] });
    expect(whereOnTimeline(walk, 11)).toEqual({ between: [2, 3] });
    // A layout that does not name every state's column keeps the ends only.
    expect(placedWalk(request, { columns: 13, rows: 1, stateColumns: [0, 12], spacing: 'uniform' }).stateColumns).toBeNull();
  });

  it("labels: each known state's name within its own stretch, under tiles or under a slider", () => {
    const walk = placedWalk(request, { columns: 13, rows: 1, stateColumns: [0, 3, 8, 12], spacing: 'uniform' });
    const tiles = stateLabels(walk, 'tiles');
    expect(tiles.map((l) => [l.text, l.column, l.align])).toEqual([
      ['summer', 0, 'start'],
      ['autumn', 3, 'center'],
      ['winter', 8, 'center'],
      ['spring', 12, 'end'],
    ]);
    // autumn on tile 3 of 13: centred on 3.5/13 of the row.
    const autumn = tiles[1]!;
    expect((autumn.start + autumn.end) / 2).toBeCloseTo((3.5 / 13) * 100, 9);
    const slider = stateLabels(walk, 'slider');
    expect((slider[2]!.start + slider[2]!.end) / 2).toBeCloseTo((8 / 12) * 100, 9);
    expect(slider[0]!.start).toBe(0);
    expect(slider[3]!.end).toBe(100);
    for (const labels of [tiles, slider])
      for (let i = 1; i < labels.length; i++) expect(labels[i - 1]!.end).toBeLessThanOrEqual(labels[i]!.start);
  });

  it('a grid starts on the middle column of the middle row; rows lean to one state of the second axis', () => {
    expect(middleCell(7, 3)).toBe(7 + 3);
    expect(middleCell(7, 1)).toBe(3);
    expect(middleCell(4, 4)).toBe(4 + 1);
    expect(cellOf(10, 7)).toEqual({ column: 3, row: 1 });
    expect([0, 1, 2, 3, 4].map((r) => rowLeaning(r, 5))).toEqual(['state1', 'state1', null, 'state2', 'state2']);
    expect([0, 1, 2, 3].map((r) => rowLeaning(r, 4))).toEqual(['state1', 'state1', 'state2', 'state2']);
  });

  it('in a grid, the nearest ready frame is counted in steps along rows and columns', () => {
    // 3 x 3; wanted: the centre (4). Ready: 0 (two steps) and 7 (one step below).
    const ready = [true, false, false, false, false, false, false, true, false];
    expect(nearestReadyCell(4, ready, 3)).toBe(7);
    // A tie in steps goes to the same row: 3 (left) and 1 (above) are both one step from 4.
    expect(nearestReadyCell(4, [false, true, false, true, false, false, false, false, false], 3)).toBe(3);
    expect(nearestReadyCell(4, Array(9).fill(false), 3)).toBeNull();
    // One row: as nearestReady.
    expect(nearestReadyCell(3, [true, true, false, false, false], 5)).toBe(1);
  });
});
