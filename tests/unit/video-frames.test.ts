import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/shared/errors';
import { cropRgba, encodedSize } from '../../workers/video/frames';
import { stripCaptions, stripLayout, tileOrigin } from '../../workers/video/strip';

describe('encodedSize', () => {
  it('crops odd sides to even for H.264 only', () => {
    expect(encodedSize('avc', 51, 31)).toEqual({ width: 50, height: 30 });
    expect(encodedSize('avc', 64, 64)).toEqual({ width: 64, height: 64 });
    expect(encodedSize('vp9', 51, 31)).toEqual({ width: 51, height: 31 });
    expect(encodedSize('av1', 51, 31)).toEqual({ width: 51, height: 31 });
  });
});

describe('cropRgba', () => {
  it('keeps the top-left pixels, row by row', () => {
    // 3x2 frame whose pixel (x, y) holds x + 10y in every channel.
    const src = new Uint8ClampedArray(3 * 2 * 4);
    for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) src.fill(x + 10 * y, (y * 3 + x) * 4, (y * 3 + x + 1) * 4);
    const out = cropRgba(src, 3, 2, 2, 1);
    expect([...out]).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
  });

  it('returns the same array when nothing is cut, and refuses to grow', () => {
    const src = new Uint8ClampedArray(16);
    expect(cropRgba(src, 2, 2, 2, 2)).toBe(src);
    expect(() => cropRgba(src, 2, 2, 3, 2)).toThrow(RangeError);
  });
});

describe('stripLayout', () => {
  it('puts square tiles side by side at the chosen height', () => {
    expect(stripLayout(768, 768, 7, 256, 'none')).toMatchObject({
      tileWidth: 256,
      tileHeight: 256,
      width: 1792,
      height: 256,
      tilesY: 0,
      captionHeight: 0,
    });
  });

  it('keeps the aspect ratio', () => {
    expect(stripLayout(1024, 768, 3, 256, 'none')).toMatchObject({ tileWidth: 341, width: 1023 });
    expect(stripLayout(50, 30, 2, 64, 'none')).toMatchObject({ tileWidth: 107, width: 214 });
  });

  it('adds a caption band below or above the tiles', () => {
    const below = stripLayout(64, 64, 4, 256, 'below');
    expect(below).toMatchObject({ tilesY: 0, captionY: 256, captionHeight: 36, height: 292 });
    const above = stripLayout(64, 64, 4, 256, 'above');
    expect(above).toMatchObject({ tilesY: 36, captionY: 0, height: 292 });
    // Small tiles still get a readable band.
    expect(stripLayout(64, 64, 4, 32, 'below').captionHeight).toBe(18);
  });

  it('refuses a strip wider than a canvas can be', () => {
    let error: unknown;
    try {
      stripLayout(1024, 1024, 65, 1024, 'none');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).name).toBe('InvalidRequest');
    expect((error as AppError).message).toMatch(/66560 px wide.*smaller tile height/);
  });
});

describe('a grid strip', () => {
  it('lays out columns x rows tiles, the caption band under (or over) all rows', () => {
    const below = stripLayout(64, 32, 7, 32, 'below', 3);
    expect(below).toMatchObject({
      tileWidth: 64,
      tileHeight: 32,
      columns: 7,
      rows: 3,
      width: 448,
      height: 96 + 18,
      tilesY: 0,
      captionY: 96,
    });
    const above = stripLayout(64, 32, 7, 32, 'above', 3);
    expect(above).toMatchObject({ height: 114, tilesY: 18, captionY: 0 });
    // Frame (column, row) = row * columns + column, each on its own tile.
    expect(tileOrigin(below, 0)).toEqual({ x: 0, y: 0 });
    expect(tileOrigin(below, 6)).toEqual({ x: 6 * 64, y: 0 });
    expect(tileOrigin(below, 7)).toEqual({ x: 0, y: 32 });
    expect(tileOrigin(below, 7 * 3 - 1)).toEqual({ x: 6 * 64, y: 64 });
    expect(tileOrigin(above, 9)).toEqual({ x: 2 * 64, y: 18 + 32 });
  });

  it('refuses a grid higher than a canvas can be', () => {
    expect(() => stripLayout(64, 64, 3, 1024, 'below', 33)).toThrow(/px high, over the 32767 px/);
  });
});

describe('stripCaptions', () => {
  const layout = stripLayout(64, 64, 7, 64, 'below');

  it('two states: the 1st from the left edge, the 2nd to the right edge, half the strip each', () => {
    expect(stripCaptions(layout, ['fresh', 'rotten'], [0, 6], 4)).toEqual([
      { text: 'fresh', x: 4, align: 'left', room: 7 * 32 - 8 },
      { text: 'rotten', x: 7 * 64 - 4, align: 'right', room: 7 * 32 - 8 },
    ]);
  });

  it('keyframes are centred on their tile, within the room their neighbours leave', () => {
    // summer on 0, winter on 2, summer on 6: winter's stretch reaches halfway to its nearer neighbour on
    // both sides (tiles 1.5 to 3.5), the 1st summer's from the left edge to halfway to winter (1.5 tiles),
    // the last summer's from halfway after winter (4.5 tiles) to the right edge.
    const captions = stripCaptions(layout, ['summer', 'winter', 'summer'], [0, 2, 6], 4);
    expect(captions).toEqual([
      { text: 'summer', x: 4, align: 'left', room: 1.5 * 64 - 8 },
      { text: 'winter', x: 2.5 * 64, align: 'center', room: 2 * 64 - 8 },
      { text: 'summer', x: 7 * 64 - 4, align: 'right', room: 2.5 * 64 - 8 },
    ]);
  });
});
