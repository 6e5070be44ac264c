import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/shared/errors';
import { checkFrames, gridOf, resolveStripOptions, resolveVideoOptions } from '../../src/shared/video-options';

/** The AppError a call throws, for checking its name, field and message. */
function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected an error');
}

describe('resolveVideoOptions', () => {
  it('fills the defaults of the original Space: MP4 at 5 fps, forward, no holds', () => {
    expect(resolveVideoOptions(undefined)).toEqual({
      container: 'mp4',
      fps: 5,
      loop: 'forward',
      holdFirstMs: 0,
      holdLastMs: 0,
      quality: 'high',
      path: 'rows',
    });
    expect(resolveVideoOptions({})).not.toHaveProperty('codec');
  });

  it('keeps valid choices', () => {
    expect(
      resolveVideoOptions({
        container: 'webm',
        codec: 'vp9',
        fps: 30,
        loop: 'pingpong',
        holdFirstMs: 10_000,
        holdLastMs: 250,
        quality: 'medium',
        path: 'loop',
      }),
    ).toEqual({
      container: 'webm',
      codec: 'vp9',
      fps: 30,
      loop: 'pingpong',
      holdFirstMs: 10_000,
      holdLastMs: 250,
      quality: 'medium',
      path: 'loop',
    });
    expect(resolveVideoOptions({ fps: 1, codec: 'av1' }).fps).toBe(1);
    expect(resolveVideoOptions({ fps: 12.5 }).fps).toBe(12.5);
  });

  it.each([
    [{ fps: 0 }, 'fps', /between 1 and 30 \(got 0\)/],
    [{ fps: 31 }, 'fps', /between 1 and 30/],
    [{ fps: Number.NaN }, 'fps', /must be a number/],
    [{ fps: '5' }, 'fps', /must be a number/],
    [{ loop: 'bounce' }, 'loop', /'forward', 'pingpong'.*"bounce"/],
    [{ path: 'spiral' }, 'path', /path through the grid must be one of 'rows', 'loop' \(got "spiral"\)/],
    [{ container: 'avi' }, 'container', /'mp4', 'webm'/],
    [{ holdFirstMs: -1 }, 'holdFirstMs', /first frame.*between 0 and 10000/],
    [{ holdLastMs: 20_000 }, 'holdLastMs', /last frame.*between 0 and 10000/],
    [{ quality: 'ultra' }, 'quality', /quality/],
    [{ codec: 'hevc' }, 'codec', /MP4 video can use 'avc', 'vp9', 'av1'/],
    [{ container: 'webm', codec: 'avc' }, 'codec', /WEBM video can use 'vp9', 'av1', 'vp8'; "avc"/],
  ])('rejects %j with a message naming the field', (options, field, message) => {
    const error = thrown(() => resolveVideoOptions(options as never));
    expect(error.name).toBe('InvalidRequest');
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });

  it('rejects options that are not an object', () => {
    expect(thrown(() => resolveVideoOptions(null as never)).message).toMatch(/must be an object/);
    expect(thrown(() => resolveVideoOptions([] as never)).name).toBe('InvalidRequest');
  });
});

describe('resolveStripOptions', () => {
  it('defaults to 256 px tiles without captions', () => {
    expect(resolveStripOptions(undefined)).toEqual({ tileHeight: 256, captions: 'none' });
    expect(resolveStripOptions({ tileHeight: 64, captions: 'above' })).toEqual({ tileHeight: 64, captions: 'above' });
  });

  it.each([
    [{ tileHeight: 8 }, 'tileHeight', /between 16 and 1024/],
    [{ tileHeight: 100.5 }, 'tileHeight', /whole number/],
    [{ captions: 'left' }, 'captions', /'none', 'below', 'above'/],
  ])('rejects %j', (options, field, message) => {
    const error = thrown(() => resolveStripOptions(options as never));
    expect(error.name).toBe('InvalidRequest');
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });
});

describe('checkFrames', () => {
  const frame = (bytes: number) => ({ rgba: new Uint8ClampedArray(bytes) });

  it('says to render first when there are no frames', () => {
    expect(thrown(() => checkFrames(null)).message).toMatch(/render a job first/);
    expect(thrown(() => checkFrames({ width: 2, height: 2, frames: [] })).message).toMatch(/render a job first/);
  });

  it('rejects a frame of the wrong byte length, naming it', () => {
    const error = thrown(() => checkFrames({ width: 2, height: 2, frames: [frame(16), frame(15)] }));
    expect(error.message).toMatch(/Frame 1 has 15 bytes; 2x2 RGBA needs 16/);
  });

  it('accepts consistent frames', () => {
    const set = { width: 3, height: 1, frames: [frame(12), frame(12)] };
    expect(checkFrames(set)).toBe(set);
  });

  it('a grid must hold exactly its columns x rows frames', () => {
    const six = Array.from({ length: 6 }, () => frame(4));
    const grid = { width: 1, height: 1, frames: six, layout: { columns: 3, rows: 2 } };
    expect(checkFrames(grid)).toBe(grid);
    expect(gridOf(grid)).toEqual({ columns: 3, rows: 2 });
    expect(gridOf({ width: 1, height: 1, frames: six })).toEqual({ columns: 6, rows: 1 });
    const error = thrown(() => checkFrames({ ...grid, layout: { columns: 4, rows: 2 } }));
    expect(error.name).toBe('InvalidRequest');
    expect(error.message).toMatch(/grid of 4 x 2 does not hold the 6 frames/);
    expect(() => checkFrames({ ...grid, layout: { columns: 0, rows: 2 } })).toThrow(/grid of 0 x 2/);
  });
});
