import type { VideoApi } from '../../src/shared/video-api';

/** The video API methods, spread into the worker's API (workers/api.ts). */
export const video = {} satisfies VideoApi;
