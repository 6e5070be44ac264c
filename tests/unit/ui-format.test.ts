import { describe, expect, it } from 'vitest';
import { downloadTail, formatBytes, formatDuration, formatScale } from '../../src/i18n/format';
import { en } from '../../src/i18n/en';
import { ko } from '../../src/i18n/ko';
import { initialLang, MESSAGES } from '../../src/i18n/lang';
import { ERROR_NAMES, type AppError } from '../../src/shared/errors';
import { DEFAULT_REQUEST, SAME_NEIGHBOUR, SAME_STATES, hasHangul, validateRequest, type RenderRequest } from '../../src/shared/request';
import { fileStem, frameFileName, slug, videoExtension } from '../../src/ui/files';

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
    expect(ko.invalid('frames', 'x', { min: 32, max: 256 })).not.toContain('홀수');
    expect(ko.invalid('frames', 'x', { min: 32, max: 256 })).toContain('상태 수');
    expect(ko.invalid('width', 'x', { min: 32, max: 256 })).toContain('32');
    expect(en.invalid('frames', 'The number of frames must be between 3 and 65', { min: 32, max: 256 })).toBe(
      'The number of frames must be between 3 and 65',
    );
    expect(en.advanced.framesHint).not.toMatch(/odd/i);
    expect(ko.advanced.framesHint).not.toContain('홀수');
  });

  it('every field a timeline, a second axis or the spacing can be refused on has its own Korean words (issue 19)', () => {
    const size = { min: 32, max: 256 };
    const axis2 = { state1: 'day', state2: 'night', strength: 1, frames: 3, normalize: false };
    const refused: Record<string, unknown>[] = [
      { waypoints: [''] },
      { waypoints: ['mouldy', 'MOULDY'] },
      { waypoints: ['mouldy', 'rotten'] },
      { waypoints: ['a', 'b', 'c', 'd', 'e', 'f', 'g'], frames: 9 },
      { waypoints: ['a', 'b'], frames: 3 },
      { axis2: 'day' },
      { axis2: { ...axis2, state1: '' } },
      { axis2: { ...axis2, state2: 'Day' } },
      { axis2: { ...axis2, strength: 5 } },
      { axis2: { ...axis2, frames: 10 } },
      { axis2: { ...axis2, normalize: 1 } },
      { spacing: 'even', axis2 },
      { spacing: 'fast' },
    ];
    const worded = new Map<string, string>();
    for (const patch of refused) {
      let error: AppError | undefined;
      try {
        validateRequest({ ...DEFAULT_REQUEST, ...patch });
      } catch (e) {
        error = e as AppError;
      }
      expect(error?.field, JSON.stringify(patch)).toBeDefined();
      const words = ko.invalid(error!.field!, error!.message, size);
      expect(words, `${error!.field}: ${error!.message}`).not.toBe(ko.invalid('nothing', '', size));
      expect(hasHangul(words)).toBe(true);
      worded.set(`${error!.field} ${error!.message.slice(0, 12)}`, words);
    }
    // Alike neighbours are said as such, not as an empty field.
    expect(worded.get(`waypoints.1 ${SAME_NEIGHBOUR.slice(0, 12)}`)).toContain('바로 앞의 상태와 같습니다');
    expect(worded.get(`state2 ${SAME_NEIGHBOUR.slice(0, 12)}`)).toContain('바로 앞의 상태와 같습니다');
    expect(worded.get('waypoints.0 The 3rd stat')).toContain('세 번째 상태');
    expect(worded.get(`axis2.state2 ${SAME_STATES.slice(0, 12)}`)).toContain('두 상태가 같습니다');
    expect(worded.get('spacing Even spacing')).toContain('두 번째 축');
  });

  it('English names a keyframe by its label in the form (the first between the ends is the 3rd state)', () => {
    const size = { min: 32, max: 256 };
    const refusal = (patch: Partial<RenderRequest>) => {
      try {
        validateRequest({ ...DEFAULT_REQUEST, ...patch });
      } catch (e) {
        return en.invalid((e as AppError).field!, (e as AppError).message, size);
      }
      return 'taken';
    };
    expect(refusal({ waypoints: [' '] })).toBe('The 3rd state is empty: write a few words.');
    expect(refusal({ frames: 9, waypoints: ['a', 'b', 'c', 'd', 'e', 7 as unknown as string] })).toBe('The 8th state must be text.');
    expect(en.form.keyframe(0)).toBe('3rd state');
    expect(ko.form.keyframe(5)).toBe('여덟 번째 상태');
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
  it('stem names the whole timeline with keyframes, and the second axis and grid size', () => {
    expect(fileStem({ prompt: 'a tree', state1: 'summer', waypoints: ['winter'], state2: 'summer', seed: 3 })).toBe(
      'time-stream_a-tree_summer-to-winter-to-summer_seed3',
    );
    const axis2 = { state1: 'day', state2: 'night', strength: 1, frames: 3, normalize: false };
    expect(fileStem({ prompt: 'a house', state1: 'summer', state2: 'winter', seed: 0, frames: 7, axis2 })).toBe(
      'time-stream_a-house_summer-to-winter_day-to-night_grid-7x3_seed0',
    );
    // The grid the engine laid out wins over the request's numbers.
    expect(fileStem({ prompt: 'a house', state1: 'summer', state2: 'winter', seed: 0, frames: 7, axis2 }, { columns: 8, rows: 3 })).toMatch(
      /_grid-8x3_seed0$/,
    );
  });
  it("a frame's file is numbered in a row, and named by column and row in a grid", () => {
    expect(frameFileName('s', 0, { columns: 7, rows: 1 })).toBe('s_frame01.png');
    expect(frameFileName('s', 12, { columns: 13, rows: 1 })).toBe('s_frame13.png');
    expect(frameFileName('s', 10, { columns: 7, rows: 3 })).toBe('s_col04-row02.png');
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
