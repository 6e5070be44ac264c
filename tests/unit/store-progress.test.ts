import { describe, expect, it } from 'vitest';
import { etaSeconds, formatBytes, RateMeter, Throttle } from '../../workers/store/progress';

describe('download pace', () => {
  it('measures a steady rate', () => {
    const meter = new RateMeter(3000);
    let rate = 0;
    for (let t = 0; t <= 10_000; t += 100) rate = meter.sample(t, t * 1000); // 1 MB/s
    expect(rate).toBeCloseTo(1_000_000, 0);
  });

  it('follows a change of pace within its window', () => {
    const meter = new RateMeter(2000);
    let bytes = 0;
    for (let t = 0; t <= 10_000; t += 100) meter.sample(t, (bytes += 100_000)); // 1 MB/s
    let rate = 0;
    for (let t = 10_100; t <= 14_000; t += 100) rate = meter.sample(t, (bytes += 10_000)); // 100 kB/s
    expect(rate).toBeCloseTo(100_000, -3);
  });

  it('is 0 before two samples and never negative', () => {
    const meter = new RateMeter();
    expect(meter.rate()).toBe(0);
    expect(meter.sample(0, 1000)).toBe(0);
    expect(meter.sample(100, 500)).toBe(0);
  });

  it('computes the time left, undefined while the pace is unknown', () => {
    expect(etaSeconds(1_000_000, 250_000)).toBe(4);
    expect(etaSeconds(0, 0)).toBe(0);
    expect(etaSeconds(-5, 100)).toBe(0);
    expect(etaSeconds(100, 0)).toBeUndefined();
    expect(etaSeconds(100, Number.NaN)).toBeUndefined();
    expect(etaSeconds(100, Number.POSITIVE_INFINITY)).toBeUndefined();
  });

  it('throttles per key to about 10 events a second, with forced events always through', () => {
    const throttle = new Throttle(100);
    let passed = 0;
    for (let t = 0; t < 1000; t += 5) if (throttle.pass('a', t)) passed++;
    expect(passed).toBe(10);
    expect(throttle.pass('b', 999)).toBe(true);
    expect(throttle.pass('a', 1001, true)).toBe(true);
    expect(throttle.pass('a', 1002)).toBe(false);
  });

  it('formats byte counts for messages', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1500)).toBe('1.50 kB');
    expect(formatBytes(12_345_678)).toBe('12.3 MB');
    expect(formatBytes(1_000_000_000)).toBe('1.00 GB');
  });
});
