import { describe, expect, it } from 'vitest';
import { EtaEstimator, deviceVerdict, middleFrame, nearestReady } from '../../src/state/progress-math';
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
