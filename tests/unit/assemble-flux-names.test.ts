import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  assertFluxTensors,
  FLUX_SCHNELL_CONFIG,
  fluxBflShapes,
  fluxNameTable,
  groupBySource,
  validateFluxTensors,
  type FluxConfig,
} from '../../workers/assemble/flux-names';

const dir = new URL('../fixtures/gguf/', import.meta.url);
const json = <T>(name: string) => JSON.parse(readFileSync(new URL(name, dir), 'utf8')) as T;

/** diffusers' converter output: target → BFL source and the source rows it took, as [start, count] runs. */
const convertMap = json<Record<string, { source: string; runs: [number, number][]; source_rows: number }>>('flux_convert_map.json');
type Shapes = { config: FluxConfig; diffusers: Record<string, number[]>; bfl: Record<string, number[]> };
const shapes = json<{ full: Shapes; small: Shapes }>('flux_diffusers_shapes.json');

const SMALL: FluxConfig = {
  num_layers: 2,
  num_single_layers: 2,
  num_attention_heads: 2,
  attention_head_dim: 32,
  in_channels: 16,
  joint_attention_dim: 48,
  pooled_projection_dim: 40,
};

describe('FLUX BFL → diffusers name table', () => {
  it('matches diffusers convert_flux_transformer_checkpoint_to_diffusers on the full schnell config', () => {
    const table = fluxNameTable(FLUX_SCHNELL_CONFIG);
    expect(table.length).toBe(Object.keys(convertMap).length);
    for (const e of table) {
      const want = convertMap[e.target];
      expect(want, e.target).toBeDefined();
      expect(e.source, e.target).toBe(want!.source);
      expect(
        e.runs.map((r) => [r.start, r.count]),
        e.target,
      ).toEqual(want!.runs);
      expect(e.sourceShape[0]).toBe(want!.source_rows);
    }
    const nb = table.find((e) => e.target === 'norm_out.linear.weight')!;
    expect(nb.swapped).toBe(true);
    expect(nb.runs).toEqual([
      { start: 3072, count: 3072 },
      { start: 0, count: 3072 },
    ]);
  });

  it('target shapes equal FluxTransformer2DModel state-dict shapes (full and small), sources cover every BFL tensor once', () => {
    for (const [cfg, fx] of [
      [FLUX_SCHNELL_CONFIG, shapes.full],
      [SMALL, shapes.small],
    ] as const) {
      const table = fluxNameTable(cfg);
      const targets = Object.fromEntries(table.map((e) => [e.target, e.shape]));
      expect(targets).toEqual(fx.diffusers);
      expect(Object.fromEntries(fluxBflShapes(cfg))).toEqual(fx.bfl);
      const groups = groupBySource(table);
      expect(new Set(groups.keys())).toEqual(new Set(Object.keys(fx.bfl)));
      // the runs of each source's targets cover its rows exactly once
      for (const [source, entries] of groups) {
        const rows = fx.bfl[source]![0]!;
        const hit = new Uint8Array(rows);
        for (const e of entries) for (const r of e.runs) for (let i = r.start; i < r.start + r.count; i++) hit[i]!++;
        expect(
          hit.every((h) => h === 1),
          source,
        ).toBe(true);
      }
    }
    expect(fluxBflShapes(FLUX_SCHNELL_CONFIG).size).toBe(776); // city96's Q4_0 file has 776 tensors
  });

  it('small config (2 double, 2 single, inner 64): the fused splits', () => {
    const t = Object.fromEntries(fluxNameTable(SMALL).map((e) => [e.target, e]));
    expect(t['transformer_blocks.1.attn.to_k.weight']).toMatchObject({
      source: 'double_blocks.1.img_attn.qkv.weight',
      runs: [{ start: 64, count: 64 }],
      shape: [64, 64],
      sourceShape: [192, 64],
    });
    expect(t['transformer_blocks.0.attn.add_v_proj.bias']).toMatchObject({
      source: 'double_blocks.0.txt_attn.qkv.bias',
      runs: [{ start: 128, count: 64 }],
      shape: [64],
    });
    expect(t['single_transformer_blocks.1.proj_mlp.weight']).toMatchObject({
      source: 'single_blocks.1.linear1.weight',
      runs: [{ start: 192, count: 256 }],
      shape: [256, 64],
      sourceShape: [448, 64],
    });
    expect(t['single_transformer_blocks.0.proj_out.weight']).toMatchObject({ source: 'single_blocks.0.linear2.weight', shape: [64, 320] });
    expect(t['norm_out.linear.bias']).toMatchObject({
      runs: [
        { start: 64, count: 64 },
        { start: 0, count: 64 },
      ],
      swapped: true,
    });
    expect(t['transformer_blocks.0.attn.norm_added_k.weight']).toMatchObject({
      source: 'double_blocks.0.txt_attn.norm.key_norm.scale',
      shape: [32],
    });
  });

  it('guidance_embeds adds guidance_in (FLUX.1-dev)', () => {
    const dev = fluxNameTable({ ...SMALL, guidance_embeds: true });
    expect(dev.find((e) => e.target === 'time_text_embed.guidance_embedder.linear_2.weight')?.source).toBe('guidance_in.out_layer.weight');
  });
});

