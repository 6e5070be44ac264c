// RGBA frames → what the encoder takes, and the even-size rule of some codecs.
import type { VideoCodecName } from '../../src/shared/video-api';

/**
 * H.264 (4:2:0 in whole macroblock pairs) needs even sizes; Mediabunny refuses odd ones for `avc`.
 * VP8/VP9/AV1 take any size, so only H.264 is changed.
 */
export function needsEvenSize(codec: VideoCodecName): boolean {
  return codec === 'avc';
}

/** The size a codec encodes `width`x`height` at: odd sides lose their last column/row (we crop, never pad). */
export function encodedSize(codec: VideoCodecName, width: number, height: number): { width: number; height: number } {
  if (!needsEvenSize(codec)) return { width, height };
  const even = (n: number) => (n > 1 ? n - (n % 2) : n);
  return { width: even(width), height: even(height) };
}

/**
 * The top-left `toWidth`x`toHeight` of an RGBA frame. Cropping (not padding) keeps every encoded pixel
 * a real one: padding would invent an edge line the viewer sees at the border. Returns the input
 * itself when nothing is cut.
 */
export function cropRgba(
  rgba: Uint8ClampedArray<ArrayBuffer>,
  width: number,
  height: number,
  toWidth: number,
  toHeight: number,
): Uint8ClampedArray<ArrayBuffer> {
  if (toWidth === width && toHeight === height) return rgba;
  if (toWidth > width || toHeight > height) throw new RangeError(`cannot crop ${width}x${height} to ${toWidth}x${toHeight}`);
  const out = new Uint8ClampedArray(toWidth * toHeight * 4);
  const rowBytes = toWidth * 4;
  for (let y = 0; y < toHeight; y++) out.set(rgba.subarray(y * width * 4, y * width * 4 + rowBytes), y * rowBytes);
  return out;
}
