// One model assembled in the browser from public weight files (docs/assembly.md): what it will
// download and store, its licence acceptance, the assembly's progress, and the bundle it produced.
import type { BundleInfo, BundleSource, JobId } from '../shared/api';
import type { AssemblyPlan, AssemblyResult, SourceDescription } from '../shared/assemble-api';
import type { EventSink, GeneratorEvent } from '../shared/events';
import { isAbort } from '../shared/errors';
import { sourceSizes, toSourceDescription, type ListedSource, type SourceSizes } from '../shared/sources';
import { downloadProgress, EtaEstimator, type DownloadProgress } from './progress-math';
import { toShown as shown, type ShownError } from './shown-error';

/** What this state needs from the worker (GeneratorClient provides it; see Models). */
export interface AssemblerPort {
  newJobId(): JobId;
  planAssembly(source: SourceDescription): Promise<AssemblyPlan>;
  assemble(job: JobId, source: SourceDescription, onEvent: EventSink): Promise<AssemblyResult>;
  cancel(job: JobId): Promise<void>;
  inspectBundle(source: BundleSource): Promise<BundleInfo>;
  deleteBundle(id: string): Promise<unknown>;
}

export class SourceModel {
  readonly source: ListedSource;
  readonly sizes: SourceSizes;
  /** The contract's form; null while a copied file's size or hash is unknown (the assembler needs both). */
  readonly description: SourceDescription;

  plan = $state.raw<AssemblyPlan | null>(null);
  planError = $state.raw<ShownError | null>(null);
  /** The licence was read and accepted: nothing is fetched before. */
  accepted = $state(false);
  assembling = $state(false);
  progress = $state.raw<DownloadProgress | null>(null);
  error = $state.raw<ShownError | null>(null);
  /** The assembled bundle, opened: the manifest URL the engine is given, and its manifest read back. */
  opened = $state.raw<{ manifestUrl: string; info: BundleInfo } | null>(null);

  #port: AssemblerPort;
  #job: JobId | null = null;
  #eta = new EtaEstimator();

  constructor(source: ListedSource, port: AssemblerPort) {
    this.source = source;
    this.sizes = sourceSizes(source);
    this.description = toSourceDescription(source);
    this.#port = port;
  }

  get id(): string {
    return this.source.id;
  }

  /** The button's state: licence accepted and nothing running. */
  get canAssemble(): boolean {
    return this.accepted && !this.assembling;
  }

  /** Asks what an assembly would download and store (reads the template; no weight byte moves). */
  async refreshPlan(): Promise<void> {
    try {
      this.plan = await this.#port.planAssembly(this.description);
      this.planError = null;
      // Complete in the store: its licence was accepted when it was assembled on this device.
      if (this.plan.complete) this.accepted = true;
    } catch (error) {
      this.planError = shown(error);
    }
  }

  /**
   * Assembles the bundle (or, when the store already holds it complete, only opens it) and reads its
   * manifest. Resolves true when the bundle is ready to use.
   */
  async assemble(): Promise<boolean> {
    if (!this.accepted || this.assembling) return false;
    const job = this.#port.newJobId();
    this.#job = job;
    this.assembling = true;
    this.error = null;
    this.#eta.reset();
    // The assembler counts progress in bundle bytes in the store (resumed ones included), as the plan does.
    this.progress = { loaded: this.plan?.cachedBytes ?? 0, total: this.plan?.storedBytes ?? this.sizes.total, bytesPerSecond: 0, file: '' };
    try {
      const result = await this.#port.assemble(job, this.description, (event) => this.#onEvent(job, event));
      return await this.open(result.manifestUrl);
    } catch (error) {
      if (!isAbort(error)) this.error = shown(error);
      return false;
    } finally {
      this.#job = null;
      this.assembling = false;
      this.progress = null;
      await this.refreshPlan();
    }
  }

  /** Reads the manifest of the assembled bundle as the store holds it (works offline). */
  async open(manifestUrl: string): Promise<boolean> {
    try {
      this.opened = { manifestUrl, info: await this.#port.inspectBundle({ manifestUrl }) };
      return true;
    } catch (error) {
      this.error = shown(error);
      return false;
    }
  }

  /** Deletes the assembled bundle from this device; the licence must be accepted again to rebuild it. */
  async remove(): Promise<void> {
    try {
      await this.#port.deleteBundle(this.source.id);
      this.opened = null;
      this.accepted = false;
    } catch (error) {
      this.error = shown(error);
    }
    await this.refreshPlan();
  }

  async cancel(): Promise<void> {
    if (this.#job) await this.#port.cancel(this.#job);
  }

  #onEvent(job: JobId, event: GeneratorEvent): void {
    if (job !== this.#job) return;
    if (event.type === 'wait' && this.progress) this.progress = { ...this.progress, wait: { cause: event.cause, ms: event.ms } };
    if (event.type === 'download') this.progress = downloadProgress(event, this.#eta, performance.now());
  }
}
