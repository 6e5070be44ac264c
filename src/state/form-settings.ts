// The form's values, and how they travel in a shareable URL (pure: unit-tested in node).
import { DEFAULT_REQUEST, LIMITS, type RequestField, type SecondAxis, type SizeLimits, type Spacing } from '../shared/request';
import { validateJob, type Job, type JobInput, type JobVideo } from '../shared/job';
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

/** What the second axis holds when it is first turned on (or a link names only part of it). */
export const DEFAULT_AXIS2: SecondAxis = {
  state1: 'day',
  state2: 'night',
  strength: DEFAULT_REQUEST.strength,
  frames: 3,
  normalize: false,
};

/** Keyframes a timeline holds between the 1st and the 2nd state. */
export const MAX_WAYPOINTS = LIMITS.states.max - 2;

/** The form's fields that hold one value each (the timeline, the second axis and the spacing have keys of their own). */
type ScalarField = Exclude<keyof JobInput, 'waypoints' | 'axis2' | 'spacing'>;

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
} as const satisfies Record<ScalarField, string>;

/** The timeline's keyframes (`via`, once per keyframe, in order), the second axis and the spacing. */
const EXTRA_KEYS = {
  waypoints: 'via',
  axis2: { state1: 'axis2from', state2: 'axis2to', strength: 'axis2strength', frames: 'axis2rows', normalize: 'axis2norm' },
  spacing: 'spacing',
} as const satisfies { waypoints: string; axis2: Record<keyof SecondAxis, string>; spacing: string };

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
  // Written only when used, so a plain two-state link stays what it was.
  for (const waypoint of settings.waypoints ?? []) params.append(EXTRA_KEYS.waypoints, waypoint);
  const axis2 = settings.axis2;
  if (axis2) {
    const keys = EXTRA_KEYS.axis2;
    params.set(keys.state1, axis2.state1);
    params.set(keys.state2, axis2.state2);
    if (Number.isFinite(axis2.strength)) params.set(keys.strength, String(axis2.strength));
    if (Number.isFinite(axis2.frames)) params.set(keys.frames, String(axis2.frames));
    if (axis2.normalize) params.set(keys.normalize, '1');
  }
  if (settings.spacing === 'even') params.set(EXTRA_KEYS.spacing, 'even');
  if (model) params.set('model', model);
  return params.toString();
}

/** A field a link's text goes into. */
export type LinkTextField = (typeof TEXT_FIELDS)[number] | `waypoints.${number}` | 'axis2.state1' | 'axis2.state2';
/** A field whose link value is read as a number or a choice. */
export type LinkValueField = ScalarField | 'axis2.strength' | 'axis2.frames' | 'axis2.normalize' | 'spacing';

/** A link value the form could not take as it was; the page names each one. */
export type LinkNote =
  /** Text longer than a field takes: the form keeps its start. */
  | { kind: 'cut'; field: LinkTextField; length: number; kept: number }
  /** A value that cannot be read (not a number, not a choice): the form keeps what it had. */
  | { kind: 'ignored'; field: LinkValueField; raw: string; using?: string | number | boolean }
  /** A size outside the loaded model's limits: the form takes the model's default. */
  | { kind: 'size'; field: 'width' | 'height'; value: number; min: number; max: number; using: number }
  /** More keyframes than a timeline holds: the form keeps the first `kept`. */
  | { kind: 'keyframes'; field: 'waypoints'; count: number; kept: number };

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
  const ignore = (field: LinkValueField, raw: string) =>
    notes.push({ kind: 'ignored', field, raw: raw.length > QUOTE_MAX ? `${raw.slice(0, QUOTE_MAX)}…` : raw });
  /** Text as a field takes it: cut to the limit, with a note when it was longer. */
  const text = (field: LinkTextField, value: string) => {
    if (value.length > LIMITS.textMaxChars) notes.push({ kind: 'cut', field, length: value.length, kept: LIMITS.textMaxChars });
    return value.slice(0, LIMITS.textMaxChars);
  };
  for (const field of TEXT_FIELDS) {
    const value = params.get(KEYS[field]);
    if (value !== null) settings[field] = text(field, value);
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
  readExtensions(params, settings, notes, text, ignore);
  const model = params.get('model') ?? undefined;
  return model ? { settings, model, notes } : { settings, notes };
}

