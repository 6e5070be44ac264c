// Numbers into words for the UI (pure: unit-tested in node). Units come from the language's messages.
import type { WaitCause } from '../shared/events';
import type { Messages } from './en';

/** 1234567 → "1.2 MB" (decimal units, as disks and downloads are sized). */
export function formatBytes(bytes: number, units: Messages['units']['bytes'] = ['B', 'kB', 'MB', 'GB', 'TB']): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

/** Milliseconds → "4 s", "2 min 5 s", "1 h 3 min"; rounds up so an ETA never says 0 s while work is left. */
export function formatDuration(ms: number, units: Pick<Messages['units'], 'seconds' | 'minutes' | 'hours'>): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  if (total < 60) return units.seconds(total);
  if (total < 3600) return units.minutes(Math.floor(total / 60), total % 60);
  return units.hours(Math.floor(total / 3600), Math.floor((total % 3600) / 60));
}

/**
 * What follows a download's "x of y": the pause before the next try while there is one (so a host's
 * 429 never reads "about 1 s left"), else the time left when known, else nothing.
 */
export function downloadTail(
  t: Pick<Messages, 'progress' | 'units'>,
  progress: { etaMs?: number; wait?: { cause: WaitCause; ms: number } },
): string {
  if (progress.wait) return ` · ${t.progress.waiting(progress.wait.cause, formatDuration(progress.wait.ms, t.units))}`;
  return progress.etaMs !== undefined ? ` · ${t.progress.eta(formatDuration(progress.etaMs, t.units))}` : '';
}

/** A frame's scale with a real minus sign and two decimals: −1.75, 0.00, +1.75. */
export function formatScale(scale: number): string {
  const fixed = Math.abs(scale).toFixed(2);
  if (Number(fixed) === 0) return '0.00';
  return `${scale < 0 ? '\u2212' : '+'}${fixed}`;
}
