// All frames side by side in one PNG, like the original Space's image strip (a grid of frames: its
// columns x rows), drawn on an OffscreenCanvas.
import { AppError } from '../../src/shared/errors';
import { VIDEO_LIMITS, type CaptionPlacement, type StripOptions, type StripResult } from '../../src/shared/video-api';
import { checkFrames, gridOf, resolveStripOptions, type FrameSource } from '../../src/shared/video-options';
import { tileLabelSpans } from '../../src/shared/walk-labels';

/** Where everything goes on the strip. Pure, so it is unit-tested in node. */
export interface StripLayout {
  tileWidth: number;
  tileHeight: number;
  columns: number;
  rows: number;
  width: number;
  height: number;
  /** Top of the first row of tiles. */
  tilesY: number;
  /** The caption band (height 0 without captions). */
  captionY: number;
  captionHeight: number;
  fontPx: number;
}

/** The layout of `columns` x `rows` tiles (`rows` 1: a strip), each `tileHeight` high, with an optional caption band. */
export function stripLayout(
  frameWidth: number,
  frameHeight: number,
  columns: number,
  tileHeight: number,
  captions: CaptionPlacement,
  rows = 1,
): StripLayout {
  const tileWidth = Math.max(1, Math.round((frameWidth * tileHeight) / frameHeight));
  const width = tileWidth * columns;
  const tiles = rows > 1 ? `${columns} x ${rows} tiles` : `${columns} tiles`;
  if (width > VIDEO_LIMITS.maxCanvasSide)
    throw new AppError(
      'InvalidRequest',
      `${tiles} of ${tileWidth} px make a strip ${width} px wide, over the ${VIDEO_LIMITS.maxCanvasSide} px a canvas allows; choose a smaller tile height.`,
      'tileHeight',
    );
  // The band scales with the tiles but stays readable on small ones.
  const captionHeight = captions === 'none' ? 0 : Math.max(18, Math.round(tileHeight * 0.14));
  const height = tileHeight * rows + captionHeight;
  if (height > VIDEO_LIMITS.maxCanvasSide)
    throw new AppError(
      'InvalidRequest',
      `${tiles} of ${tileHeight} px make a strip ${height} px high, over the ${VIDEO_LIMITS.maxCanvasSide} px a canvas allows; choose a smaller tile height.`,
      'tileHeight',
    );
  const tilesY = captions === 'above' ? captionHeight : 0;
  const captionY = captions === 'above' ? 0 : tileHeight * rows;
  return {
    tileWidth,
    tileHeight,
    columns,
    rows,
    width,
    height,
    tilesY,
    captionY,
    captionHeight,
    fontPx: Math.round(captionHeight * 0.6),
  };
}

/** The top-left corner of frame `index`'s tile (frame (column, row) is `row * columns + column`). */
export function tileOrigin(layout: StripLayout, index: number): { x: number; y: number } {
  const column = index % layout.columns;
  const row = Math.floor(index / layout.columns);
  return { x: column * layout.tileWidth, y: layout.tilesY + row * layout.tileHeight };
}

/** One caption: a state's name, where it is written and how much room it has. */
export interface StripCaption {
  text: string;
  x: number;
  align: 'left' | 'center' | 'right';
  room: number;
}

/**
 * The captions of the strip: each state's name at the column it sits on, within the room the states beside
 * it leave (the 1st starting at the left edge, the last ending at the right edge, keyframes centred on
 * their tile), `pad` px inside that room. Pure.
 */
export function stripCaptions(
  layout: StripLayout,
  states: readonly string[],
  stateColumns: readonly number[],
  pad: number,
): StripCaption[] {
  const half = layout.tileWidth / 2;
  return tileLabelSpans(stateColumns, layout.columns).map((span) => {
    const start = span.start * half;
    const end = span.end * half;
    const room = Math.max(0, end - start - 2 * pad);
    const text = states[span.state] ?? '';
    if (span.align === 'start') return { text, x: start + pad, align: 'left', room };
    if (span.align === 'end') return { text, x: end - pad, align: 'right', room };
    return { text, x: (start + end) / 2, align: 'center', room };
  });
}