/** The timeline's keyframes, the second axis and the spacing, each only when the link names it. */
function readExtensions(
  params: URLSearchParams,
  settings: Partial<FormSettings>,
  notes: LinkNote[],
  text: (field: LinkTextField, value: string) => string,
  ignore: (field: LinkValueField, raw: string) => void,
): void {
  const via = params.getAll(EXTRA_KEYS.waypoints);
  if (via.length > MAX_WAYPOINTS) notes.push({ kind: 'keyframes', field: 'waypoints', count: via.length, kept: MAX_WAYPOINTS });
  if (via.length > 0) settings.waypoints = via.slice(0, MAX_WAYPOINTS).map((value, i) => text(`waypoints.${i}`, value));

  const keys = EXTRA_KEYS.axis2;
  // Any of its keys turns the second axis on; what the link leaves out is the form's default.
  if (Object.values(keys).some((key) => params.has(key))) {
    const axis2: SecondAxis = { ...DEFAULT_AXIS2 };
    for (const field of ['state1', 'state2'] as const) {
      const value = params.get(keys[field]);
      if (value !== null) axis2[field] = text(`axis2.${field}`, value);
    }
    for (const field of ['strength', 'frames'] as const) {
      const raw = params.get(keys[field]);
      if (raw === null) continue;
      const value = readNumber(raw);
      if (value === undefined) ignore(`axis2.${field}`, raw);
      else axis2[field] = value;
    }
    const normalize = params.get(keys.normalize);
    if (normalize === '1' || normalize === '0') axis2.normalize = normalize === '1';
    else if (normalize !== null) ignore('axis2.normalize', normalize);
    settings.axis2 = axis2;
  }

  const spacing = params.get(EXTRA_KEYS.spacing);
  if (spacing === 'even' || spacing === 'uniform') settings.spacing = spacing satisfies Spacing;
  else if (spacing !== null) ignore('spacing', spacing);
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

/** A field a message belongs to: a request field (a keyframe `waypoints.0`, a second-axis field `axis2.frames`) or a video option. */
export type FieldName = RequestField | keyof JobVideo;
/** Messages per wrong field; `form` holds a problem no single field owns. */
export type FieldErrors = Partial<Record<FieldName | 'form', string>>;

/** Outcome of checking the form: a job ready to run, or a message per wrong field. */
export type Checked = { ok: true; job: Job } | { ok: false; errors: FieldErrors };

/** Text no one types, so a stand-in state is never the same as its neighbours. */
const standInText = (field: string) => `\u{E000}${field}`;

/** The values with one wrong field swapped for a valid stand-in (a keyframe or a second-axis field in its place). */
function withStandIn(values: JobInput, field: FieldName, standIn: JobInput): JobInput {
  const probe: JobInput = { ...values };
  const [head, key] = field.split('.') as [keyof JobInput, string | undefined];
  if (head === 'waypoints' && key !== undefined) {
    const waypoints = [...(values.waypoints ?? [])];
    waypoints[Number(key)] = standInText(field);
    probe.waypoints = waypoints;
  } else if (head === 'axis2' && key !== undefined) {
    const fallback: SecondAxis = { ...DEFAULT_AXIS2, frames: LIMITS.axis2Frames.min, state1: standInText('a'), state2: standInText('b') };
    probe.axis2 = { ...DEFAULT_AXIS2, ...values.axis2, [key]: fallback[key as keyof SecondAxis] };
  } else if (head === 'waypoints') probe.waypoints = Array.isArray(values.waypoints) ? values.waypoints.slice(0, MAX_WAYPOINTS) : [];
  else if (head === 'axis2') probe.axis2 = { ...DEFAULT_AXIS2 };
  else if (head === 'prompt' || head === 'state1' || head === 'state2') probe[head] = standInText(head);
  // Enough frames for the longest timeline, few enough for the largest grid.
  else if (head === 'frames') probe.frames = LIMITS.states.max;
  else (probe as unknown as Record<string, unknown>)[head] = standIn[head];
  return probe;
}

/**
 * Validates the whole form through validateJob (the one place the rules live), collecting every
 * wrong field: each failing field is swapped for a valid stand-in and the check runs again.
 */
export function checkAll(values: JobInput, size: SizeLimits, sizeDefault: number): Checked {
  const errors: FieldErrors = {};
  let probe: JobInput = { ...values };
  const standIn: JobInput = { ...DEFAULT_SETTINGS, width: sizeDefault, height: sizeDefault };
  // Every field of the request and the video, each keyframe and each second-axis field can be wrong once.
  const most = Object.keys(standIn).length + MAX_WAYPOINTS + Object.keys(DEFAULT_AXIS2).length + 3;
  for (let attempt = 0; attempt <= most; attempt++) {
    try {
      const job = validateJob(probe, size);
      return Object.keys(errors).length === 0 ? { ok: true, job } : { ok: false, errors };
    } catch (error) {
      const field = error instanceof AppError ? (error.field as FieldName | undefined) : undefined;
      if (!field || field in errors) return { ok: false, errors: { ...errors, form: (error as Error).message } };
      errors[field] = (error as Error).message;
      probe = withStandIn(probe, field, standIn);
    }
  }
  return { ok: false, errors };
}