describe('FLUX tensor validation', () => {
  const good = () => [...fluxBflShapes(SMALL)].map(([name, shape]) => ({ name, shape }));

  it('accepts the exact set (also with the model.diffusion_model. prefix)', () => {
    expect(validateFluxTensors(good(), SMALL).ok).toBe(true);
    expect(
      validateFluxTensors(
        good().map((t) => ({ ...t, name: `model.diffusion_model.${t.name}` })),
        SMALL,
      ).ok,
    ).toBe(true);
    expect(() => assertFluxTensors(good(), SMALL)).not.toThrow();
  });

  it('names what is missing, wrong or unexpected', () => {
    const ts = good()
      .filter((t) => t.name !== 'single_blocks.1.linear2.bias')
      .map((t) => (t.name === 'double_blocks.1.img_attn.qkv.weight' ? { ...t, shape: [192, 60] } : t));
    ts.push({ name: 'guidance_in.in_layer.weight', shape: [64, 256] });
    const v = validateFluxTensors(ts, SMALL);
    expect(v.ok).toBe(false);
    expect(v.missing).toEqual(['single_blocks.1.linear2.bias']);
    expect(v.wrong).toEqual(['double_blocks.1.img_attn.qkv.weight']);
    expect(v.unexpected).toEqual(['guidance_in.in_layer.weight']);
    expect(v.problems).toContain('tensor double_blocks.1.img_attn.qkv.weight: expected [192, 64], got [192, 60]');
    expect(v.problems).toContain('tensor single_blocks.1.linear2.bias: missing (expected [64])');
    expect(validateFluxTensors(ts, SMALL, { allowUnexpected: true }).problems).toHaveLength(2);
    expect(() => assertFluxTensors(ts, SMALL, { label: 'flux1-schnell-Q4_0.gguf' })).toThrow(
      /flux1-schnell-Q4_0\.gguf does not match the transformer \(1 missing, 1 wrong shape, 1 unexpected\): tensor double_blocks\.1\.img_attn\.qkv\.weight: expected \[192, 64\], got \[192, 60\]/,
    );
  });

  it('the full config expects the shapes from weights.md', () => {
    const s = fluxBflShapes(FLUX_SCHNELL_CONFIG);
    expect(s.get('double_blocks.3.img_attn.qkv.weight')).toEqual([9216, 3072]);
    expect(s.get('single_blocks.37.linear1.weight')).toEqual([21504, 3072]);
    expect(s.get('single_blocks.0.linear2.weight')).toEqual([3072, 15360]);
    expect(s.get('final_layer.adaLN_modulation.1.weight')).toEqual([6144, 3072]);
    expect(s.get('time_in.in_layer.weight')).toEqual([3072, 256]);
    const v = validateFluxTensors([{ name: 'double_blocks.3.img_attn.qkv.weight', shape: [9216, 3000] }], FLUX_SCHNELL_CONFIG);
    expect(v.problems[0]).toBe('tensor double_blocks.3.img_attn.qkv.weight: expected [9216, 3072], got [9216, 3000]');
    expect(v.missing.length).toBe(775);
  });
});
