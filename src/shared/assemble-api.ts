/**
 * The assembler's part of the worker contract (workers/assemble, docs/assembly.md): a bundle built in
 * the browser from public weight files (GGUF, safetensors) and a template of graphs shipped with the app.
 */
import type { JobId } from './api';
import type { EventSink } from './events';
import type { Activations, ComponentName } from './manifest';
import type { StorageEstimate } from './store-api';

/** Which table maps a source file's tensor names onto the graph's parameter names. */
export type SourceNaming = 'flux-bfl' | 't5-llamacpp' | 'clip-hf' | 'taesd-diffusers';

/** One public weight file. */
export interface WeightSource {
  url: string;
  format: 'gguf' | 'safetensors';
  naming: SourceNaming;
  /** The file's exact size: a different Content-Length stops the assembly before any write. */
  bytes: number;
  /** Where the publisher gives one; checked over the whole file. */
  sha256: string | null;
}

/**
 * A file copied as it is (tokenizer files), as in a bundle. `null` size and hash: none is published
 * (small git files); the assembler fetches it once, hashes it, and pins that hash in the bundle.
 */
export interface SourceFile {
  path: string;
  url: string;
  bytes: number | null;
  sha256: string | null;
}

/** A model the app can assemble: one entry of public/models/sources.json, or pasted by the user. */
export interface SourceDescription {
  format: 'time-stream-source';
  format_version: 1;
  /** The assembled bundle's id in the store. */
  id: string;
  display_name: string;
  /** URL of the template.json (relative URLs resolve against the app). */
  template: string;
  /**
   * Optional: a template whose transformer computes in float16 (4-bit weights, float16 scales). Used instead
   * of `template` only when the engine's WebGPU device has shader-f16 (workers/assemble/precision.ts).
   */
  template_f16?: string;
  license: { name: string; url: string; summary: string };
  /** GPU memory the largest stage needs, in bytes (an estimate the UI shows before download). */
  gpu_memory_bytes: number;
  components: Record<ComponentName, WeightSource>;
  files: SourceFile[];
}

/**
 * Why a plan's activations are what they are: the source names one template; the GPU has no shader-f16
 * (float32); it has (float16); it has, but a float32 bundle of this id is stored and kept; the stored
 * bundle (its template could not be reached).
 */
export type ActivationsWhy = 'one-template' | 'no-shader-f16' | 'shader-f16' | 'kept-float32' | 'stored';

/** What an assembly will download and store, known before any weight byte moves. */
export interface AssemblyPlan {
  bundleId: string;
  displayName: string;
  /** Bytes to download from the sources (weight files read whole, plus copied files). */
  downloadBytes: number;
  /** Bytes the assembled bundle occupies in the store. */
  storedBytes: number;
  /** Bytes of it already in the store (a stopped assembly resumes). */
  cachedBytes: number;
  byComponent: Record<ComponentName, { url: string; downloadBytes: number; storedBytes: number }>;
  /** Bytes of the largest single tensor (the template's layouts); absent when the template could not be read. */
  largestTensorBytes?: number;
  /** Already assembled and complete in the store: nothing to do. */
  complete: boolean;
  /**
   * What the transformer of the bundle this plan assembles (or keeps) computes in: float16 only from the
   * source's `template_f16` on a GPU with shader-f16 (workers/assemble/precision.ts).
   */
  activations: Activations;
  /** The template's weight precision (its manifest's `precision`: "q4" for the FLUX template). */
  precision: string;
  /** Why that one: a code, and in words (technical details). */
  activationsWhy: ActivationsWhy;
  activationsReason: string;
  /** The committed bundle of this id, if one is stored: what its transformer computes in. */
  storedActivations?: Activations;
  estimate?: StorageEstimate;
  fits: boolean;
}

export interface AssemblyResult {
  bundleId: string;
  version: string;
  /** What the engine is given to open the assembled bundle (BundleSource.manifestUrl). */
  manifestUrl: string;
  /** What the assembled bundle's transformer computes in (its manifest says the same). */
  activations: Activations;
  downloadedBytes: number;
  writtenBytes: number;
  seconds: number;
  /** Seconds reading + converting source rows, and hashing + storing shard chunks (absent when nothing was written). */
  timings?: { produceSeconds: number; storeSeconds: number };
}

export interface AssembleApi {
  planAssembly(source: SourceDescription): Promise<AssemblyPlan>;
  /**
   * Reads each source once, front to back (hashed as it streams), repacks every tensor into the template's shards and
   * commits the bundle through the store. Progress arrives as 'download' events. Rejects with an
   * AppError: BundleInvalid (unknown quant type, missing tensor, wrong shape — named), DownloadFailed
   * (also a host that ignores Range), NotFound, Offline, QuotaExceeded, IntegrityMismatch, AbortError.
   */
  assemble(job: JobId, source: SourceDescription, onEvent: EventSink): Promise<AssemblyResult>;
  cancelAssembly(job: JobId): Promise<void>;
}

/**
 * How an assembled bundle is addressed: `assembled:<id>` is its BundleSource.manifestUrl. No host
 * serves it; the store answers it from IndexedDB (findCachedBundle, fetchManifest), offline too.
 */
export const ASSEMBLED_SCHEME = 'assembled:';
export const assembledManifestUrl = (bundleId: string): string => `${ASSEMBLED_SCHEME}${encodeURIComponent(bundleId)}`;
export const isAssembledUrl = (url: string): boolean => url.startsWith(ASSEMBLED_SCHEME);
