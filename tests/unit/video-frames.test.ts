import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/shared/errors';
import { cropRgba, encodedSize } from '../../workers/video/frames';
import { stripLayout } from '../../workers/video/strip';

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
