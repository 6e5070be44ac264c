// A worker with only the video part of the API plus a way to put frames in its store: tests the
// comlink path (proxied events, transferred results, cancelVideo) without loading the engine.
import { expose } from 'comlink';
import { video } from '../../workers/video/api';
import { rememberFrames, type FrameSet } from '../../workers/frame-store';

const api = {
  ...video,
  async remember(set: FrameSet) {
    rememberFrames(set);
  },
};

export type VideoWorkerApi = typeof api;

expose(api);
