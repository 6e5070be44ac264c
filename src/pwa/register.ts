// Service-worker registration and the update flow (production builds only; the dev server has none).
//
//   const pwa = registerPwa();
//   pwa.addEventListener('offline-ready', …);     // the first install finished: the app works offline
//   pwa.addEventListener('update-available', …);  // a new version is installed and waiting
//   await pwa.applyUpdate();                      // activate it and reload into it
//
// It also mounts the prompt that tells the user both (src/ui/system/UpdatePrompt.svelte) into #pwa,
// and reloads the page once after the first install so that the service worker's COOP/COEP headers
// make it cross-origin isolated on hosts that cannot send them (guarded: at most once per tab session).
import type { PwaEventName, SwMessage } from './protocol';
import { mountPrompt } from './prompt.svelte';

/** Session flags: one isolation reload per tab session, and the offline note to show after that reload. */
const RELOADED_FOR_ISOLATION = 'time-stream.pwa.isolation-reload';
const OFFLINE_READY_AFTER_RELOAD = 'time-stream.pwa.offline-ready';
const UPDATE_CHECK_MS = 60 * 60 * 1000;

export class PwaController extends EventTarget {
  /** The first install has finished in this tab's lifetime (or just before its isolation reload). */
  offlineReady = false;
  /** A new version is installed and waits for `applyUpdate()`. */
  updateAvailable = false;
  #registration: ServiceWorkerRegistration | undefined;
  #reloadOnActivate = false;

  override addEventListener(
    type: PwaEventName,
    listener: EventListenerOrEventListenerObject | null,
    options?: AddEventListenerOptions | boolean,
  ): void {
    super.addEventListener(type, listener, options);
  }

  /** Activates the waiting version (every open tab switches to it) and reloads this page into it. */
  async applyUpdate(): Promise<void> {
    const waiting = this.#registration?.waiting;
    if (!waiting) {
      // Another tab already activated it: this page only has to reload.
      location.reload();
      return;
    }
    this.#reloadOnActivate = true;
    waiting.postMessage({ type: 'skip-waiting' } satisfies SwMessage);
  }

  /** @internal */
  attach(registration: ServiceWorkerRegistration): void {
    this.#registration = registration;
  }

  /** @internal */
  get reloadOnActivate(): boolean {
    return this.#reloadOnActivate;
  }

  /** @internal */
  emit(type: PwaEventName): void {
    if (type === 'offline-ready') this.offlineReady = true;
    else this.updateAvailable = true;
    this.dispatchEvent(new Event(type));
  }
}

function session(): Storage | undefined {
  try {
    return sessionStorage;
  } catch {
    return undefined; // storage blocked: then no isolation reload either, since it could not be guarded
  }
}

/** Whether to reload once so that the page, now served by the service worker, becomes cross-origin isolated. */
function shouldReloadForIsolation(store: Storage | undefined): boolean {
  if (self.crossOriginIsolated) {
    store?.removeItem(RELOADED_FOR_ISOLATION);
    return false;
  }
  // In a frame, isolation also depends on the parent page (e.g. a Hugging Face Space's wrapper): a reload cannot help.
  if (!store || window.top !== window.self) return false;
  return store.getItem(RELOADED_FOR_ISOLATION) === null;
}

async function start(pwa: PwaController, prompt: { show(kind: PwaEventName): void } | undefined): Promise<void> {
  const container = navigator.serviceWorker;
  const base = import.meta.env.BASE_URL;
  const store = session();
  const firstInstall = !(await container.getRegistration(base))?.active;
  const show = (kind: PwaEventName) => {
    pwa.emit(kind);
    prompt?.show(kind);
  };

  // A waiting worker stays waiting until the user chooses; every open tab is told about it.
  const watch = (worker: ServiceWorker | null) =>
    worker?.addEventListener('statechange', () => {
      if (worker.state === 'installed' && container.controller) show('update-available');
    });
  container.addEventListener('controllerchange', () => {
    if (pwa.reloadOnActivate) location.reload();
    // Another tab activated a new version; this page still runs the old code.
    else if (!firstInstall) show('update-available');
  });

  const registration = await container.register(`${base}sw.js`, { scope: base, updateViaCache: 'none' });
  pwa.attach(registration);
  if (registration.waiting && container.controller) show('update-available');
  watch(registration.installing);
  registration.addEventListener('updatefound', () => watch(registration.installing));

  // Resolves once a worker is active, i.e. after the first install has precached everything.
  await container.ready;
  if (shouldReloadForIsolation(store)) {
    store!.setItem(RELOADED_FOR_ISOLATION, String(Date.now()));
    if (firstInstall) store!.setItem(OFFLINE_READY_AFTER_RELOAD, '1');
    location.reload();
    return;
  }
  if (firstInstall || store?.getItem(OFFLINE_READY_AFTER_RELOAD)) {
    store?.removeItem(OFFLINE_READY_AFTER_RELOAD);
    show('offline-ready');
  }
  setInterval(() => void registration.update().catch(() => {}), UPDATE_CHECK_MS);
}

/**
 * Registers the service worker (production builds, browsers that have them) and mounts the prompt.
 * Returns the controller at once; in development it never fires.
 */
export function registerPwa(): PwaController {
  const pwa = new PwaController();
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return pwa;
  const target = document.getElementById('pwa');
  const prompt = target ? mountPrompt(target, () => void pwa.applyUpdate()) : undefined;
  start(pwa, prompt).catch((error: unknown) => {
    // The app works without a service worker (online only); say why in the console, not to the user.
    console.warn('Time Stream: the service worker could not be registered:', error);
  });
  return pwa;
}
