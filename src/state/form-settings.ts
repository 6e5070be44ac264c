// The form's values, and how they travel in a shareable URL (pure: unit-tested in node).
import { DEFAULT_REQUEST, LIMITS, type SizeLimits } from '../shared/request';
import { validateJob, type Job, type JobInput } from '../shared/job';
import { VIDEO_LIMITS, type LoopMode } from '../shared/video-api';
import { AppError } from '../shared/errors';

/** What the form holds: a job (request and video options), plus whether to draw a fresh seed for each run. */
export interface FormSettings extends JobInput {
  randomizeSeed: boolean;
}

export const DEFAULT_SETTINGS: FormSettings = {
  ...DEFAULT_REQUEST,
  fps: VIDEO_LIMITS.fps.default,
  loop: 'forward',
  holdLastMs: VIDEO_LIMITS.holdMs.default,
  randomizeSeed: true,
};

/** Query keys, short and readable. */
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
  fps: 'fps',
  loop: 'loop',
  holdLastMs: 'hold',
} as const satisfies Record<keyof JobInput, string>;

const TEXT_FIELDS = ['prompt', 'state1', 'state2'] as const;
const NUMBER_FIELDS = ['strength', 'frames', 'iterations', 'steps', 'guidanceScale', 'width', 'height', 'fps', 'holdLastMs'] as const;
const LOOPS: readonly LoopMode[] = ['forward', 'pingpong'];

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
  params.set(KEYS.loop, settings.loop);
  if (model) params.set('model', model);
  return params.toString();
}

/** A link value the form could not take as it was; the page names each one. */
export type LinkNote =
  /** Text longer than a field takes: the form keeps its start. */
  | { kind: 'cut'; field: (typeof TEXT_FIELDS)[number]; length: number; kept: number }
  /** A value that cannot be read (not a number, not a choice): the form keeps what it had. */
  | { kind: 'ignored'; field: keyof JobInput; raw: string; using?: string | number }
  /** A size outside the loaded model's limits: the form takes the model's default. */
  | { kind: 'size'; field: 'width' | 'height'; value: number; min: number; max: number; using: number };

export interface RestoredSettings {
  settings: Partial<FormSettings>;
  /** A model bundle URL from the link: filled in, never fetched or downloaded by itself. */
  model?: string;
  /** Values the link had that the form does not take as they were. */
  notes: LinkNote[];
}

/** Longest piece of a dropped value that a note quotes. */
const QUOTE_MAX = 40;

/**
 * Query string → the settings it names. Unknown keys are ignored; unreadable values are dropped and
 * text over the limit is cut, each with a note; out-of-range numbers are kept, so the form shows why
 * they cannot run instead of hiding them.
 */
export function queryToSettings(search: string): RestoredSettings {
  const params = new URLSearchParams(search);
  const settings: Partial<FormSettings> = {};
  const notes: LinkNote[] = [];
  const ignore = (field: keyof JobInput, raw: string) =>
    notes.push({ kind: 'ignored', field, raw: raw.length > QUOTE_MAX ? `${raw.slice(0, QUOTE_MAX)}…` : raw });
  for (const field of TEXT_FIELDS) {
    const value = params.get(KEYS[field]);
    if (value === null) continue;
    settings[field] = value.slice(0, LIMITS.textMaxChars);
    if (value.length > LIMITS.textMaxChars) notes.push({ kind: 'cut', field, length: value.length, kept: LIMITS.textMaxChars });
  }
  for (const field of [...NUMBER_FIELDS, 'seed'] as const) {
    const raw = params.get(KEYS[field]);
    if (raw === null) continue;
    const value = readNumber(raw);
    if (value === undefined) ignore(field, raw);
    else settings[field] = value;
  }
  if (settings.seed !== undefined) settings.randomizeSeed = false;
  const t5 = params.get(KEYS.maxSequenceLength);
  if (t5 === '256' || t5 === '512') settings.maxSequenceLength = Number(t5) as 256 | 512;
  else if (t5 !== null) ignore('maxSequenceLength', t5);
  const loop = params.get(KEYS.loop);
  if (loop !== null && (LOOPS as readonly string[]).includes(loop)) settings.loop = loop as LoopMode;
  else if (loop !== null) ignore('loop', loop);
  const model = params.get('model') ?? undefined;
  return model ? { settings, model, notes } : { settings, notes };
}

function readNumber(raw: string): number | undefined {
  if (raw.trim() === '') return undefined;
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

export type FieldName = keyof JobInput;
/** Messages per wrong field; `form` holds a problem no single field owns. */
export type FieldErrors = Partial<Record<FieldName | 'form', string>>;

/** Outcome of checking the form: a job ready to run, or a message per wrong field. */
export type Checked = { ok: true; job: Job } | { ok: false; errors: FieldErrors };

/**
 * Validates the whole form through validateJob (the one place the rules live), collecting every
 * wrong field: each failing field is swapped for a valid stand-in and the check runs again.
 */
export function checkAll(values: JobInput, size: SizeLimits, sizeDefault: number): Checked {
  const errors: FieldErrors = {};
  const probe: JobInput = { ...values };
  const standIn: JobInput = { ...DEFAULT_SETTINGS, width: sizeDefault, height: sizeDefault };
  for (let attempt = 0; attempt <= Object.keys(standIn).length; attempt++) {
    try {
      const job = validateJob(probe, size);
      return Object.keys(errors).length === 0 ? { ok: true, job } : { ok: false, errors };
    } catch (error) {
      const field = error instanceof AppError ? (error.field as FieldName | undefined) : undefined;
      if (!field || field in errors) return { ok: false, errors: { ...errors, form: (error as Error).message } };
      errors[field] = (error as Error).message;
      (probe as unknown as Record<string, unknown>)[field] = standIn[field];
    }
  }
  return { ok: false, errors };
}
