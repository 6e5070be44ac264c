import type { GeneratorApi } from '../src/shared/api';
import { engine } from './engine';

/** The worker's implementation of the contract; `satisfies` keeps it in step with src/shared/api.ts. */
export const api = {
  ...engine,
} satisfies GeneratorApi;
