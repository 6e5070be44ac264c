// The UI language in use, remembered across visits.
import type { Messages } from './en';
import { MESSAGES, initialLang, type Lang } from './lang';

const STORAGE_KEY = 'time-stream.lang';

export class Locale {
  lang = $state<Lang>('en');
  readonly t: Messages = $derived(MESSAGES[this.lang]);

  constructor(lang: Lang) {
    this.set(lang, false);
  }

  set(lang: Lang, remember = true): void {
    this.lang = lang;
    if (typeof document !== 'undefined') document.documentElement.lang = lang;
    if (!remember) return;
    try {
      localStorage.setItem(STORAGE_KEY, lang);
    } catch {
      // Storage can be blocked (private mode); the choice then lasts for this visit.
    }
  }

  static fromPage(): Locale {
    let remembered: string | null;
    try {
      remembered = localStorage.getItem(STORAGE_KEY);
    } catch {
      remembered = null;
    }
    return new Locale(initialLang(location.search, remembered, navigator.languages ?? [navigator.language]));
  }
}
