// File names for downloads (pure: unit-tested in node).
import { timelineStates, type RenderRequest } from '../shared/request';

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

/**
 * The stem of every file of one run: "time-stream_a-tomato_fresh-to-rotten_seed42"; with keyframes the whole
 * timeline ("a-tree_summer-to-winter-to-summer"); with a second axis its states and the grid
 * ("_day-to-night_grid-7x3").
 */
export function fileStem(
  request: Pick<RenderRequest, 'prompt' | 'state1' | 'state2' | 'seed'> & Partial<Pick<RenderRequest, 'waypoints' | 'axis2' | 'frames'>>,
  grid?: { columns: number; rows: number },
): string {
  const states = timelineStates(request);
  // Two states keep 20 characters each, as before keyframes; a longer timeline shares the room.
  const each = states.length > 2 ? 12 : 20;
  const timeline = states.map((state) => slug(state, each)).join('-to-');
  const axis2 = request.axis2
    ? `_${slug(request.axis2.state1, 12)}-to-${slug(request.axis2.state2, 12)}_grid-${grid?.columns ?? request.frames}x${grid?.rows ?? request.axis2.frames}`
    : '';
  return `time-stream_${slug(request.prompt)}_${timeline}${axis2}_seed${request.seed}`;
}

/** One frame's PNG: "<stem>_frame03.png", or in a grid its column and row, "<stem>_col03-row02.png". */
export function frameFileName(stem: string, index: number, grid: { columns: number; rows: number }): string {
  const two = (n: number) => String(n).padStart(2, '0');
  if (grid.rows <= 1) return `${stem}_frame${two(index + 1)}.png`;
  return `${stem}_col${two((index % grid.columns) + 1)}-row${two(Math.floor(index / grid.columns) + 1)}.png`;
}

/** File extension for a video MIME type. */
export function videoExtension(mimeType: string): string {
  return mimeType.startsWith('video/webm') ? 'webm' : 'mp4';
}
