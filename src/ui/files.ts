// File names for downloads (pure: unit-tested in node).
import type { RenderRequest } from '../shared/request';

/** Letters and digits of any script, joined by dashes, at most `max` characters. */
export function slug(text: string, max = 40): string {
  const words =
    text
      .normalize('NFC')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? [];
  let out = '';
  for (const word of words) {
    const next = out ? `${out}-${word}` : word;
    if (next.length > max) break;
    out = next;
  }
  return out || 'untitled';
}

/** "time-stream_a-tomato_fresh-to-rotten_seed42", the stem of every file of one run. */
export function fileStem(request: Pick<RenderRequest, 'prompt' | 'state1' | 'state2' | 'seed'>): string {
  return `time-stream_${slug(request.prompt)}_${slug(request.state1, 20)}-to-${slug(request.state2, 20)}_seed${request.seed}`;
}

/** File extension for a video MIME type. */
export function videoExtension(mimeType: string): string {
  return mimeType.startsWith('video/webm') ? 'webm' : 'mp4';
}
