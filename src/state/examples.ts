// Examples that fill the form: the original Space's three, then past-to-future ones of ours.
import type { FormSettings } from './form-settings';

export type Example = Pick<FormSettings, 'prompt' | 'state1' | 'state2' | 'strength'>;

export const EXAMPLES: readonly Example[] = [
  { prompt: 'a dog in the park', state1: 'winter', state2: 'summer', strength: 1.5 },
  { prompt: 'a house', state1: 'USA suburb', state2: 'Europe', strength: 2.5 },
  { prompt: 'a tomato', state1: 'rotten', state2: 'super fresh', strength: 2.5 },
  { prompt: 'a city street', state1: '1900', state2: '2100', strength: 2 },
  { prompt: 'a kitchen', state1: '1950s', state2: '2050s', strength: 2 },
  { prompt: 'a mobile phone', state1: '1990', state2: '2030', strength: 1.5 },
];
