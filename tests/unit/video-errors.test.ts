import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/shared/errors';
import { encodeVideo, encoderError } from '../../workers/video/encoder';

describe('encoderError', () => {
  it('names the codec and keeps the browser detail', () => {
    const error = encoderError('avc', new DOMException('Encoder creation error.', 'NotSupportedError'));
    expect(error.name).toBe('EncoderUnsupported');
    expect(error.message).toBe('The avc encoder failed: NotSupportedError: Encoder creation error.');
  });

  it('reports running out of memory as OutOfMemory with an action', () => {
    for (const cause of [
      new RangeError('Array buffer allocation failed'),
      new DOMException('no space', 'QuotaExceededError'),
      new Error('Out of memory'),
    ]) {
      const error = encoderError('vp9', cause);
      expect(error.name).toBe('OutOfMemory');
      expect(error.message).toMatch(/vp9 encoder ran out of memory.*smaller size or fewer frames/);
    }
  });

  it('passes our own errors through', () => {
    const abort = new AppError('AbortError', 'cancelled');
    expect(encoderError('av1', abort)).toBe(abort);
  });
});

describe('encodeVideo before any encoding', () => {
  // Node has no WebCodecs: these checks must fail before a codec is ever asked for.
  it('rejects bad options and missing frames with InvalidRequest', async () => {
    await expect(encodeVideo(null, {})).rejects.toMatchObject({
      name: 'InvalidRequest',
      message: expect.stringMatching(/render a job first/),
    });
    const set = { width: 2, height: 2, frames: [{ rgba: new Uint8ClampedArray(16) }] };
    await expect(encodeVideo(set, { loop: 'reverse' as never })).rejects.toMatchObject({ name: 'InvalidRequest', field: 'loop' });
  });

  it('is cancelled before the first codec when the flag is already set', async () => {
    const set = { width: 2, height: 2, frames: [{ rgba: new Uint8ClampedArray(16) }] };
    await expect(encodeVideo(set, {}, () => {}, { cancelled: true })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('says no codec works where there is no encoder at all', async () => {
    const set = { width: 2, height: 2, frames: [{ rgba: new Uint8ClampedArray(16) }] };
    await expect(encodeVideo(set, { container: 'webm' })).rejects.toMatchObject({
      name: 'EncoderUnsupported',
      message: expect.stringMatching(/WEBM video.*vp9.*av1.*vp8/),
    });
  });
});
