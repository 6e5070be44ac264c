import type { BundleManifest, ComponentName } from './manifest';
import type { RenderRequest } from './request';
import type { Backend, EventSink, FramePlace, WalkLayout } from './events';
import type { StoreApi } from './store-api';
import type { VideoApi } from './video-api';
import type { AssembleApi } from './assemble-api';

/** Identifies one job so that `cancel` is exact and late events of an old job can be dropped. */
export type JobId = string;

/** What this device can do, in facts the UI turns into plain words. */
export interface DeviceReport {
  webgpu: boolean;
  adapter?: { vendor: string; architecture: string; description: string };
  shaderF16: boolean;
  maxBufferSize?: number;
  maxStorageBufferBindingSize?: number;
  /** The limits the engine's GPU device was created with (the adapter's maximum), by WebGPU name. */
  limits?: Record<string, number>;
  /** Features the adapter offers, and those the engine's device uses. */
  adapterFeatures?: string[];
  features?: string[];
  /**
   * Which onnxruntime-web build runs: 'jspi' streams weights from storage to the GPU (Chromium 137+);
   * 'asyncify' holds a component's weights in the page's memory while loading it (other browsers).
   */
  ortBuild?: 'jspi' | 'asyncify';
  /** Bytes of onnxruntime-web's wasm heap now (CPU-placed weights live there; never shrinks). */
  wasmHeapBytes?: number;
  crossOriginIsolated: boolean;
  threads: number;
  /** Why WebGPU cannot be used, when it cannot. */
  reason?: string;
}

/** Where a bundle comes from: a URL of its manifest (relative URLs resolve against the app). */
export interface BundleSource {
  manifestUrl: string;
}

export interface BundleInfo {
  manifest: BundleManifest;
  totalBytes: number;
  bytesByComponent: Record<ComponentName, number>;
}

export interface FrameInfo {
  index: number;
  scale: number;
  /** Taken from the frame cache (an earlier job rendered it with the same inputs). */
  cached: boolean;
  place: FramePlace;
}

export interface RenderResult {
  seed: number;
  backend: Backend;
  width: number;
  height: number;
  frames: FrameInfo[];
  /** The grid and where the timeline's states sit (also sent as the `walk` event). */
  layout: WalkLayout;
  /** Milliseconds spent per stage, for the benchmark and the UI's "took" line. */
  timings: Record<string, number>;
}

/** The engine's part of the worker contract. */
export interface EngineApi {
  /** A typed round trip, used by the app to know the worker is alive. */
  ping(): Promise<{ ok: true; crossOriginIsolated: boolean }>;
  probe(): Promise<DeviceReport>;
  /** Reads and checks a bundle's manifest; no weights move. */
  inspectBundle(source: BundleSource): Promise<BundleInfo>;
  /** Renders all frames of a job; frames stream to `onEvent` as they finish. */
  render(job: JobId, source: BundleSource, request: RenderRequest, onEvent: EventSink): Promise<RenderResult>;
  /** Stops a running job at its next step; the job then rejects with an AbortError. */
  cancel(job: JobId): Promise<void>;
}

/** The whole worker contract: engine, model store, video, assembler. */
export type GeneratorApi = EngineApi & StoreApi & VideoApi & AssembleApi;
