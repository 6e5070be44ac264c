// All frames side by side in one PNG, like the original Space's image strip, drawn on an OffscreenCanvas.
import { AppError } from '../../src/shared/errors';
import { VIDEO_LIMITS, type CaptionPlacement, type StripOptions, type StripResult } from '../../src/shared/video-api';
import { checkFrames, resolveStripOptions, type FrameSource } from '../../src/shared/video-options';

/** Where everything goes on the strip. Pure, so it is unit-tested in node. */
export interface StripLayout {
  tileWidth: number;
  tileHeight: number;
  width: number;
  height: number;
  /** Top of the row of tiles. */
  tilesY: number;
  /** The caption band (height 0 without captions). */
  captionY: number;
  captionHeight: number;
  fontPx: number;
}

export function stripLayout(
  frameWidth: number,
  frameHeight: number,
  count: number,
  tileHeight: number,
  captions: CaptionPlacement,
): StripLayout {
  const tileWidth = Math.max(1, Math.round((frameWidth * tileHeight) / frameHeight));
  const width = tileWidth * count;
  if (width > VIDEO_LIMITS.maxCanvasSide)
    throw new AppError(
      'InvalidRequest',
      `${count} tiles of ${tileWidth} px make a strip ${width} px wide, over the ${VIDEO_LIMITS.maxCanvasSide} px a canvas allows; choose a smaller tile height.`,
      'tileHeight',
    );
  // The band scales with the tiles but stays readable on small ones.
  const captionHeight = captions === 'none' ? 0 : Math.max(18, Math.round(tileHeight * 0.14));
  const tilesY = captions === 'above' ? captionHeight : 0;
  const captionY = captions === 'above' ? 0 : tileHeight;
  return {
    tileWidth,
    tileHeight,
    width,
    height: tileHeight + captionHeight,
    tilesY,
    captionY,
    captionHeight,
    fontPx: Math.round(captionHeight * 0.6),
  };
}

/** `text`, shortened with an ellipsis until it fits `maxWidth`. */
function fitText(ctx: OffscreenCanvasRenderingContext2D, text: string, maxWidth: number): string {
  if (ctx.measureText(text).width <= maxWidth) return text;
  let chars = [...text];
  while (chars.length > 0 && ctx.measureText(`${chars.join('')}…`).width > maxWidth) chars = chars.slice(0, -1);
  return chars.length > 0 ? `${chars.join('')}…` : '';
}

/** Captions: black on white, state 1 starting at the first tile's left edge, state 2 ending at the last tile's right edge. */
export const CAPTION_COLORS = { band: '#ffffff', text: '#111111' } as const;

/**
 * Draws every frame as a tile `tileHeight` px high (the width keeps the aspect), with an optional
 * caption band naming the two states, and encodes it as PNG.
 */
export async function renderStrip(
  source: (FrameSource & { state1?: string; state2?: string }) | null,
  options: StripOptions | undefined,
): Promise<StripResult> {
  const { tileHeight, captions } = resolveStripOptions(options);
  const frames = checkFrames(source);
  const layout = stripLayout(frames.width, frames.height, frames.frames.length, tileHeight, captions);
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
    ctx.drawImage(scratch, 0, 0, frames.width, frames.height, i * layout.tileWidth, layout.tilesY, layout.tileWidth, layout.tileHeight);
  });
  if (captions !== 'none') {
    ctx.fillStyle = CAPTION_COLORS.band;
    ctx.fillRect(0, layout.captionY, layout.width, layout.captionHeight);
    ctx.fillStyle = CAPTION_COLORS.text;
    ctx.font = `${layout.fontPx}px system-ui, sans-serif`;
    ctx.textBaseline = 'middle';
    const pad = Math.max(4, Math.round(layout.fontPx * 0.4));
    // Each caption may use half the strip, so the two never overlap (one-tile strips included).
    const room = Math.max(0, layout.width / 2 - pad * 1.5);
    const y = layout.captionY + layout.captionHeight / 2;
    ctx.textAlign = 'left';
    ctx.fillText(fitText(ctx, source?.state1 ?? '', room), pad, y);
    ctx.textAlign = 'right';
    ctx.fillText(fitText(ctx, source?.state2 ?? '', room), layout.width - pad, y);
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
  };
}
