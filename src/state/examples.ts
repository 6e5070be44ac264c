// Examples that fill the form. Which list the page shows depends on the model in use: the built-in world
// model knows only its drawn world, a real FLUX.1-schnell model takes the original Space's.
import type { FormSettings } from './form-settings';

/** An example fills the timeline (with its keyframes, if any) and the strength. */
export type Example = Pick<FormSettings, 'prompt' | 'state1' | 'state2' | 'strength' | 'waypoints'>;

/** The original Space's three, then past-to-future ones of ours: for a real FLUX.1-schnell model. */
export const EXAMPLES: readonly Example[] = [
  { prompt: 'a dog in the park', state1: 'winter', state2: 'summer', strength: 1.5 },
  { prompt: 'a house', state1: 'USA suburb', state2: 'Europe', strength: 2.5 },
  { prompt: 'a tomato', state1: 'rotten', state2: 'super fresh', strength: 2.5 },
  { prompt: 'a city street', state1: '1900', state2: '2100', strength: 2 },
  { prompt: 'a tree in a field', state1: 'spring', waypoints: ['summer', 'autumn'], state2: 'winter', strength: 2 },
  { prompt: 'a kitchen', state1: '1950s', state2: '2050s', strength: 2 },
  { prompt: 'a mobile phone', state1: '1990', state2: '2030', strength: 1.5 },
];

/** The built-in world model's id (public/models/world, trained by tools/train-tiny). */
export const WORLD_MODEL_ID = 'tiny-world-flux-schnell';

/**
 * What the built-in world model draws: its subjects and state pairs (tools/train-tiny/README.md), at
 * strengths whose walks the independent judge sees move across the range in the app's engine
 * (tests/e2e/world.spec.ts; the numbers per seed are in the README's model section).
 */
export const WORLD_EXAMPLES: readonly Example[] = [
  { prompt: 'a tomato', state1: 'super fresh', state2: 'rotten', strength: 2 },
  { prompt: 'a house', state1: 'summer', state2: 'winter', strength: 2 },
  { prompt: 'a tree', state1: 'day', state2: 'night', strength: 2 },
  { prompt: 'a fish', state1: 'summer', state2: 'winter', strength: 2 },
  { prompt: 'a flower', state1: 'day', state2: 'night', strength: 2 },
  { prompt: 'a car', state1: 'day', state2: 'night', strength: 2 },
  // A timeline (tests/e2e/walks.spec.ts judges this loop: snow 0.06 -> 0.94 -> 0.06 at seed 1).
  { prompt: 'a tree', state1: 'summer', waypoints: ['winter'], state2: 'summer', strength: 2 },
];

/** The examples for the model in use (`undefined` while the built-in model is still being read). */
export function examplesFor(modelId: string | undefined): readonly Example[] {
  return modelId === undefined || modelId === WORLD_MODEL_ID ? WORLD_EXAMPLES : EXAMPLES;
}
