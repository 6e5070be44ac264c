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
  | { type: 'frame'; index: number; count: number; scale: number; width: number; height: number; rgba: Uint8ClampedArray }
  | { type: 'download'; file: string; loaded: number; total: number; bundleLoaded: number; bundleTotal: number; bytesPerSecond: number }
  /** Model store: a downloaded file checked against its sha256. `ok: false` discards it; it is fetched again while attempt < attempts. */
  | { type: 'verify'; file: string; ok: boolean; attempt: number; attempts: number }
  /** A stored bundle's files checked against their sha256 before a run uses them (a worker's first job): done of total. */
  | { type: 'check'; done: number; total: number }
  /** A download pauses `ms` before trying `file` again; the next 'download' event ends the pause. */
  | { type: 'wait'; file: string; ms: number; cause: WaitCause }
  | { type: 'warning'; code: string; detail?: string };

export type EventSink = (event: GeneratorEvent) => void;
