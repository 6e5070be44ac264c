// The video part of the worker contract: encodes the frames the worker kept from the last job.
import { releaseProxy, transfer } from 'comlink';
import type { JobId } from '../../src/shared/api';
import { AppError } from '../../src/shared/errors';
import type { EventSink } from '../../src/shared/events';
import type { StripOptions, VideoApi, VideoOptions } from '../../src/shared/video-api';
import { lastFrames } from '../frame-store';
import { encodeVideo } from './encoder';
import { renderStrip } from './strip';

/** Running encode jobs and their cancel flags; its own registry, so the engine's stays the engine's. */
const jobs = new Map<JobId, { cancelled: boolean }>();

/** The video API methods, spread into the worker's API (workers/api.ts). */
export const video = {
  async encodeVideo(job: JobId, options: VideoOptions, onEvent: EventSink) {
    try {
      if (jobs.has(job)) throw new AppError('InvalidRequest', `video job ${job} is already running`);
      const cancel = { cancelled: false };
      jobs.set(job, cancel);
      try {
        onEvent({ type: 'stage', stage: 'video' });
        const result = await encodeVideo(lastFrames(), options, onEvent, cancel);
        // The file moves to the UI; the worker keeps no copy.
        return transfer(result, [result.data]);
      } finally {
        jobs.delete(job);
      }
    } finally {
      // onEvent is a comlink proxy of the UI's callback: close its port once the job settles.
      (onEvent as Partial<Record<typeof releaseProxy, () => void>>)[releaseProxy]?.();
    }
  },

  async renderStrip(options: StripOptions) {
    const result = await renderStrip(lastFrames(), options);
    return transfer(result, [result.data]);
  },

  async cancelVideo(job: JobId) {
    const flag = jobs.get(job);
    if (flag) flag.cancelled = true;
  },
} satisfies VideoApi;
