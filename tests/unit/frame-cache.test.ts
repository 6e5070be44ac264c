import { describe, expect, it } from 'vitest';
import { FrameCache, frameKey } from '../../workers/pipeline/frame-cache';
import { DEFAULT_REQUEST } from '../../src/shared/request';

const rgba = (n: number) => new Uint8ClampedArray(new ArrayBuffer(n));

describe('frame cache', () => {
  it('keys by what determines a frame, not by strength, frame count or guidance', () => {
    const base = { bundleVersion: 'v1', backend: 'wasm' as const, request: DEFAULT_REQUEST, scale: 0.5 };
    const k = frameKey(base);
    expect(frameKey({ ...base, request: { ...DEFAULT_REQUEST, frames: 13, strength: 3, guidanceScale: 7 } })).toBe(k);
    for (const patch of [{ seed: 1 }, { prompt: 'x' }, { steps: 1 }, { state2: 'y' }, { iterations: 3 }, { width: 512 }, { maxSequenceLength: 256 as const }])
      expect(frameKey({ ...base, request: { ...DEFAULT_REQUEST, ...patch } })).not.toBe(k);
    expect(frameKey({ ...base, scale: 0.25 })).not.toBe(k);
    expect(frameKey({ ...base, backend: 'webgpu' })).not.toBe(k);
    expect(frameKey({ ...base, bundleVersion: 'v2' })).not.toBe(k);
  });
  it('evicts least recently used past its byte bound', () => {
    const cache = new FrameCache(300);
    cache.set('a', rgba(100));
    cache.set('b', rgba(100));
    cache.set('c', rgba(100));
    cache.get('a');
    cache.set('d', rgba(100));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.bytes).toBe(300);
  });
});
