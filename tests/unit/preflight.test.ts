import { describe, expect, it } from 'vitest';
import type { DeviceReport } from '../../src/shared/api';
import { isCappedQuota, looksPrivate, preflight, type MachineFacts, type ModelNeeds } from '../../src/shared/preflight';
import { en } from '../../src/i18n/en';
import { ko } from '../../src/i18n/ko';
import { formatBytes } from '../../src/i18n/format';

const GiB = 2 ** 30;
// What Debian's Chromium 156 with SwiftShader reports here (scripts/chromium.mjs flags).
const SWIFTSHADER: DeviceReport = {
  webgpu: true,
  adapter: { vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader Device (Subzero)' },
  shaderF16: false,
  maxBufferSize: GiB,
  maxStorageBufferBindingSize: GiB,
  crossOriginIsolated: true,
  threads: 4,
};
const NO_GPU: DeviceReport = { webgpu: false, shaderF16: false, crossOriginIsolated: true, threads: 4, reason: 'no adapter' };
// A normal profile on a 270 GB disk with Chrome's static quota off: 60 % of the disk.
const ROOMY: MachineFacts = { device: SWIFTSHADER, estimate: { usage: 0, quota: 162e9 }, persisted: true, deviceMemoryGb: 16 };
// The FLUX.1-schnell entry: T5's token embedding (float32) is its largest tensor.
const FLUX: ModelNeeds = {
  largestTensorBytes: 526_385_152,
  stageBytes: 13.7e9,
  largestComponentBytes: 7.62e9,
  downloadBytes: 12.1e9,
  storeBytes: 12.1e9,
};
const TINY: ModelNeeds = { largestTensorBytes: 6_324_224, stageBytes: 1e8, downloadBytes: 4.4e6, storeBytes: 11e6 };

const words = (needs: ModelNeeds, facts: MachineFacts) =>
  preflight(needs, facts).reasons.map((r) => en.preflight.reason(r, (n) => formatBytes(n, en.units.bytes)));

describe('preflight: the GPU', () => {
  it('refuses a tensor larger than one GPU buffer, naming both sizes and the limit', () => {
    const verdict = preflight({ ...TINY, largestTensorBytes: 2 * GiB }, ROOMY);
    expect(verdict.level).toBe('refuse');
    expect(verdict.reasons).toEqual([{ kind: 'tensor', level: 'refuse', tensor: 2 * GiB, limit: GiB, limitName: 'maxBufferSize' }]);
    expect(words({ ...TINY, largestTensorBytes: 2 * GiB }, ROOMY)[0]).toBe(
      'Its largest tensor is 2.1 GB, but this GPU allows at most 1.1 GB in one buffer (maxBufferSize), so it cannot load the model. Use a smaller model or another device.',
    );
  });

  it('uses the smaller of the buffer and storage-binding limits', () => {
    const device = { ...SWIFTSHADER, maxStorageBufferBindingSize: 128 * 2 ** 20 };
    const verdict = preflight(FLUX, { ...ROOMY, device });
    expect(verdict.reasons[0]).toMatchObject({ kind: 'tensor', limit: 128 * 2 ** 20, limitName: 'maxStorageBufferBindingSize' });
    expect(preflight({ ...FLUX, largestTensorBytes: 128 * 2 ** 20 }, { ...ROOMY, device }).level).not.toBe('refuse');
  });

  it('passes FLUX on SwiftShader with a warning that GPU memory cannot be checked, with what is known', () => {
    const verdict = preflight(FLUX, ROOMY);
    expect(verdict.level).toBe('warn');
    expect(verdict.reasons.map((r) => r.kind)).toEqual(['gpuMemory']);
    expect(words(FLUX, ROOMY)[0]).toBe(
      'Its largest stage needs about 13.7 GB of GPU memory. Browsers do not say how much memory a GPU has, so this cannot be checked before a run; known: the GPU (SwiftShader Device (Subzero), google) and its largest buffer, 1.1 GB. With less memory the run stops with an out-of-memory error.',
    );
  });

  it("refuses a component over 2 GiB where onnxruntime's asyncify build runs (no JSPI: weights held in the page)", () => {
    const asyncify = { ...ROOMY, device: { ...SWIFTSHADER, ortBuild: 'asyncify' as const } };
    expect(preflight(FLUX, asyncify).reasons[0]).toEqual({ kind: 'noStreaming', level: 'refuse', component: 7.62e9, limit: 2 * GiB });
    expect(words(FLUX, asyncify)[0]).toMatch(/^One part of this model weighs 7.6 GB\. .*at most 2\.1 GB.*version 137/);
    expect(preflight(FLUX, { ...ROOMY, device: { ...SWIFTSHADER, ortBuild: 'jspi' } }).level).toBe('warn');
    expect(preflight({ ...TINY, largestComponentBytes: 6e6 }, asyncify).level).toBe('ok');
  });

  it('says nothing about a small model on a roomy machine', () => {
    expect(preflight(TINY, ROOMY)).toEqual({ level: 'ok', reasons: [], deviceKnown: true });
  });

  it('a bundle gives only file sizes: a file over the buffer limit is a warning, not a refusal', () => {
    const bundle: ModelNeeds = { largestFileBytes: 1.9e9, stageBytes: 1e9, downloadBytes: 3e9, storeBytes: 3e9 };
    expect(preflight(bundle, ROOMY).reasons).toEqual([{ kind: 'file', level: 'warn', file: 1.9e9, limit: GiB }]);
    expect(preflight({ ...bundle, largestFileBytes: 5e8 }, ROOMY).level).toBe('ok');
  });

  it('without WebGPU refuses a stage larger than the 4 GiB of wasm32 memory, and lets a small one run on the CPU', () => {
    const facts = { ...ROOMY, device: NO_GPU };
    expect(preflight(FLUX, facts).reasons).toEqual([{ kind: 'wasm', level: 'refuse', need: 13.7e9, limit: 4 * GiB, why: 'no adapter' }]);
    expect(words(FLUX, facts)[0]).toContain('whose memory stops at 4.3 GB; its largest stage needs about 13.7 GB');
    expect(preflight({ ...TINY, stageBytes: 4 * GiB }, facts).level).toBe('ok');
  });

  it('waits for the device probe: no GPU finding, and says the device is not known yet', () => {
    const verdict = preflight({ ...TINY, largestTensorBytes: 2 * GiB }, { ...ROOMY, device: null });
    expect(verdict).toEqual({ level: 'ok', reasons: [], deviceKnown: false });
  });

  it('warns when the reported device memory (below the 8 GB cap) is less than the largest stage', () => {
    const facts = { ...ROOMY, deviceMemoryGb: 4 };
    expect(preflight({ ...TINY, stageBytes: 6e9 }, facts).reasons).toContainEqual({
      kind: 'lowMemory',
      level: 'warn',
      need: 6e9,
      have: 4 * GiB,
    });
    // 8 GB is the most Chrome reports: a larger need says nothing.
    expect(preflight({ ...TINY, stageBytes: 12e9 }, { ...ROOMY, deviceMemoryGb: 8 }).reasons.map((r) => r.kind)).not.toContain('lowMemory');
  });
});

describe('preflight: storage', () => {
  it('refuses what the quota cannot hold, with both numbers', () => {
    const facts = { ...ROOMY, estimate: { usage: 1e9, quota: 6e9 } };
    const verdict = preflight(FLUX, facts);
    expect(verdict.level).toBe('refuse');
    expect(verdict.reasons).toContainEqual({ kind: 'noRoom', level: 'refuse', need: 12.1e9, free: 5e9 });
    expect(words(FLUX, facts)).toContain(
      'Not enough storage: the model needs 12.1 GB, the browser allows this site 5.0 GB more. Free some disk space or delete stored models.',
    );
  });

  it("only warns above Chrome's capped report (usage + exactly 10 GiB, the same in every window)", () => {
    const estimate = { usage: 90_112, quota: 90_112 + 10 * GiB };
    expect(isCappedQuota(estimate)).toBe(true);
    const verdict = preflight(FLUX, { ...ROOMY, estimate });
    expect(verdict.level).toBe('warn');
    expect(verdict.reasons).toContainEqual({ kind: 'roomUnknown', level: 'warn', need: 12.1e9, free: 10 * GiB });
    // One byte less than the cap is a real limit.
    expect(preflight(FLUX, { ...ROOMY, estimate: { usage: 0, quota: 10 * GiB - 1 } }).level).toBe('refuse');
  });

  it('counts only what is still to be stored (a resumed assembly)', () => {
    const facts = { ...ROOMY, estimate: { usage: 0, quota: 6e9 } };
    expect(preflight({ ...FLUX, storeBytes: 5e9 }, facts).reasons.map((r) => r.kind)).not.toContain('noRoom');
    expect(preflight({ ...FLUX, storeBytes: 0 }, { ...facts, persisted: false }).reasons.map((r) => r.kind)).toEqual(['gpuMemory']);
  });

  it('warns that unpersisted storage may be evicted, for models over 1 GB only', () => {
    const facts = { ...ROOMY, persisted: false };
    expect(preflight(FLUX, facts).reasons).toContainEqual({ kind: 'notPersisted', level: 'warn', need: 12.1e9 });
    expect(preflight(TINY, facts).level).toBe('ok');
  });
});

describe('preflight: private windows', () => {
  // Measured in Playwright's newContext() (off the record) with --disable-features=StaticStorageQuota,
  // IncognitoStaticStorageQuota on a 25 GB machine: 1.39 GB, persisted false, deviceMemory 16.
  const PRIVATE: MachineFacts = { device: SWIFTSHADER, estimate: { usage: 0, quota: 1_385_657_288 }, persisted: false, deviceMemoryGb: 16 };

  it('tells a private window by a quota far below RAM and not persisted', () => {
    expect(looksPrivate(PRIVATE)).toBe(true);
    // The same browser's normal profile: 162 GB.
    expect(looksPrivate({ ...PRIVATE, estimate: { usage: 0, quota: 162e9 } })).toBe(false);
    // A persisted origin is never a private window's.
    expect(looksPrivate({ ...PRIVATE, persisted: true })).toBe(false);
    // Chrome 138+ reports usage + 10 GiB in both: it cannot be told, and this says no.
    expect(looksPrivate({ ...PRIVATE, estimate: { usage: 5, quota: 5 + 10 * GiB } })).toBe(false);
    // RAM unknown (Firefox, Safari): below 2 GB.
    expect(looksPrivate({ ...PRIVATE, deviceMemoryGb: undefined })).toBe(true);
    expect(looksPrivate({ ...PRIVATE, deviceMemoryGb: undefined, estimate: { usage: 0, quota: 3e9 } })).toBe(false);
  });

  it('refuses a model that does not fit with its own plain message', () => {
    const verdict = preflight(FLUX, PRIVATE);
    expect(verdict.level).toBe('refuse');
    expect(verdict.reasons).toContainEqual({ kind: 'privateNoRoom', level: 'refuse', need: 12.1e9, free: 1_385_657_288 });
    expect(verdict.reasons.map((r) => r.kind)).not.toContain('noRoom');
    expect(words(FLUX, PRIVATE)).toContain(
      'This is a private window: what a site stores here, downloads included, is kept in memory (RAM) and dropped when the window closes, and the browser allows only 1.4 GB. The model needs 12.1 GB, so it cannot be stored. Open this page in a normal window.',
    );
  });

  it('warns for a model that fits: it lives in RAM and goes with the window', () => {
    const verdict = preflight(TINY, PRIVATE);
    expect(verdict.level).toBe('warn');
    expect(verdict.reasons).toEqual([{ kind: 'private', level: 'warn', need: 11e6, quota: 1_385_657_288 }]);
  });
});

describe('preflight words', () => {
  it('every finding is worded in English and Korean with its numbers', () => {
    const reasons = [
      ...preflight(
        { ...FLUX, largestTensorBytes: 2 * GiB },
        { ...ROOMY, persisted: false, estimate: { usage: 0, quota: 5e9 }, deviceMemoryGb: 4 },
      ).reasons,
      ...preflight({ ...FLUX, largestTensorBytes: undefined, largestFileBytes: 2e9 }, ROOMY).reasons,
      ...preflight(FLUX, { ...ROOMY, device: NO_GPU, estimate: { usage: 0, quota: 10 * GiB } }).reasons,
      ...preflight(FLUX, { ...ROOMY, estimate: { usage: 0, quota: 1e9 }, persisted: false }).reasons,
      ...preflight(TINY, { ...ROOMY, estimate: { usage: 0, quota: 1e9 }, persisted: false }).reasons,
      ...preflight(FLUX, { ...ROOMY, device: { ...SWIFTSHADER, ortBuild: 'asyncify' } }).reasons,
    ];
    expect(new Set(reasons.map((r) => r.kind))).toEqual(
      new Set([
        'tensor',
        'file',
        'noStreaming',
        'wasm',
        'gpuMemory',
        'privateNoRoom',
        'private',
        'noRoom',
        'roomUnknown',
        'notPersisted',
        'lowMemory',
      ]),
    );
    for (const r of reasons) {
      for (const t of [en, ko]) {
        const text = t.preflight.reason(r, (n) => formatBytes(n, t.units.bytes));
        expect(text.length).toBeGreaterThan(20);
        expect(text).toMatch(/\d(\.\d)? [GM]B/);
      }
    }
  });
});