/** `text`, shortened with an ellipsis until it fits `maxWidth`. */
function fitText(ctx: OffscreenCanvasRenderingContext2D, text: string, maxWidth: number): string {
  if (ctx.measureText(text).width <= maxWidth) return text;
  let chars = [...text];
  while (chars.length > 0 && ctx.measureText(`${chars.join('')}…`).width > maxWidth) chars = chars.slice(0, -1);
  return chars.length > 0 ? `${chars.join('')}…` : '';
}

/** Captions: black on white, each state's name at its column. */
export const CAPTION_COLORS = { band: '#ffffff', text: '#111111' } as const;

/** What the strip reads: the frames, the two states, and optionally the grid and the timeline's states at their columns. */
export type StripSource = FrameSource & {
  state1?: string;
  state2?: string;
  layout?: { columns: number; rows: number; states?: readonly string[]; stateColumns?: readonly number[] } | undefined;
};

/** The states to caption and their columns: the layout's, else the two states on the first and last column. */
function captionStates(source: StripSource, columns: number): { states: readonly string[]; columns: readonly number[] } {
  const { states, stateColumns } = source.layout ?? {};
  if (states && stateColumns && states.length === stateColumns.length && states.length > 0) return { states, columns: stateColumns };
  return { states: [source.state1 ?? '', source.state2 ?? ''], columns: [0, Math.max(0, columns - 1)] };
}

/**
 * Draws every frame as a tile `tileHeight` px high (the width keeps the aspect), a grid's frames in their
 * columns and rows, with an optional caption band naming the timeline's states, and encodes it as PNG.
 */
export async function renderStrip(source: StripSource | null, options: StripOptions | undefined): Promise<StripResult> {
  const { tileHeight, captions } = resolveStripOptions(options);
  const frames = checkFrames(source);
  const { columns, rows } = gridOf(frames);
  const layout = stripLayout(frames.width, frames.height, columns, tileHeight, captions, rows);
  const canvas = new OffscreenCanvas(layout.width, layout.height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new AppError('Internal', 'No 2D canvas context in this worker.');
  // One full-size scratch canvas holds each frame in turn; drawImage then scales it down.
  const scratch = new OffscreenCanvas(frames.width, frames.height);
  const scratchCtx = scratch.getContext('2d');
  if (!scratchCtx) throw new AppError('Internal', 'No 2D canvas context in this worker.');
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  frames.frames.forEach((frame, i) => {
    scratchCtx.putImageData(new ImageData(frame.rgba, frames.width, frames.height), 0, 0);
    const { x, y } = tileOrigin(layout, i);
    ctx.drawImage(scratch, 0, 0, frames.width, frames.height, x, y, layout.tileWidth, layout.tileHeight);
  });
  if (captions !== 'none') {
    ctx.fillStyle = CAPTION_COLORS.band;
    ctx.fillRect(0, layout.captionY, layout.width, layout.captionHeight);
    ctx.fillStyle = CAPTION_COLORS.text;
    ctx.font = `${layout.fontPx}px system-ui, sans-serif`;
    ctx.textBaseline = 'middle';
    const pad = Math.max(4, Math.round(layout.fontPx * 0.4));
    const y = layout.captionY + layout.captionHeight / 2;
    const named = captionStates(source!, columns);
    // Each name has its own stretch of the band, so no two overlap (one-tile strips included).
    for (const caption of stripCaptions(layout, named.states, named.columns, pad)) {
      ctx.textAlign = caption.align;
      ctx.fillText(fitText(ctx, caption.text, caption.room), caption.x, y);
    }
  }
  const blob = await canvas.convertToBlob({ type: 'image/png' });
  return {
    data: await blob.arrayBuffer(),
    mimeType: 'image/png',
    width: layout.width,
    height: layout.height,
    tileWidth: layout.tileWidth,
    tileHeight: layout.tileHeight,
    frameCount: frames.frames.length,
    columns,
    rows,
  };
}
