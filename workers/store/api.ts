import type { StoreApi } from '../../src/shared/store-api';

/** The store's API methods, spread into the worker's API (workers/api.ts). */
export const store = {} satisfies StoreApi;
