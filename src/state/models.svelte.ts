// Which model is in use, what this device can do, and (through the store) what is downloaded.
import type { GeneratorClient } from '../client/generator-client';
import type { BundleInfo, BundleSource, DeviceReport, JobId } from '../shared/api';
import { bundleFiles, type BundleManifest } from '../shared/manifest';
import type { GeneratorEvent } from '../shared/events';
import type { DownloadPlan, StorageEstimate, StorageReport, StoredBundle } from '../shared/store-api';
import { preflight, type MachineFacts, type Preflight } from '../shared/preflight';
import { BUILT_IN_BUNDLE } from '../shared/models';
import { AppError, isAbort } from '../shared/errors';
import { isAssembledUrl } from '../shared/assemble-api';
import { policyRefusal } from '../shared/csp';
import { absoluteUrl, parseModelList, parsePasted, parseSource, SourceError, type ModelEntry } from '../shared/sources';
import { deviceVerdict, downloadProgress, EtaEstimator, type DeviceVerdict, type DownloadProgress } from './progress-math';

import { toShown as shown, type ShownError } from './shown-error';
import { SourceModel, type AssemblerPort } from './source-model.svelte';

/** The built-in bundle, a bundle URL ("custom"), or a model assembled from public files ("source"). */
export type ModelChoice = 'builtin' | 'custom' | 'source';

/** A model list or a pasted description that does not parse: where, and what kind of problem (worded by i18n). */
export interface ShownSourceProblem {
  problem: SourceError['problem'];
  at: string;
  detail: string;
}

function shownProblem(error: unknown): ShownSourceProblem | null {
  return error instanceof SourceError ? { problem: error.problem, at: error.at, detail: error.message } : null;
}

/** navigator.deviceMemory (GB, coarse), where the browser has it. */
function deviceMemoryGb(): number | undefined {
  return (navigator as Navigator & { deviceMemory?: number }).deviceMemory;
}

/** The app's root, against which the model list's relative URLs (and pasted text's) resolve. */
function appBase(): string {
  return absoluteUrl(import.meta.env.BASE_URL, location.href);
}

/** Where the last pasted source description is kept between visits (the page's localStorage). */
const PASTED_KEY = 'time-stream:pasted-source';
type RememberedPaste = { value: unknown; base: string };

function rememberPasted(paste: RememberedPaste | null): void {
  try {
    if (paste) localStorage.setItem(PASTED_KEY, JSON.stringify(paste));
    else localStorage.removeItem(PASTED_KEY);
  } catch {
    // No localStorage (a sandboxed frame, storage off): the paste is simply not remembered.
  }
}

