// Download pace: a speed over a sliding window, the time left, and a per-file event throttle. Pure:
// times are passed in (ms), so tests drive them.

/** Bytes per second over the last `windowMs` of samples of a growing byte count. */
export class RateMeter {
  readonly #windowMs: number;
  #samples: { t: number; bytes: number }[] = [];

  constructor(windowMs = 3000) {
    this.#windowMs = windowMs;
  }

  /** Records that `bytes` (a running total) were done at time `t`; returns the current rate. */
  sample(t: number, bytes: number): number {
    this.#samples.push({ t, bytes });
    // Keep one sample older than the window so the rate spans the whole window.
    while (this.#samples.length > 2 && this.#samples[1]!.t <= t - this.#windowMs) this.#samples.shift();
    return this.rate();
  }

  rate(): number {
    const first = this.#samples[0];
    const last = this.#samples[this.#samples.length - 1];
    if (!first || !last || last.t <= first.t) return 0;
    return Math.max(0, ((last.bytes - first.bytes) * 1000) / (last.t - first.t));
  }
}

/** Seconds until `remaining` bytes are done at `bytesPerSecond`; undefined while the pace is unknown. */
export function etaSeconds(remaining: number, bytesPerSecond: number): number | undefined {
  if (remaining <= 0) return 0;
  if (!(bytesPerSecond > 0) || !Number.isFinite(bytesPerSecond)) return undefined;
  return remaining / bytesPerSecond;
}

/** Lets an event through at most once per `intervalMs` per key, and always when `force` is set. */
export class Throttle {
  readonly #intervalMs: number;
  readonly #last = new Map<string, number>();

  constructor(intervalMs = 100) {
    this.#intervalMs = intervalMs;
  }

  pass(key: string, t: number, force = false): boolean {
    const last = this.#last.get(key);
    if (!force && last !== undefined && t - last < this.#intervalMs) return false;
    this.#last.set(key, t);
    return true;
  }
}

/** "1.23 GB": a byte count in decimal units, for error details (the UI words its own numbers). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${units[unit]}`;
}
