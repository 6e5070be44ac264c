// What the page, the service worker and the build plugin agree on. Types only at run time: the
// service worker is built on its own and must not share chunks with the app.

/** One file the service worker precaches: its URL relative to the scope, and the sha256 of its bytes. */
export interface PrecacheEntry {
  url: string;
  sha256: string;
}

/** Messages between the page and the service worker. */
export type SwMessage = { type: 'skip-waiting' } | { type: 'get-version' } | { type: 'version'; version: string };

/** What the registration tells the page. */
export type PwaEventName = 'offline-ready' | 'update-available';
