// Which model is in use, what this device can do, and (through the store) what is downloaded.
import type { GeneratorClient } from '../client/generator-client';
import type { BundleInfo, BundleSource, DeviceReport, JobId } from '../shared/api';
import type { BundleManifest } from '../shared/manifest';
import type { GeneratorEvent } from '../shared/events';
import type { DownloadPlan, StorageReport } from '../shared/store-api';
import { BUILT_IN_BUNDLE } from '../shared/models';
import { isAbort } from '../shared/errors';
import { deviceVerdict, EtaEstimator, type DeviceVerdict } from './progress-math';
import { toShown as shown, type ShownError } from './shown-error';

export type ModelChoice = 'builtin' | 'custom';

/** Bytes moved so far by a running download. */
export interface DownloadProgress {
  loaded: number;
  total: number;
  bytesPerSecond: number;
  file: string;
  etaMs?: number;
}

export class Models {
  builtIn = $state.raw<BundleInfo | null>(null);
  builtInError = $state.raw<ShownError | null>(null);
  device = $state.raw<DeviceReport | null>(null);
  isolated = $state<boolean | null>(null);

  /** The bundle URL typed in the panel (or brought by a shared link): nothing is fetched until "Check". */
  customUrl = $state('');
  /** The URL that `custom` and `plan` describe. */
  checkedUrl = $state('');
  custom = $state.raw<BundleInfo | null>(null);
  plan = $state.raw<DownloadPlan | null>(null);
  customError = $state.raw<ShownError | null>(null);
  checking = $state(false);

  downloading = $state(false);
  progress = $state.raw<DownloadProgress | null>(null);
  storage = $state.raw<StorageReport | null>(null);

  choice = $state<ModelChoice>('builtin');

  readonly activeSource: BundleSource = $derived(
    this.choice === 'custom' && this.custom ? { manifestUrl: this.checkedUrl } : BUILT_IN_BUNDLE,
  );
  readonly activeInfo: BundleInfo | null = $derived(this.choice === 'custom' && this.custom ? this.custom : this.builtIn);
  readonly verdict: DeviceVerdict | null = $derived(
    this.device ? deviceVerdict(this.device, this.activeInfo, (navigator as Navigator & { deviceMemory?: number }).deviceMemory) : null,
  );
  /** The checked bundle as the store holds it, if it does. */
  readonly stored = $derived(this.storage?.bundles.find((b) => this.custom && b.id === this.custom.manifest.id) ?? null);

  #client: GeneratorClient;
  #onActivate: (manifest: BundleManifest) => void;
  #downloadJob: JobId | null = null;
  #eta = new EtaEstimator();

  /** `onactivate` hears of each model that comes into use (the form follows its size limits). */
  constructor(client: GeneratorClient, onactivate: (manifest: BundleManifest) => void) {
    this.#client = client;
    this.#onActivate = onactivate;
  }

  /** Wakes the worker, reads the built-in bundle's manifest, probes the device, reads storage use. */
  async init(): Promise<void> {
    const api = this.#client.api;
    const pong = await api.ping().catch(() => null);
    this.isolated = pong?.crossOriginIsolated ?? null;
    await Promise.all([
      api.inspectBundle(BUILT_IN_BUNDLE).then(
        (info) => {
          this.builtIn = info;
          if (this.choice === 'builtin') this.#onActivate(info.manifest);
        },
        (error: unknown) => (this.builtInError = shown(error)),
      ),
      api.probe().then(
        (report) => (this.device = report),
        (error: unknown) =>
          (this.device = { webgpu: false, shaderF16: false, crossOriginIsolated: false, threads: 1, reason: shown(error).detail }),
      ),
      this.refreshStorage(),
    ]);
  }

  async refreshStorage(): Promise<void> {
    try {
      this.storage = await this.#client.api.storage();
    } catch {
      // The storage line then says "not known"; nothing else depends on it.
      this.storage = null;
    }
  }

  /** Reads a bundle's manifest and what a download would move; no weights move. */
  async check(url = this.customUrl): Promise<void> {
    const manifestUrl = url.trim();
    this.custom = null;
    this.plan = null;
    this.customError = null;
    if (this.choice === 'custom') this.use('builtin');
    if (!manifestUrl) return;
    this.checking = true;
    try {
      const source = { manifestUrl };
      const [info, plan] = await Promise.all([
        this.#client.api.inspectBundle(source),
        this.#client.api.planDownload(source).catch(() => null),
      ]);
      this.custom = info;
      this.plan = plan;
      this.checkedUrl = manifestUrl;
    } catch (error) {
      this.customError = shown(error);
    } finally {
      this.checking = false;
    }
  }

  /** Downloads (or resumes) the checked bundle into the store, asking the browser to keep it. */
  async download(persist: boolean): Promise<void> {
    if (!this.custom || this.downloading) return;
    const job = this.#client.newJobId();
    this.#downloadJob = job;
    this.downloading = true;
    this.customError = null;
    this.#eta.reset();
    this.progress = {
      loaded: this.plan?.cachedBytes ?? 0,
      total: this.plan?.totalBytes ?? this.custom.totalBytes,
      bytesPerSecond: 0,
      file: '',
    };
    try {
      await this.#client.download(job, { manifestUrl: this.checkedUrl }, (event) => this.#onEvent(job, event), { persist });
    } catch (error) {
      if (!isAbort(error)) this.customError = shown(error);
    } finally {
      this.#downloadJob = null;
      this.downloading = false;
      this.progress = null;
      await this.#replan();
    }
  }

  async cancelDownload(): Promise<void> {
    if (this.#downloadJob) await this.#client.cancel(this.#downloadJob);
  }

  /** Deletes the checked bundle from this device (every version, complete or partial). */
  async remove(): Promise<void> {
    const id = this.custom?.manifest.id;
    if (!id) return;
    try {
      this.storage = await this.#client.api.deleteBundle(id);
    } catch (error) {
      this.customError = shown(error);
    }
    await this.#replan();
  }

  use(choice: ModelChoice): void {
    const info = choice === 'custom' ? this.custom : this.builtIn;
    if (!info) return;
    this.choice = choice;
    this.#onActivate(info.manifest);
  }

  async #replan(): Promise<void> {
    await this.refreshStorage();
    if (this.custom) this.plan = await this.#client.api.planDownload({ manifestUrl: this.checkedUrl }).catch(() => this.plan);
  }

  #onEvent(job: JobId, event: GeneratorEvent): void {
    if (job !== this.#downloadJob || event.type !== 'download') return;
    const etaMs =
      event.bytesPerSecond > 0
        ? ((event.bundleTotal - event.bundleLoaded) / event.bytesPerSecond) * 1000
        : this.#eta.update(event.bundleLoaded, event.bundleTotal, performance.now());
    this.progress = {
      loaded: event.bundleLoaded,
      total: event.bundleTotal,
      bytesPerSecond: event.bytesPerSecond,
      file: event.file,
      ...(etaMs !== undefined ? { etaMs } : {}),
    };
  }
}
