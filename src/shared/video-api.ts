/** The video and strip part of the worker contract (workers/video). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface VideoApi {}
