import { AppError } from './errors';

/** What a person asks for: one Time Stream job. Defaults follow the original Space. */
export interface RenderRequest {
  /** What is steered, e.g. "a tomato". */
  prompt: string;
  /** 1st state (where the walk starts, e.g. "fresh"); the Space's `opposite`. */
  state1: string;
  /** 2nd state (where it ends, e.g. "rotten"); the Space's `target`. */
  state2: string;
  /** How far along the direction the ends go: 0..4 (unstable beyond 2.5). */
  strength: number;
  /**
   * Frames along the walk from the 1st state to the 2nd: 3..65 (with an odd count on a two-state walk the
   * middle one has scale 0). With a second axis, the columns of the grid.
   */
  frames: number;
  /** Template pairs averaged to find the direction: 0..400 (0 = the bare words' difference). */
  iterations: number;
  /** Denoising steps: 1..4. */
  steps: number;
  /** Seed of the noise and of the direction's template draw: 0..2^32-1. */
  seed: number;
  width: number;
  height: number;
  /** Shown for fidelity with the Space; FLUX.1-schnell has no guidance embedding, so it has no effect. */
  guidanceScale: number;
  /** T5 tokens: 512 like the Space, 256 as FLUX.1-schnell was trained (faster). */
  maxSequenceLength: 256 | 512;
  /**
   * Keyframes: states the walk passes through between the 1st and the 2nd, in order (0..6, so a timeline
   * holds 2..8 states). Left out or empty: today's two-state walk, bit for bit.
   */
  waypoints?: string[];
  /** An optional second direction with its own strength: the frames become a grid (original: `*_2nd`). */
  axis2?: SecondAxis;
  /** `even`: a coarse pass measures the walk, then frames are placed at even visual distance. Default `uniform`. */
  spacing?: Spacing;
}

/** semantic-sliders' second direction: pooled + d1·s1 + d2·s2. */
export interface SecondAxis {
  /** Where the second axis starts (its `opposite_2nd`) and ends (`target_word_2nd`). */
  state1: string;
  state2: string;
  /** The second axis runs from −strength to +strength: 0..4. */
  strength: number;
  /** Rows of the grid: 2..9. */
  frames: number;
  /** The original's `normalize_scales`: each frame's two scales divided by |s1| + |s2| (both 0 stay 0). */
  normalize: boolean;
}

/** How frames are placed along the walk. */
export type Spacing = 'uniform' | 'even';

/** A field a validation message belongs to: a request key, one keyframe (`waypoints.0`), or a second-axis field. */
export type RequestField = keyof RenderRequest | `waypoints.${number}` | `axis2.${keyof SecondAxis}`;

export const LIMITS = {
  textMaxChars: 2000,
  strength: { min: 0, max: 4, unstableAbove: 2.5 },
  frames: { min: 3, max: 65 },
  /** States on one timeline (the 1st, the keyframes between, the 2nd). */
  states: { min: 2, max: 8 },
  axis2Frames: { min: 2, max: 9 },
  /** Frames a grid may hold (columns x rows). */
  gridMaxFrames: 144,
  iterations: { min: 0, max: 400 },
  steps: { min: 1, max: 4 },
  seed: { min: 0, max: 2 ** 32 - 1 },
  guidanceScale: { min: 0.1, max: 10 },
  size: { multiple: 16, min: 256, max: 1024 },
} as const;

export const DEFAULT_REQUEST: RenderRequest = {
  prompt: 'a tomato',
  state1: 'super fresh',
  state2: 'rotten',
  strength: 1.75,
  frames: 7,
  iterations: 200,
  steps: 3,
  seed: 0,
  width: 768,
  height: 768,
  guidanceScale: 3.5,
  maxSequenceLength: 512,
};

/** Pixel limits can be narrowed by the bundle (the tiny test model runs at small sizes). */
export interface SizeLimits {
  min: number;
  max: number;
}

/** How a same-states message starts (the Korean UI recognises it by this). */
export const SAME_STATES = 'The 2nd state is the same as the 1st state';

/** How a message about two alike neighbouring keyframes starts (the Korean UI recognises it by this). */
export const SAME_NEIGHBOUR = 'A state is the same as the one before it';

