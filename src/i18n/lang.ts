// The languages the UI speaks, and which one to open with (pure: unit-tested in node).
import { en, type Messages } from './en';
import { ko } from './ko';

export type Lang = 'en' | 'ko';
export const MESSAGES: Record<Lang, Messages> = { en, ko };
export const LANGS = Object.keys(MESSAGES) as Lang[];

export function isLang(value: unknown): value is Lang {
  return typeof value === 'string' && (LANGS as string[]).includes(value);
}

/** The language to open with: ?lang=, then the remembered choice, then the browser's. */
export function initialLang(search: string, remembered: string | null, browser: readonly string[]): Lang {
  const fromUrl = new URLSearchParams(search).get('lang');
  if (isLang(fromUrl)) return fromUrl;
  if (isLang(remembered)) return remembered;
  return browser.some((l) => l.toLowerCase().startsWith('ko')) ? 'ko' : 'en';
}
