import { describe, expect, it } from 'vitest';
import { downloadTail, formatBytes, formatDuration, formatScale } from '../../src/i18n/format';
import { en } from '../../src/i18n/en';
import { ko } from '../../src/i18n/ko';
import { initialLang, MESSAGES } from '../../src/i18n/lang';
import { ERROR_NAMES } from '../../src/shared/errors';
import { fileStem, slug, videoExtension } from '../../src/ui/files';

describe('formatting', () => {
  it('bytes in decimal units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1234)).toBe('1.2 kB');
    expect(formatBytes(12_580_000_000)).toBe('12.6 GB');
    expect(formatBytes(345_000_000)).toBe('345 MB');
    expect(formatBytes(Number.NaN)).toBe('?');
  });

  it('durations round up and read naturally in both languages', () => {
    expect(formatDuration(0, en.units)).toBe('0 s');
    expect(formatDuration(1, en.units)).toBe('1 s');
    expect(formatDuration(125_000, en.units)).toBe('2 min 5 s');
    expect(formatDuration(3_780_000, en.units)).toBe('1 h 3 min');
    expect(formatDuration(125_000, ko.units)).toBe('2분 5초');
  });

  it('scales with a real minus sign', () => {
    expect(formatScale(-1.75)).toBe('\u22121.75');
    expect(formatScale(0)).toBe('0.00');
    expect(formatScale(-0.0001)).toBe('0.00');
    expect(formatScale(2.5)).toBe('+2.50');
  });
});

describe('messages', () => {
  it('every error name has words and (except AbortError) an action, in every language', () => {
    for (const messages of Object.values(MESSAGES)) {
      for (const name of ERROR_NAMES) {
        expect(messages.errors.byName[name].what).not.toBe('');
        if (name !== 'AbortError') expect(messages.errors.byName[name].action).not.toBe('');
      }
    }
  });

  it('Korean words validation per field from the same limits', () => {
    expect(ko.invalid('frames', 'x', { min: 32, max: 256 })).toContain('홀수');
    expect(ko.invalid('width', 'x', { min: 32, max: 256 })).toContain('32');
    expect(en.invalid('frames', 'The number of frames must be odd', { min: 32, max: 256 })).toBe('The number of frames must be odd');
  });

  it('opens in the language of the link, then the remembered one, then the browser’s', () => {
    expect(initialLang('?lang=ko', 'en', ['en-US'])).toBe('ko');
    expect(initialLang('', 'ko', ['en-US'])).toBe('ko');
    expect(initialLang('', null, ['ko-KR', 'en'])).toBe('ko');
    expect(initialLang('?lang=fr', 'xx', ['de'])).toBe('en');
  });
});

describe('file names', () => {
  it('slug keeps letters of any script', () => {
    expect(slug('A Tomato, super-fresh!')).toBe('a-tomato-super-fresh');
    expect(slug('토마토 🍅')).toBe('토마토');
    expect(slug('!!!')).toBe('untitled');
  });
  it('stem names prompt, states and seed', () => {
    expect(fileStem({ prompt: 'a city street', state1: '1900', state2: '2100', seed: 7 })).toBe(
      'time-stream_a-city-street_1900-to-2100_seed7',
    );
  });
  it('video extension follows the MIME type', () => {
    expect(videoExtension('video/mp4; codecs="avc1.42001f"')).toBe('mp4');
    expect(videoExtension('video/webm; codecs="vp09"')).toBe('webm');
  });
});

describe("a download's progress tail", () => {
  it('says why it pauses and for how long, instead of a time left; the time left otherwise', () => {
    expect(downloadTail(en, { etaMs: 1000, wait: { cause: 'host-asked', ms: 12_000 } })).toBe(' · waiting 12 s, as the host asked');
    expect(downloadTail(en, { wait: { cause: 'host-busy', ms: 2000 } })).toBe(' · the host is busy: trying again in 2 s');
    expect(downloadTail(en, { wait: { cause: 'connection', ms: 500 } })).toBe(' · the connection broke: trying again in 1 s');
    expect(downloadTail(en, { etaMs: 61_000 })).toBe(` · ${en.progress.eta(formatDuration(61_000, en.units))}`);
    expect(downloadTail(en, {})).toBe('');
    expect(downloadTail(ko, { wait: { cause: 'host-asked', ms: 3000 } })).toContain('3');
  });
});
