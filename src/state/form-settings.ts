// The form's values, and how they travel in a shareable URL (pure: unit-tested in node).
import { DEFAULT_REQUEST, LIMITS, validateRequest, type RenderRequest, type SizeLimits } from '../shared/request';
import { AppError } from '../shared/errors';

/** What the form holds: a request, plus whether to draw a fresh seed for each run. */
export interface FormSettings extends RenderRequest {
  randomizeSeed: boolean;
}

export const DEFAULT_SETTINGS: FormSettings = { ...DEFAULT_REQUEST, randomizeSeed: true };

/** Query keys, short and readable; the order here is the order in the URL. */
const KEYS = {
  prompt: 'prompt',
  state1: 'from',
  state2: 'to',
  strength: 'strength',
  frames: 'frames',
  iterations: 'iterations',
  steps: 'steps',
  guidanceScale: 'guidance',
  seed: 'seed',
  width: 'w',
  height: 'h',
  maxSequenceLength: 't5',
} as const satisfies Record<keyof RenderRequest, string>;

const TEXT_FIELDS = ['prompt', 'state1', 'state2'] as const;
const NUMBER_FIELDS = ['strength', 'frames', 'iterations', 'steps', 'guidanceScale', 'width', 'height'] as const;

/**
 * Settings → query string. The seed is written only when it is fixed: a link with "randomize" on
 * gives each person their own seed, as the original did.
 */
export function settingsToQuery(settings: FormSettings, model?: string): string {
  const params = new URLSearchParams();
  for (const field of TEXT_FIELDS) params.set(KEYS[field], settings[field]);
  for (const field of NUMBER_FIELDS) if (Number.isFinite(settings[field])) params.set(KEYS[field], String(settings[field]));
  if (!settings.randomizeSeed && Number.isFinite(settings.seed)) params.set(KEYS.seed, String(settings.seed));
  params.set(KEYS.maxSequenceLength, String(settings.maxSequenceLength));
  if (model) params.set('model', model);
  return params.toString();
}

export interface RestoredSettings {
  settings: Partial<FormSettings>;
  /** A model bundle URL from the link: filled in, never fetched or downloaded by itself. */
  model?: string;
}

/**
 * Query string → the settings it names. Unknown keys are ignored and unreadable numbers dropped;
 * out-of-range values are kept, so the form shows why they cannot run instead of hiding them.
 */
export function queryToSettings(search: string): RestoredSettings {
  const params = new URLSearchParams(search);
  const settings: Partial<FormSettings> = {};
  for (const field of TEXT_FIELDS) {
    const value = params.get(KEYS[field]);
    // Cap what a link can put in a field; validateRequest still has the final word.
    if (value !== null) settings[field] = value.slice(0, LIMITS.textMaxChars + 1);
  }
  for (const field of NUMBER_FIELDS) {
    const value = readNumber(params.get(KEYS[field]));
    if (value !== undefined) settings[field] = value;
  }
  const seed = readNumber(params.get(KEYS.seed));
  if (seed !== undefined) {
    settings.seed = seed;
    settings.randomizeSeed = false;
  }
  const t5 = params.get(KEYS.maxSequenceLength);
  if (t5 === '256' || t5 === '512') settings.maxSequenceLength = Number(t5) as 256 | 512;
  const model = params.get('model') ?? undefined;
  return model ? { settings, model } : { settings };
}

function readNumber(raw: string | null): number | undefined {
  if (raw === null || raw.trim() === '') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : undefined;
}

/** Sizes offered for one side: multiples of 16 across the model's limits (about 16 choices), plus the default and the current value. */
export function sizeOptions(limits: SizeLimits, defaultSize: number, current?: number): number[] {
  const multiple = LIMITS.size.multiple;
  const min = Math.ceil(limits.min / multiple) * multiple;
  const max = Math.floor(limits.max / multiple) * multiple;
  const span = Math.max(0, max - min);
  const step = Math.max(multiple, Math.ceil(span / 15 / multiple) * multiple);
  const options = new Set<number>();
  for (let size = min; size <= max; size += step) options.add(size);
  options.add(max);
  if (defaultSize >= min && defaultSize <= max && defaultSize % multiple === 0) options.add(defaultSize);
  // The current value is offered even when it does not fit, so the form shows what a link asked for
  // (and its message says why it cannot run) instead of silently showing something else.
  if (current !== undefined && Number.isFinite(current)) options.add(current);
  return [...options].sort((a, b) => a - b);
}

export type FieldName = keyof RenderRequest;
/** Messages per wrong field; `form` holds a problem no single field owns. */
export type FieldErrors = Partial<Record<FieldName | 'form', string>>;

/** Outcome of checking the form: a request ready to run, or a message per wrong field. */
export type Checked = { ok: true; request: RenderRequest } | { ok: false; errors: FieldErrors };

/**
 * Validates the whole form through validateRequest (the one place the rules live), collecting every
 * wrong field: each failing field is swapped for a valid stand-in and the check runs again.
 */
export function checkAll(values: RenderRequest, size: SizeLimits, sizeDefault: number): Checked {
  const errors: FieldErrors = {};
  const probe: RenderRequest = { ...values };
  const standIn: RenderRequest = { ...DEFAULT_SETTINGS, width: sizeDefault, height: sizeDefault };
  for (let attempt = 0; attempt <= Object.keys(standIn).length; attempt++) {
    try {
      const request = validateRequest(probe, size);
      return Object.keys(errors).length === 0 ? { ok: true, request } : { ok: false, errors };
    } catch (error) {
      const field = error instanceof AppError ? (error.field as FieldName | undefined) : undefined;
      if (!field || field in errors) return { ok: false, errors: { ...errors, form: (error as Error).message } };
      errors[field] = (error as Error).message;
      (probe as unknown as Record<string, unknown>)[field] = standIn[field];
    }
  }
  return { ok: false, errors };
}
