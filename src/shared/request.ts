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
  /** Number of frames: odd, 3..65; the middle one has scale 0. */
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
}

export const LIMITS = {
  textMaxChars: 2000,
  strength: { min: 0, max: 4, unstableAbove: 2.5 },
  frames: { min: 3, max: 65 },
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

/** Two states that read the same once case and runs of spaces are set aside: their direction is nothing. */
export function sameStates(a: string, b: string): boolean {
  const plain = (text: string) => text.normalize('NFC').toLowerCase().replace(/\s+/gu, ' ').trim();
  return plain(a) === plain(b);
}

function fail(field: keyof RenderRequest, message: string): never {
  throw new AppError('InvalidRequest', message, field);
}

function checkText(field: 'prompt' | 'state1' | 'state2', value: unknown, label: string): string {
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

function checkNumber(field: keyof RenderRequest, value: unknown, label: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(field, `${label} must be a number between ${min} and ${max}.`);
  if (value < min || value > max) fail(field, `${label} must be between ${min} and ${max} (got ${value}).`);
  return value;
}

function checkInteger(field: keyof RenderRequest, value: unknown, label: string, min: number, max: number): number {
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
  if (sameStates(state1, state2))
    fail('state2', `${SAME_STATES} (“${state1}” and “${state2}”), so every frame would be the same picture: write two different states.`);
  const strength = checkNumber('strength', r.strength, 'Strength', LIMITS.strength.min, LIMITS.strength.max);
  const frames = checkInteger('frames', r.frames, 'The number of frames', LIMITS.frames.min, LIMITS.frames.max);
  if (frames % 2 === 0) fail('frames', `The number of frames must be odd so that one frame sits in the middle (got ${frames}).`);
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
  return { prompt, state1, state2, strength, frames, iterations, steps, seed, width, height, guidanceScale, maxSequenceLength };
}

/** Hangul anywhere in the text: the original Space shows a notice that the model is tuned for English. */
export function hasHangul(text: string): boolean {
  return /[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]/u.test(text);
}