function rememberedPasted(): RememberedPaste | null {
  try {
    const text = localStorage.getItem(PASTED_KEY);
    return text ? (JSON.parse(text) as RememberedPaste) : null;
  } catch {
    return null;
  }
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

  /** The model list (public/models/sources.json); the built-in model works without it. */
  entries = $state.raw<ModelEntry[]>([]);
  listError = $state.raw<ShownSourceProblem | ShownError | null>(null);
  /** The list's source descriptions, and one pasted (or fetched from a pasted URL), each assemblable. */
  sources = $state.raw<SourceModel[]>([]);
  pasted = $state.raw<SourceModel | null>(null);
  pasteProblem = $state.raw<ShownSourceProblem | null>(null);

  choice = $state<ModelChoice>('builtin');
  /** The assembled model in use when `choice` is 'source'. */
  chosenSource = $state.raw<SourceModel | null>(null);

  readonly activeSource: BundleSource = $derived(
    this.choice === 'custom' && this.custom
      ? { manifestUrl: this.checkedUrl }
      : this.choice === 'source' && this.chosenSource?.opened
        ? { manifestUrl: this.chosenSource.opened.manifestUrl }
        : BUILT_IN_BUNDLE,
  );
  readonly activeInfo: BundleInfo | null = $derived(
    this.choice === 'custom' && this.custom
      ? this.custom
      : this.choice === 'source'
        ? (this.chosenSource?.opened?.info ?? null)
        : this.builtIn,
  );
  readonly verdict: DeviceVerdict | null = $derived(this.device ? deviceVerdict(this.device, this.activeInfo, deviceMemoryGb()) : null);
  /**
   * Whether this machine can take the checked bundle, before it is downloaded. A manifest lists files,
   * not tensors: its largest file only bounds its largest tensor, so that check can only warn.
   */
  readonly bundlePreflight: Preflight | null = $derived.by(() => {
    const info = this.custom;
    if (!info) return null;
    const plan = this.plan;
    const toStore = plan?.downloadBytes ?? info.totalBytes;
    const needs = {
      largestFileBytes: Math.max(0, ...bundleFiles(info.manifest).map((f) => f.bytes)),
      stageBytes: Math.max(0, ...Object.values(info.bytesByComponent)),
      largestComponentBytes: Math.max(0, ...Object.values(info.bytesByComponent)),
      downloadBytes: toStore,
      storeBytes: toStore,
    };
    return preflight(needs, { ...this.machineFacts(plan?.estimate), persisted: plan?.persisted ?? this.storage?.persisted });
  });
  /**
   * Bundles this device holds that were added by address (not the built-in one, not the list's, not one
   * assembled here), besides the one checked now: after a reload they are offered again, so a download
   * that stopped resumes where it stopped and a stored one can be used, without typing the address again.
   */
  readonly rememberedBundles: StoredBundle[] = $derived.by(() => {
    const listed = [
      absoluteUrl(BUILT_IN_BUNDLE.manifestUrl, location.href),
      ...this.entries.flatMap((e) => (e.kind === 'bundle' ? [e.manifestUrl] : [])),
    ];
    return (this.storage?.bundles ?? []).filter(
      (b) => !listed.includes(b.manifestUrl) && !isAssembledUrl(b.manifestUrl) && !(this.custom && b.id === this.custom.manifest.id),
    );
  });
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
      this.loadList(),
    ]);
    await this.restorePasted();
  }

  /**
   * Reads and checks the model list; a broken or unreachable list is reported and leaves the built-in
   * model usable. The built site precaches it (src/pwa), so offline it is read from there.
   */
  async loadList(): Promise<void> {
    const url = absoluteUrl('models/sources.json', appBase());
    try {
      const response = await fetch(url);
      if (!response.ok) throw new AppError(response.status === 404 ? 'NotFound' : 'DownloadFailed', `${url} answered ${response.status}.`);
      const list = parseModelList(await response.text(), appBase(), absoluteUrl(BUILT_IN_BUNDLE.manifestUrl, location.href));
      this.entries = list.models;
      this.sources = list.models.flatMap((m) => (m.kind === 'source' ? [new SourceModel(m.source, this.#assembler())] : []));
      this.listError = null;
      await Promise.all(this.sources.map((s) => s.refreshPlan()));
    } catch (error) {
      this.listError = shownProblem(error) ?? shown(error);
    }
  }

  async refreshStorage(): Promise<void> {
    try {
      this.storage = await this.#client.api.storage();
    } catch {
      // The storage line then says "not known"; nothing else depends on it.
      this.storage = null;
    }
  }

  /**
   * Reads what was pasted: a source description (JSON) becomes an assemblable model; an address is
   * fetched once to tell a source description from a bundle manifest, whose size is then checked
   * as before (no weights move either way).
   */
  async check(input = this.customUrl): Promise<void> {
    this.custom = null;
    this.plan = null;
    this.customError = null;
    this.pasteProblem = null;
    if (this.choice === 'custom' || (this.choice === 'source' && this.chosenSource === this.pasted)) this.use('builtin');
    this.pasted = null;
    rememberPasted(null);
    if (!input.trim()) return;
    this.checking = true;
    try {
      const pasted = parsePasted(input, appBase());
      if (pasted.kind === 'source') {
        rememberPasted({ value: JSON.parse(input.trim()) as unknown, base: appBase() });
        return await this.#setPasted(pasted.source);
      }
      const described = await this.#fetchDescription(pasted.url);
      if (described) {
        rememberPasted({ value: described, base: pasted.url });
        return await this.#setPasted(parseSource(described, pasted.url));
      }
      await this.#checkBundle(pasted.url);
    } catch (error) {
      const problem = shownProblem(error);
      if (problem) this.pasteProblem = problem;
      else this.customError = shown(error);
    } finally {
      this.checking = false;
    }
  }

  /**
   * The source description pasted on an earlier visit (by text or by address), shown again so that an
   * assembly that stopped resumes, and an assembled model is found, without pasting it again. Read from
   * what was remembered, not fetched: it works offline.
   */
  async restorePasted(): Promise<void> {
    const remembered = rememberedPasted();
    if (!remembered || this.pasted || this.customUrl) return;
    try {
      await this.#setPasted(parseSource(remembered.value, remembered.base));
    } catch {
      rememberPasted(null); // no longer a valid description (the format moved on): forget it
    }
  }

  async #setPasted(source: SourceModel['source']): Promise<void> {
    const model = new SourceModel(source, this.#assembler());
    this.pasted = model;
    await model.refreshPlan();
  }

  /** The JSON at `url` when it is a source description; null for anything else (a bundle manifest, an error: the bundle check reports those). */
  async #fetchDescription(url: string): Promise<unknown> {
    const since = performance.now();
    try {
      const response = await fetch(url);
      if (!response.ok) return null;
      const value: unknown = await response.json();
      return (value as { format?: unknown } | null)?.format === 'time-stream-source' ? value : null;
    } catch {
      // Refused by the page's policy: said as such (the worker's own fetch would be refused or not by
      // another policy: its script's header, not this page's <meta>).
      const refused = await policyRefusal(url, since);
      if (refused) throw refused;
      return null;
    }
  }

  /** Reads a bundle's manifest and what a download would move; no weights move. */
  async #checkBundle(manifestUrl: string): Promise<void> {
    const source = { manifestUrl };
    const [info, plan] = await Promise.all([
      this.#client.api.inspectBundle(source),
      this.#client.api.planDownload(source).catch(() => null),
    ]);
    this.custom = info;
    this.plan = plan;
    this.checkedUrl = manifestUrl;
  }

  /**
   * Assembles a listed or pasted model (for one already complete in the store this only opens it)
   * and, when it is ready, puts it in use.
   */
  async assemble(model: SourceModel): Promise<void> {
    if (await model.assemble()) {
      await this.refreshStorage();
      await this.useSource(model);
    }
  }

  async removeSource(model: SourceModel): Promise<void> {
    if (this.choice === 'source' && this.chosenSource === model) this.use('builtin');
    await model.remove();
    await this.refreshStorage();
  }

  /** What the browser reveals of this machine (`estimate`: a fresher one than the storage report's). */
  machineFacts(estimate?: StorageEstimate): MachineFacts {
    return {
      device: this.device,
      estimate: estimate ?? this.storage?.estimate,
      persisted: this.storage?.persisted,
      deviceMemoryGb: deviceMemoryGb(),
    };
  }

  /**
   * Whether this machine can take a listed or pasted model, said before its licence is accepted: its
   * largest tensor (exact, from the template once the plan has read it) and what it must store.
   */
  preflightFor(model: SourceModel): Preflight {
    const plan = model.plan;
    const needs = {
      largestTensorBytes: plan?.largestTensorBytes,
      stageBytes: model.source.gpu_memory_bytes,
      largestComponentBytes: plan ? Math.max(0, ...Object.values(plan.byComponent).map((c) => c.storedBytes)) : undefined,
      downloadBytes: plan?.downloadBytes ?? model.sizes.total,
      storeBytes: plan ? plan.storedBytes - plan.cachedBytes : model.sizes.total,
    };
    return preflight(needs, this.machineFacts(plan?.estimate));
  }

  /** The assembled bundle of `model` as the store holds it, complete, if it does. */
  storedBundle(model: SourceModel): StoredBundle | null {
    return this.storage?.bundles.find((b) => b.id === model.id && b.state === 'complete') ?? null;
  }

  /** Whether `model` is assembled on this device (now, or at an earlier visit). */
  isStored(model: SourceModel): boolean {
    return model.opened !== null || model.plan?.complete === true || this.storedBundle(model) !== null;
  }

  /**
   * Puts an assembled model in use: opened already, or opened from the store (offline too), or, where
   * only the plan knows it complete, through an assembly with nothing left to do.
   */
  async useSource(model: SourceModel): Promise<void> {
    if (!model.opened) {
      const stored = this.storedBundle(model);
      if (stored) await model.open(stored.manifestUrl);
      else if (model.plan?.complete) await model.assemble();
    }
    if (!model.opened) return;
    this.chosenSource = model;
    this.choice = 'source';
    this.#onActivate(model.opened.info.manifest);
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

  use(choice: 'builtin' | 'custom'): void {
    const info = choice === 'custom' ? this.custom : this.builtIn;
    if (!info) return;
    this.choice = choice;
    this.#onActivate(info.manifest);
  }

  /** The worker's assembler, as SourceModel needs it. */
  #assembler(): AssemblerPort {
    const client = this.#client;
    return {
      newJobId: () => client.newJobId(),
      planAssembly: (source) => client.api.planAssembly(source),
      assemble: (job, source, onEvent) => client.assemble(job, source, onEvent),
      cancel: (job) => client.cancel(job),
      inspectBundle: (source) => client.api.inspectBundle(source),
      deleteBundle: (id) => client.api.deleteBundle(id),
    };
  }

  /**
   * After a run found the active model's stored data gone or damaged (the store un-committed it): the
   * panel reads the store again, so it offers the download of the missing part without a reload.
   */
  async storedDataChanged(): Promise<void> {
    await Promise.all([this.#replan(), ...this.sources.map((s) => s.refreshPlan()), ...(this.pasted ? [this.pasted.refreshPlan()] : [])]);
  }

  async #replan(): Promise<void> {
    await this.refreshStorage();
    if (this.custom) this.plan = await this.#client.api.planDownload({ manifestUrl: this.checkedUrl }).catch(() => this.plan);
  }

  #onEvent(job: JobId, event: GeneratorEvent): void {
    if (job !== this.#downloadJob) return;
    if (event.type === 'wait' && this.progress) this.progress = { ...this.progress, wait: { cause: event.cause, ms: event.ms } };
    if (event.type === 'download') this.progress = downloadProgress(event, this.#eta, performance.now());
  }
}
