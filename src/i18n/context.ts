// The UI language reaches components through context, behind typed helpers (no raw keys in components).
import { getContext, setContext } from 'svelte';
import type { Locale } from './locale.svelte';

const KEY = Symbol('locale');

export function setLocale(locale: Locale): Locale {
  return setContext(KEY, locale);
}

export function getLocale(): Locale {
  const locale = getContext<Locale | undefined>(KEY);
  if (!locale) throw new Error('getLocale() outside the app: setLocale() was not called by a parent component');
  return locale;
}
