/** Worker → UI events. Numbers only: the UI writes the sentences (src/ui, i18n). */

export type StageName = 'download' | 'load' | 'text' | 'direction' | 'denoise' | 'decode' | 'video' | 'done';

export type Backend = 'webgpu' | 'wasm';

/** Why a download pauses before its next try: the host said how long (Retry-After), it answered 408/429/5xx, or the connection broke. */
export type WaitCause = 'host-asked' | 'host-busy' | 'connection';

export type GeneratorEvent =
  | { type: 'stage'; stage: StageName }
  /** The execution provider the engine runs on; `reason` says why it is not WebGPU. */
  | { type: 'backend'; backend: Backend; reason?: string }
  | { type: 'progress'; stage: StageName; done: number; total: number; frame?: number; frames?: number; step?: number; steps?: number }
  /**
   * A finished frame as RGBA pixels (transferred, not copied). Frames arrive coarse to fine (the ends
   * and the middle first), not in index order; cached frames arrive first.
   */
  | { type: 'frame'; index: number; count: number; scale: number; width: number; height: number; rgba: Uint8ClampedArray; place?: FramePlace }
  /**
   * The walk's layout, sent before its first frame (again if even spacing moves the frames): `columns` x `rows`
   * frames (index = row·columns + column), and the column each state of the timeline sits on.
   */
  | ({ type: 'walk' } & WalkLayout)
  | { type: 'download'; file: string; loaded: number; total: number; bundleLoaded: number; bundleTotal: number; bytesPerSecond: number }
  /** Model store: a downloaded file checked against its sha256. `ok: false` discards it; it is fetched again while attempt < attempts. */
  | { type: 'verify'; file: string; ok: boolean; attempt: number; attempts: number }
  /** A stored bundle's files checked against their sha256 before a run uses them (a worker's first job): done of total. */
  | { type: 'check'; done: number; total: number }
  /** A download pauses `ms` before trying `file` again; the next 'download' event ends the pause. */
  | { type: 'wait'; file: string; ms: number; cause: WaitCause }
  | { type: 'warning'; code: string; detail?: string };

export type EventSink = (event: GeneratorEvent) => void;

/** How a job's frames are laid out: `columns` x `rows` (index = row·columns + column). */
export interface WalkLayout {
  columns: number;
  rows: number;
  /** The column each state of the timeline sits on (the 1st state on 0, the 2nd on columns − 1). */
  stateColumns: number[];
  spacing: 'uniform' | 'even';
  /** Even spacing only: what it measured. */
  evenness?: Evenness;
}

/** Where a frame sits: its grid cell, its place on the walk and its scales. */
export interface FramePlace {
  column: number;
  row: number;
  /** The timeline's segment (0: from the 1st state to the next) and how far along it, 0..1. */
  segment: number;
  along: number;
  /** The state this frame sits on (index into the timeline), when it sits on one. */
  state?: number;
  /** The second axis's scale (0 without one), before normalising. */
  scale2: number;
}

/**
 * What even spacing measured: the coefficient of variation (sd / mean) of adjacent frames' mean absolute
 * pixel change for the uniform walk and for the placed frames, and how many frames were rendered in all.
 */
export interface Evenness {
  uniformCv: number;
  evenCv: number;
  renders: number;
  /** The same CVs for the RMS change of the final latents, when every frame was rendered by this job (not cached). */
  uniformLatentCv?: number;
  evenLatentCv?: number;
}
