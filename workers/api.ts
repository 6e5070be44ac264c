import type { GeneratorApi } from '../src/shared/api';
import { assemble } from './assemble/api';
import { engine } from './engine';
import { store } from './store/api';
import { video } from './video/api';

/** The worker's implementation of the contract; `satisfies` keeps it in step with src/shared/api.ts. */
export const api = {
  ...engine,
  ...store,
  ...video,
  ...assemble,
} satisfies GeneratorApi;
