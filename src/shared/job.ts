// Everything one job needs, checked in one place before any work starts: the render request
// (validateRequest) and the video options the form sets (the encoder's own rules, resolveVideoOptions).
import { validateRequest, type RenderRequest, type SizeLimits } from './request';
import type { VideoOptions } from './video-api';
import { resolveVideoOptions } from './video-options';

/** The video options a person sets with a job. */
export type JobVideo = Required<Pick<VideoOptions, 'fps' | 'loop' | 'holdLastMs'>>;

/** What the form hands over for one job. */
export type JobInput = RenderRequest & JobVideo;

/** A job that passed every check: what the engine renders and what the encoder makes of it. */
export interface Job {
  request: RenderRequest;
  video: JobVideo;
}

/**
 * Checks the request, then the video options; throws the first InvalidRequest AppError, whose `field`
 * names the input. Unlike the worker, where a missing option means its default, a missing value here
 * is an emptied field, so it is refused.
 */
export function validateJob(input: JobInput, sizeLimits?: SizeLimits): Job {
  const request = validateRequest(input, sizeLimits);
  const { fps, loop, holdLastMs } = resolveVideoOptions({
    fps: input.fps ?? null,
    loop: input.loop ?? null,
    holdLastMs: input.holdLastMs ?? null,
  } as unknown as VideoOptions);
  return { request, video: { fps, loop, holdLastMs } };
}
