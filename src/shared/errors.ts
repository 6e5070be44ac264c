/**
 * Every error the worker can raise, by name. Comlink carries only `name` and `message` across the
 * worker boundary, so the UI switches on `name` (never `instanceof`) and words it with
 * `toUserMessage`.
 */
export const ERROR_NAMES = [
  'InvalidRequest',
  'WebGpuUnavailable',
  'BackendFailed',
  'DeviceLost',
  'BundleInvalid',
  'DownloadFailed',
  'BlockedByPolicy',
  'NotFound',
  'Offline',
  'IntegrityMismatch',
  'QuotaExceeded',
  'StorageEvicted',
  'StorageDamaged',
  'ModelNotDownloaded',
  'EncoderUnsupported',
  'OutOfMemory',
  'AbortError',
  'Internal',
] as const;

export type ErrorName = (typeof ERROR_NAMES)[number];

/** An error with a stable name; `message` holds the detail a person can act on. */
export class AppError extends Error {
  override readonly name: ErrorName;
  /** For InvalidRequest: which request field is wrong. */
  readonly field?: string;
  constructor(name: ErrorName, message: string, field?: string) {
    super(message);
    this.name = name;
    if (field !== undefined) this.field = field;
  }
}

export function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

/** Name of an unknown thrown value, falling back to Internal for anything not ours. */
export function errorName(error: unknown): ErrorName {
  const name = error instanceof Error ? error.name : '';
  return (ERROR_NAMES as readonly string[]).includes(name) ? (name as ErrorName) : 'Internal';
}
