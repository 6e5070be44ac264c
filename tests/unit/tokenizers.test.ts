import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FixedLengthTokenizer } from '../../workers/runtime/tokenizers';

const read = (name: string) => JSON.parse(readFileSync(`public/models/tiny/clip/${name}`, 'utf8')) as Record<string, unknown>;
const clip = new FixedLengthTokenizer(read('tokenizer.json'), read('tokenizer_config.json'), 77);

describe('FixedLengthTokenizer.encodeCompact (CLIP direction batches)', () => {
  const texts = ['a photograph of a fresh dog', 'a 3d render of a rotten musical instrument', '토마토 🍅'];

  it('gives the rows of encode() cut to the longest row, which ends in end-of-text', () => {
    const full = clip.encode(texts);
    const { ids, length } = clip.encodeCompact(texts);
    expect(length).toBeLessThan(77);
    expect(ids.length).toBe(texts.length * length);
    for (let r = 0; r < texts.length; r++) {
      const row = Array.from(full.subarray(r * 77, (r + 1) * 77));
      expect(Array.from(ids.subarray(r * length, (r + 1) * length))).toEqual(row.slice(0, length));
      // Everything cut off is padding (CLIP pads with its end-of-text id).
      expect(new Set(row.slice(length))).toEqual(new Set([BigInt(clip.padId)]));
    }
    // The longest row keeps its end-of-text token as the last kept token.
    const lastIds = Array.from({ length: texts.length }, (_, r) => ids[r * length + length - 1]);
    expect(lastIds).toContain(BigInt(49407));
  });

  it('keeps the full 77 tokens for a prompt that needs them', () => {
    const long = Array.from({ length: 120 }, () => 'tomato').join(' ');
    const { ids, length } = clip.encodeCompact([long, 'short']);
    expect(length).toBe(77);
    expect(Array.from(ids.subarray(0, 77))).toEqual(Array.from(clip.encode([long])));
  });
});
