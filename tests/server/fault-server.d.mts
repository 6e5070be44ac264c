// Types of fault-server.mjs, for the TypeScript tests that import it.
import type { BundleManifest } from '../../src/shared/manifest';

export interface SyntheticBundle {
  manifest: BundleManifest;
  files: Map<string, Buffer>;
}

export function makeSyntheticBundle(options?: {
  id?: string;
  displayName?: string;
  shards?: Partial<Record<'clip' | 't5' | 'transformer' | 'decoder', number[]>>;
  graphBytes?: number;
  tokenizerBytes?: number;
}): SyntheticBundle;

/** Every file under `dir`, by its path relative to it (with `/`). */
export function readTree(dir: string): Map<string, Buffer>;

export function changeFiles(bundle: SyntheticBundle, paths: string[]): SyntheticBundle;

/** A fault for the next `times` (default 1) requests whose path ends with `path`. */
export interface FaultRule {
  times?: number;
  /** Answer this status instead of the file. */
  status?: number;
  /** With `status`: a Retry-After header of this many seconds. */
  retryAfter?: number;
  /** Break the connection after this many body bytes. */
  cutAfter?: number;
  /** Send this many body bytes, then hang until the client goes away. */
  stallAfter?: number;
  /** Flip the byte at these absolute file offsets (true: the middle byte). */
  corrupt?: number[] | true;
  /** Answer 200 with the whole file even when a Range is asked for. */
  ignoreRange?: boolean;
  bytesPerSecond?: number;
  /** Serve the file with this many bytes appended (its declared size grows with it). */
  extraBytes?: number;
}

export interface LogEntry {
  method: string;
  path: string;
  range: string | null;
  status: number;
  bytes: number;
  start?: number;
  cut?: boolean;
  stalled?: boolean;
  /** When the request arrived (Date.now()). */
  at: number;
}

export interface ServerStats {
  /** GET requests. */
  requests: number;
  /** Body bytes written for GET requests. */
  bytes: number;
  byPath: Record<string, { requests: number; bytes: number }>;
  log: LogEntry[];
  dropped: number;
}

export interface FaultServer {
  origin: string;
  port: number;
  /** Serves a bundle under /b/<name>/; returns its manifest URL. */
  addBundle(name: string, bundle: SyntheticBundle): string;
  fault(path: string, rule: FaultRule): void;
  clearFaults(): void;
  stats(): ServerStats;
  resetStats(): void;
  close(): Promise<void>;
}

export function startFaultServer(options?: { port?: number }): Promise<FaultServer>;
