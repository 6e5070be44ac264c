import { describe, expect, it } from 'vitest';
import type { BundleFile, BundleManifest } from '../../src/shared/manifest';
import { bundleSizes } from '../../src/shared/manifest';
import { fitsQuota, manifestProblem, planFiles, uniqueContents, type HeldFile } from '../../workers/store/plan';

const hex = (n: number) => n.toString(16).padStart(64, '0');
const file = (path: string, bytes: number, sha: number): BundleFile => ({ path, bytes, sha256: hex(sha) });
const component = (graph: BundleFile, ...external_data: BundleFile[]) => ({ graph, external_data, inputs: [], outputs: [], config: {} });

function manifest(): BundleManifest {
  return {
    format: 'time-stream-bundle',
    format_version: 1,
    id: 'm',
    version: 'v1',
    license: 'x',
    source: 'x',
    precision: 'fp32',
    components: {
      clip: component(file('clip/clip.onnx', 10, 1), file('clip/clip.onnx.data.0', 100, 2)),
      t5: component(file('t5/t5.onnx', 10, 3), file('t5/t5.onnx.data.0', 200, 4)),
      transformer: component(
        file('transformer/t.onnx', 10, 5),
        file('transformer/t.onnx.data.0', 1000, 6),
        file('transformer/t.onnx.data.1', 500, 7),
      ),
      decoder: component(file('decoder/d.onnx', 10, 8)),
    },
    // The same tokenizer content under two paths: stored once.
    tokenizers: {
      clip: { files: [file('clip/tokenizer.json', 5, 9)], max_length: 77 },
      t5: { files: [file('t5/tokenizer.json', 5, 9)], max_length: 512 },
    },
    scheduler: { num_train_timesteps: 1000, shift: 1, use_dynamic_shifting: false },
    vae: { scaling_factor: 1, shift_factor: 0, spatial_factor: 8, latent_channels: 16 },
    defaults: { width: 64, height: 64, max_sequence_length: 512 },
  };
}

describe('download plan', () => {
  it('counts each content once, and everything as missing in an empty store', () => {
    const m = manifest();
    const plan = planFiles(m, new Map());
    expect(uniqueContents(m)).toHaveLength(9);
    expect(plan.totalBytes).toBe(bundleSizes(m).total - 5);
    expect(plan.cachedBytes).toBe(0);
    expect(plan.downloadBytes).toBe(plan.totalBytes);
    expect(plan.files).toHaveLength(10);
    expect(plan.files.every((f) => f.state === 'missing')).toBe(true);
    expect(plan.byComponent.transformer).toEqual({ bytes: 1510, cachedBytes: 0 });
    expect(plan.byComponent.clip).toEqual({ bytes: 115, cachedBytes: 0 });
  });

  it('counts complete files whole and partial files by their stored prefix', () => {
    const m = manifest();
    const held = new Map<string, HeldFile>([
      [hex(6), { stored: 1000, complete: true }],
      [hex(7), { stored: 200, complete: false }],
      [hex(2), { stored: 0, complete: false }],
    ]);
    const plan = planFiles(m, held);
    expect(plan.cachedBytes).toBe(1200);
    expect(plan.downloadBytes).toBe(plan.totalBytes - 1200);
    expect(plan.byComponent.transformer).toEqual({ bytes: 1510, cachedBytes: 1200 });
    expect(plan.files.find((f) => f.path.endsWith('data.1'))).toMatchObject({ state: 'partial', cachedBytes: 200 });
    expect(plan.files.find((f) => f.path === 'clip/clip.onnx.data.0')).toMatchObject({ state: 'missing', cachedBytes: 0 });
  });

  it('knows a content shared across versions is already there', () => {
    const m = manifest();
    const v2 = structuredClone(m);
    v2.version = 'v2';
    v2.components.transformer.external_data[1] = file('transformer/t.onnx.data.1', 500, 70);
    const held = new Map<string, HeldFile>(uniqueContents(m).map((f) => [f.sha256, { stored: f.bytes, complete: true }]));
    expect(planFiles(v2, held).downloadBytes).toBe(500);
  });

  it('checks quota: fits, does not fit, or no estimate at all', () => {
    expect(fitsQuota(100, { usage: 50, quota: 200 })).toEqual({ fits: true, available: 150 });
    expect(fitsQuota(151, { usage: 50, quota: 200 })).toEqual({ fits: false, available: 150 });
    expect(fitsQuota(1, { usage: 300, quota: 200 })).toEqual({ fits: false, available: 0 });
    expect(fitsQuota(1e12, undefined)).toEqual({ fits: true });
    // Chrome's report of usage + exactly 10 GiB is a floor, not a limit: the 13.9 GB FLUX bundle is not refused on it.
    expect(fitsQuota(13.9e9, { usage: 5e6, quota: 5e6 + 10 * 2 ** 30 })).toEqual({ fits: true, available: 10 * 2 ** 30 });
    expect(fitsQuota(13.9e9, { usage: 5e6, quota: 5e6 + 10 * 2 ** 30 - 1 })).toEqual({ fits: false, available: 10 * 2 ** 30 - 1 });
  });

  it('refuses manifests whose files cannot key or bound a stored file', () => {
    expect(manifestProblem(manifest())).toBeUndefined();
    const bad = (edit: (m: BundleManifest) => void) => {
      const m = manifest();
      edit(m);
      return manifestProblem(m);
    };
    expect(bad((m) => (m.components.clip.graph.sha256 = 'abc'))).toMatch(/sha256/);
    expect(bad((m) => (m.components.clip.graph.bytes = -1))).toMatch(/size/);
    expect(bad((m) => (m.components.clip.graph.path = '../x'))).toMatch(/inside/);
    expect(bad((m) => (m.components.clip.graph.path = 'https://elsewhere/x'))).toMatch(/inside/);
    expect(bad((m) => (m.version = ''))).toMatch(/version/);
  });
});
