/** The model store's part of the worker contract (workers/store). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface StoreApi {}
