/**
 * Finished frames keyed by everything that determines them, so a repeated job renders nothing and
 * a job that only adds frames (7 → 13 → 25 with the same strength) renders only the new ones.
 * Bounded by bytes, least recently used first out.
 */
import type { RenderRequest } from '../../src/shared/request';
import type { Backend } from '../../src/shared/events';

export interface FrameKeyParts {
  bundleVersion: string;
  backend: Backend;
  request: RenderRequest;
  scale: number;
}

/** Strength and frame count matter only through the scale; guidance has no effect on schnell. */
export function frameKey({ bundleVersion, backend, request: r, scale }: FrameKeyParts): string {
  return JSON.stringify([bundleVersion, backend, r.prompt, r.maxSequenceLength, r.state1, r.state2, r.iterations, r.seed, r.steps, r.width, r.height, scale]);
}

/**
 * A frame of any walk: a plain two-state walk's key is frameKey's; keyframes add the timeline, the segment
 * and the strength (the segment's middle depends on it), a second axis its states, normalising and scale.
 */
export function walkFrameKey(parts: FrameKeyParts, frame: { column: { segment: number }; scale2: number }): string {
  const r = parts.request;
  const plain = frameKey(parts);
  if (!r.waypoints?.length && !r.axis2) return plain;
  const timeline = r.waypoints?.length ? [r.waypoints, frame.column.segment, r.strength] : [];
  const axis2 = r.axis2 ? [r.axis2.state1, r.axis2.state2, r.axis2.normalize, frame.scale2] : [];
  return JSON.stringify([plain, ...timeline, ...axis2]);
}

export class FrameCache {
  #entries = new Map<string, Uint8ClampedArray<ArrayBuffer>>();
  #bytes = 0;

  constructor(readonly maxBytes = 512 * 2 ** 20) {}

  get(key: string): Uint8ClampedArray<ArrayBuffer> | undefined {
    const rgba = this.#entries.get(key);
    if (rgba) {
      this.#entries.delete(key);
      this.#entries.set(key, rgba);
    }
    return rgba;
  }

  set(key: string, rgba: Uint8ClampedArray<ArrayBuffer>): void {
    if (rgba.byteLength > this.maxBytes) return;
    const old = this.#entries.get(key);
    if (old) this.#bytes -= old.byteLength;
    this.#entries.delete(key);
    this.#entries.set(key, rgba);
    this.#bytes += rgba.byteLength;
    for (const [k, v] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(k);
      this.#bytes -= v.byteLength;
    }
  }

  get bytes(): number {
    return this.#bytes;
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}