/** Two states that read the same once case and runs of spaces are set aside: their direction is nothing. */
export function sameStates(a: string, b: string): boolean {
  const plain = (text: string) => text.normalize('NFC').toLowerCase().replace(/\s+/gu, ' ').trim();
  return plain(a) === plain(b);
}

function fail(field: RequestField, message: string): never {
  throw new AppError('InvalidRequest', message, field);
}

function checkText(field: RequestField, value: unknown, label: string): string {
  if (typeof value !== 'string') fail(field, `${label} must be text.`);
  const text = value.normalize('NFC').trim();
  if (text.length === 0) fail(field, `${label} is empty: write a few words.`);
  if (text.length > LIMITS.textMaxChars)
    fail(
      field,
      `${label} is ${text.length} characters long; keep it under ${LIMITS.textMaxChars} (the encoders read at most 77 and 512 tokens).`,
    );
  return text;
}

function checkNumber(field: RequestField, value: unknown, label: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(field, `${label} must be a number between ${min} and ${max}.`);
  if (value < min || value > max) fail(field, `${label} must be between ${min} and ${max} (got ${value}).`);
  return value;
}

function checkInteger(field: RequestField, value: unknown, label: string, min: number, max: number): number {
  const n = checkNumber(field, value, label, min, max);
  if (!Number.isInteger(n)) fail(field, `${label} must be a whole number (got ${n}).`);
  return n;
}

/**
 * The one place a request is checked. Returns a normalised copy (trimmed NFC text) or throws an
 * InvalidRequest AppError whose `field` names the input and whose message says how to fix it.
 */
export function validateRequest(input: unknown, sizeLimits: SizeLimits = LIMITS.size): RenderRequest {
  if (!input || typeof input !== 'object') throw new AppError('InvalidRequest', 'The request is empty.');
  const r = input as Record<keyof RenderRequest, unknown>;
  const prompt = checkText('prompt', r.prompt, 'The prompt');
  const state1 = checkText('state1', r.state1, 'The 1st state');
  const state2 = checkText('state2', r.state2, 'The 2nd state');
  const hasWaypoints = Array.isArray(r.waypoints) && r.waypoints.length > 0;
  // With keyframes between them the ends may be alike (summer, winter, summer): only neighbours must differ.
  if (!hasWaypoints && sameStates(state1, state2))
    fail('state2', `${SAME_STATES} (“${state1}” and “${state2}”), so every frame would be the same picture: write two different states.`);
  const strength = checkNumber('strength', r.strength, 'Strength', LIMITS.strength.min, LIMITS.strength.max);
  const frames = checkInteger('frames', r.frames, 'The number of frames', LIMITS.frames.min, LIMITS.frames.max);
  const iterations = checkInteger('iterations', r.iterations, 'Direction iterations', LIMITS.iterations.min, LIMITS.iterations.max);
  const steps = checkInteger('steps', r.steps, 'Inference steps', LIMITS.steps.min, LIMITS.steps.max);
  const seed = checkInteger('seed', r.seed, 'The seed', LIMITS.seed.min, LIMITS.seed.max);
  const guidanceScale = checkNumber(
    'guidanceScale',
    r.guidanceScale ?? DEFAULT_REQUEST.guidanceScale,
    'Guidance scale',
    LIMITS.guidanceScale.min,
    LIMITS.guidanceScale.max,
  );
  const width = checkInteger('width', r.width, 'The width', sizeLimits.min, sizeLimits.max);
  const height = checkInteger('height', r.height, 'The height', sizeLimits.min, sizeLimits.max);
  if (width % LIMITS.size.multiple !== 0) fail('width', `The width must be a multiple of ${LIMITS.size.multiple} (got ${width}).`);
  if (height % LIMITS.size.multiple !== 0) fail('height', `The height must be a multiple of ${LIMITS.size.multiple} (got ${height}).`);
  const maxSequenceLength = r.maxSequenceLength ?? DEFAULT_REQUEST.maxSequenceLength;
  if (maxSequenceLength !== 256 && maxSequenceLength !== 512) fail('maxSequenceLength', 'The T5 length must be 256 or 512 tokens.');
  const request: RenderRequest = { prompt, state1, state2, strength, frames, iterations, steps, seed, width, height, guidanceScale, maxSequenceLength };
  // The extensions are written only when they differ from a plain two-state walk, so that such a walk is
  // the same request (and the same frames, cache keys and links) as before they existed.
  const waypoints = checkWaypoints(r.waypoints, state1, state2, frames);
  if (waypoints.length > 0) request.waypoints = waypoints;
  if (r.axis2 !== undefined && r.axis2 !== null) request.axis2 = checkSecondAxis(r.axis2, frames);
  const spacing = r.spacing ?? 'uniform';
  if (spacing !== 'uniform' && spacing !== 'even') fail('spacing', 'Spacing must be "uniform" or "even".');
  if (spacing === 'even') {
    if (request.axis2) fail('spacing', 'Even spacing measures one walk: turn off the second axis to use it.');
    request.spacing = spacing;
  }
  return request;
}

