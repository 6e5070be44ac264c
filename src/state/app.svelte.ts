// The page's state, put together: one client, the language, the form, the models, the run.
import { GeneratorClient } from '../client/generator-client';
import { Locale } from '../i18n/locale.svelte';
import { hasHangul } from '../shared/request';
import { Settings } from './settings.svelte';
import { Session } from './session.svelte';
import { Models } from './models.svelte';

/** How long the shareable URL waits after the last edit before it is rewritten. */
const URL_DEBOUNCE_MS = 250;

export class AppState {
  readonly client = new GeneratorClient();
  readonly locale = Locale.fromPage();
  readonly settings = new Settings();
  readonly session = new Session(this.client);
  readonly models = new Models(this.client, (manifest) => {
    this.settings.applyModel(manifest);
    // Generate was pressed before the model was read: the form is now checked against its limits.
    if (this.#generateWhenRead) {
      this.#generateWhenRead = false;
      if (this.notice === this.locale.t.form.waitingForModel) this.notice = null;
      this.generate();
    }
  });
  #generateWhenRead = false;

  /** A short confirmation (link copied), announced politely. */
  notice = $state<string | null>(null);

  /** Hangul in any text the run encodes: the prompt, every state of the timeline, the second axis's states when it is on. */
  readonly korean: boolean = $derived(
    hasHangul(
      [this.settings.prompt, ...this.settings.timeline, ...(this.settings.axis2On ? [this.settings.axis2.state1, this.settings.axis2.state2] : [])].join('\n'),
    ),
  );
  readonly shareQuery: string = $derived(this.settings.query(this.models.choice === 'custom' ? this.models.customUrl.trim() : undefined));

  constructor(search: string) {
    this.settings.restore(search);
    if (this.settings.linkedModel) this.models.customUrl = this.settings.linkedModel;
  }

  /** Starts what the page needs once it is on screen; returns the cleanup. */
  start(): () => void {
    void this.models.init();
    const stopUrlSync = $effect.root(() => {
      $effect(() => {
        const query = this.shareQuery;
        const timer = setTimeout(
          () => history.replaceState(history.state, '', `${location.pathname}?${query}${location.hash}`),
          URL_DEBOUNCE_MS,
        );
        return () => clearTimeout(timer);
      });
    });
    const release = () => this.client.terminate('The page was closed.');
    addEventListener('pagehide', release);
    return () => {
      stopUrlSync();
      removeEventListener('pagehide', release);
    };
  }

  /** Checks the form and, when it is valid, runs it. Returns false when a field needs fixing. */
  generate(): boolean {
    if (this.session.running) return true;
    // Until the built-in model is read, the form knows neither its sizes nor its limits (and the worker would
    // refuse a size the form let through): the run starts as soon as it is read.
    const { choice, builtIn, builtInError } = this.models;
    if (choice === 'builtin' && !builtIn && !builtInError) {
      this.#generateWhenRead = true;
      this.notice = this.locale.t.form.waitingForModel;
      return true;
    }
    const checked = this.settings.prepare();
    if (!checked.ok) return false;
    void this.session.run(this.models.activeSource, checked.job.request, checked.job.video).then(() => {
      const name = this.session.error?.name;
      if (name === 'StorageEvicted' || name === 'StorageDamaged') void this.models.storedDataChanged();
    });
    return true;
  }

  /** Keeps the seed of the last run, turning "randomize" off. */
  keepSeed(): void {
    const seed = this.session.result?.seed;
    if (seed === undefined) return;
    this.settings.set({ seed, randomizeSeed: false });
  }

  async copyLink(): Promise<void> {
    const url = `${location.origin}${location.pathname}?${this.shareQuery}`;
    const t = this.locale.t;
    try {
      await navigator.clipboard.writeText(url);
      this.notice = t.form.linkCopied;
    } catch {
      this.notice = t.form.linkCopyFailed;
    }
  }
}