// Keyframes are numbered after the two end states, as the form labels them (the 1st keyframe is the 3rd state).
const ORDINAL = ['1st', '2nd', '3rd', '4th', '5th', '6th', '7th', '8th'];

/** The keyframes between the 1st and the 2nd state: each a state's text, no two neighbours alike. */
function checkWaypoints(value: unknown, state1: string, state2: string, frames: number): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail('waypoints', 'The keyframes must be a list of states.');
  const most = LIMITS.states.max - 2;
  if (value.length > most) fail('waypoints', `A timeline holds at most ${LIMITS.states.max} states: remove ${value.length - most}.`);
  const waypoints = value.map((text, i) => checkText(`waypoints.${i}`, text, `The ${ORDINAL[i + 2]} state`));
  const states = [state1, ...waypoints, state2];
  for (let i = 1; i < states.length; i++)
    if (sameStates(states[i - 1]!, states[i]!)) {
      const field: RequestField = i - 1 < waypoints.length ? `waypoints.${i - 1}` : 'state2';
      fail(field, `${SAME_NEIGHBOUR} (“${states[i - 1]}” and “${states[i]}”): neighbouring states on a timeline must differ.`);
    }
  if (frames < states.length) fail('frames', `A timeline of ${states.length} states needs at least ${states.length} frames, one per state (got ${frames}).`);
  return waypoints;
}

function checkSecondAxis(value: unknown, columns: number): SecondAxis {
  if (typeof value !== 'object') fail('axis2', 'The second axis must be a pair of states with a strength.');
  const a = value as Record<keyof SecondAxis, unknown>;
  const state1 = checkText('axis2.state1', a.state1, 'The second axis’s 1st state');
  const state2 = checkText('axis2.state2', a.state2, 'The second axis’s 2nd state');
  if (sameStates(state1, state2))
    fail('axis2.state2', `${SAME_STATES} on the second axis (“${state1}” and “${state2}”): write two different states.`);
  const strength = checkNumber('axis2.strength', a.strength, 'The second axis’s strength', LIMITS.strength.min, LIMITS.strength.max);
  const frames = checkInteger('axis2.frames', a.frames, 'The second axis’s rows', LIMITS.axis2Frames.min, LIMITS.axis2Frames.max);
  if (columns * frames > LIMITS.gridMaxFrames)
    fail('axis2.frames', `A grid of ${columns} x ${frames} is ${columns * frames} frames; keep it at ${LIMITS.gridMaxFrames} or fewer.`);
  const normalize = a.normalize ?? false;
  if (typeof normalize !== 'boolean') fail('axis2.normalize', 'Normalising the scales is on or off.');
  return { state1, state2, strength, frames, normalize };
}

/** Every state of the request's timeline, in order: the 1st, the keyframes, the 2nd. */
export function timelineStates(request: Pick<RenderRequest, 'state1' | 'state2' | 'waypoints'>): string[] {
  return [request.state1, ...(request.waypoints ?? []), request.state2];
}

/** Hangul anywhere in the text: the original Space shows a notice that the model is tuned for English. */
export function hasHangul(text: string): boolean {
  return /[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]/u.test(text);
}
