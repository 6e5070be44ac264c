/**
 * FLUX transformer: original BFL checkpoint names (what city96's GGUF files use) → diffusers'
 * FluxTransformer2DModel parameter names, with the row splits where BFL fuses tensors.
 *
 * Follows diffusers' `convert_flux_transformer_checkpoint_to_diffusers`
 * (diffusers/loaders/single_file_utils.py, diffusers 0.42.1) exactly:
 * - double_blocks.{i}.img_attn.qkv [3·D, D] → attn.to_q / to_k / to_v (torch.chunk(3, dim=0));
 *   txt_attn.qkv → attn.add_q_proj / add_k_proj / add_v_proj; biases likewise.
 * - single_blocks.{i}.linear1 [3·D + M, D] → attn.to_q / to_k / to_v / proj_mlp
 *   (torch.split((D, D, D, M), dim=0)); linear2 → proj_out.
 * - final_layer.adaLN_modulation.1 [2·D, D] splits as (shift, scale) in BFL, diffusers' norm_out as
 *   (scale, shift): `swap_scale_shift` swaps the two row halves (weight and bias).
 * Everything else is a rename. Rows are PyTorch dim 0 (= GGUF's outer dimension, ne[1]), so each
 * target is a concatenation of whole source rows: with Q4_0/Q8_0 that is whole block rows, a byte
 * slice of the source tensor.
 *
 * tests/fixtures/gguf/flux_convert_map.json holds the converter's own output (run on a fake
 * checkpoint whose values are row indices); the unit test checks this table against it.
 */
import { AppError } from '../../src/shared/errors';
import { validateShapes, type TensorValidation } from './validate';

/** The diffusers FluxTransformer2DModel config keys this table needs (defaults: FLUX.1-schnell). */
export interface FluxConfig {
  num_layers: number;
  num_single_layers: number;
  num_attention_heads: number;
  attention_head_dim: number;
  in_channels?: number;
  out_channels?: number | null;
  patch_size?: number;
  joint_attention_dim?: number;
  pooled_projection_dim?: number;
  guidance_embeds?: boolean;
  /** Not a diffusers config key: FLUX uses 4. */
  mlp_ratio?: number;
}

export const FLUX_SCHNELL_CONFIG: FluxConfig = {
  num_layers: 19,
  num_single_layers: 38,
  num_attention_heads: 24,
  attention_head_dim: 128,
  in_channels: 64,
  patch_size: 1,
  joint_attention_dim: 4096,
  pooled_projection_dim: 768,
  guidance_embeds: false,
};

/** A run of `count` consecutive source rows starting at `start`. */
export interface RowRun {
  start: number;
  count: number;
}

export interface FluxNameEntry {
  /** diffusers parameter name. */
  target: string;
  /** BFL parameter name (as in the GGUF). */
  source: string;
  /** Source rows (dim 0), concatenated in this order, make the target. */
  runs: RowRun[];
  /** Target shape, PyTorch order. */
  shape: number[];
  /** Source shape, PyTorch order. */
  sourceShape: number[];
  /** Set for the (shift, scale) → (scale, shift) swap of norm_out. */
  swapped?: true;
}

interface Dims {
  D: number;
  M: number;
  head: number;
  inCh: number;
  outCh: number;
  ctx: number;
  vec: number;
}

function dims(cfg: FluxConfig): Dims {
  const D = cfg.num_attention_heads * cfg.attention_head_dim;
  const mlp = Math.trunc(D * (cfg.mlp_ratio ?? 4));
  const patch = cfg.patch_size ?? 1;
  const inCh = cfg.in_channels ?? 64;
  const outCh = patch * patch * (cfg.out_channels ?? inCh);
  for (const [k, v] of Object.entries({ D, mlp, inCh, outCh, layers: cfg.num_layers, single: cfg.num_single_layers })) {
    if (!Number.isInteger(v) || v < 0) throw new AppError('Internal', `flux-names: bad config value ${k} = ${v}`);
  }
  return {
    D,
    M: mlp,
    head: cfg.attention_head_dim,
    inCh,
    outCh,
    ctx: cfg.joint_attention_dim ?? 4096,
    vec: cfg.pooled_projection_dim ?? 768,
  };
}

/** Every BFL tensor of the transformer with its shape (PyTorch order). */
export function fluxBflShapes(cfg: FluxConfig): Map<string, number[]> {
  const { D, M, head, inCh, outCh, ctx, vec } = dims(cfg);
  const s = new Map<string, number[]>();
  const lin = (name: string, out: number, inp: number) => {
    s.set(`${name}.weight`, [out, inp]);
    s.set(`${name}.bias`, [out]);
  };
  lin('img_in', D, inCh);
  lin('txt_in', D, ctx);
  lin('time_in.in_layer', D, 256);
  lin('time_in.out_layer', D, D);
  lin('vector_in.in_layer', D, vec);
  lin('vector_in.out_layer', D, D);
  if (cfg.guidance_embeds) {
    lin('guidance_in.in_layer', D, 256);
    lin('guidance_in.out_layer', D, D);
  }
  for (let i = 0; i < cfg.num_layers; i++) {
    for (const side of ['img', 'txt']) {
      const p = `double_blocks.${i}.${side}_`;
      lin(`${p}mod.lin`, 6 * D, D);
      lin(`${p}attn.qkv`, 3 * D, D);
      s.set(`${p}attn.norm.query_norm.scale`, [head]);
      s.set(`${p}attn.norm.key_norm.scale`, [head]);
      lin(`${p}attn.proj`, D, D);
      lin(`${p}mlp.0`, M, D);
      lin(`${p}mlp.2`, D, M);
    }
  }
  for (let i = 0; i < cfg.num_single_layers; i++) {
    const p = `single_blocks.${i}.`;
    lin(`${p}linear1`, 3 * D + M, D);
    lin(`${p}linear2`, D, D + M);
    s.set(`${p}norm.query_norm.scale`, [head]);
    s.set(`${p}norm.key_norm.scale`, [head]);
    lin(`${p}modulation.lin`, 3 * D, D);
  }
  lin('final_layer.linear', outCh, D);
  lin('final_layer.adaLN_modulation.1', 2 * D, D);
  return s;
}

/** The full BFL → diffusers table, in the converter's order. */
export function fluxNameTable(cfg: FluxConfig): FluxNameEntry[] {
  const { D, M } = dims(cfg);
  const bfl = fluxBflShapes(cfg);
  const out: FluxNameEntry[] = [];
  const shapeOf = (source: string): number[] => {
    const sh = bfl.get(source);
    if (!sh) throw new AppError('Internal', `flux-names: no BFL shape for ${source}`);
    return sh;
  };
  /** target ← source rows (whole tensor when runs is omitted). */
  const map = (target: string, source: string, runs?: RowRun[], swapped = false) => {
    const sourceShape = shapeOf(source);
    const r = runs ?? [{ start: 0, count: sourceShape[0]! }];
    const rows = r.reduce((n, x) => n + x.count, 0);
    const entry: FluxNameEntry = { target, source, runs: r, shape: [rows, ...sourceShape.slice(1)], sourceShape };
    if (swapped) entry.swapped = true;
    out.push(entry);
  };
  /** weight and bias of a linear layer, with the same row runs. */
  const linear = (target: string, source: string, runs?: RowRun[], swapped = false) => {
    map(`${target}.weight`, `${source}.weight`, runs, swapped);
    map(`${target}.bias`, `${source}.bias`, runs, swapped);
  };
  const part = (k: number, size: number): RowRun[] => [{ start: k * size, count: size }];

  linear('time_text_embed.timestep_embedder.linear_1', 'time_in.in_layer');
  linear('time_text_embed.timestep_embedder.linear_2', 'time_in.out_layer');
  linear('time_text_embed.text_embedder.linear_1', 'vector_in.in_layer');
  linear('time_text_embed.text_embedder.linear_2', 'vector_in.out_layer');
  if (cfg.guidance_embeds) {
    linear('time_text_embed.guidance_embedder.linear_1', 'guidance_in.in_layer');
    linear('time_text_embed.guidance_embedder.linear_2', 'guidance_in.out_layer');
  }
  linear('context_embedder', 'txt_in');
  linear('x_embedder', 'img_in');

  for (let i = 0; i < cfg.num_layers; i++) {
    const t = `transformer_blocks.${i}.`;
    const s = `double_blocks.${i}.`;
    linear(`${t}norm1.linear`, `${s}img_mod.lin`);
    linear(`${t}norm1_context.linear`, `${s}txt_mod.lin`);
    // fused qkv: torch.chunk(3, dim=0)
    linear(`${t}attn.to_q`, `${s}img_attn.qkv`, part(0, D));
    linear(`${t}attn.to_k`, `${s}img_attn.qkv`, part(1, D));
    linear(`${t}attn.to_v`, `${s}img_attn.qkv`, part(2, D));
    linear(`${t}attn.add_q_proj`, `${s}txt_attn.qkv`, part(0, D));
    linear(`${t}attn.add_k_proj`, `${s}txt_attn.qkv`, part(1, D));
    linear(`${t}attn.add_v_proj`, `${s}txt_attn.qkv`, part(2, D));
    map(`${t}attn.norm_q.weight`, `${s}img_attn.norm.query_norm.scale`);
    map(`${t}attn.norm_k.weight`, `${s}img_attn.norm.key_norm.scale`);
    map(`${t}attn.norm_added_q.weight`, `${s}txt_attn.norm.query_norm.scale`);
    map(`${t}attn.norm_added_k.weight`, `${s}txt_attn.norm.key_norm.scale`);
    linear(`${t}ff.net.0.proj`, `${s}img_mlp.0`);
    linear(`${t}ff.net.2`, `${s}img_mlp.2`);
    linear(`${t}ff_context.net.0.proj`, `${s}txt_mlp.0`);
    linear(`${t}ff_context.net.2`, `${s}txt_mlp.2`);
    linear(`${t}attn.to_out.0`, `${s}img_attn.proj`);
    linear(`${t}attn.to_add_out`, `${s}txt_attn.proj`);
  }

  for (let i = 0; i < cfg.num_single_layers; i++) {
    const t = `single_transformer_blocks.${i}.`;
    const s = `single_blocks.${i}.`;
    linear(`${t}norm.linear`, `${s}modulation.lin`);
    // fused linear1: torch.split((D, D, D, M), dim=0)
    linear(`${t}attn.to_q`, `${s}linear1`, [{ start: 0, count: D }]);
    linear(`${t}attn.to_k`, `${s}linear1`, [{ start: D, count: D }]);
    linear(`${t}attn.to_v`, `${s}linear1`, [{ start: 2 * D, count: D }]);
    linear(`${t}proj_mlp`, `${s}linear1`, [{ start: 3 * D, count: M }]);
    map(`${t}attn.norm_q.weight`, `${s}norm.query_norm.scale`);
    map(`${t}attn.norm_k.weight`, `${s}norm.key_norm.scale`);
    linear(`${t}proj_out`, `${s}linear2`);
  }

  linear('proj_out', 'final_layer.linear');
  // BFL (shift, scale) → diffusers (scale, shift)
  linear(
    'norm_out.linear',
    'final_layer.adaLN_modulation.1',
    [
      { start: D, count: D },
      { start: 0, count: D },
    ],
    true,
  );
  return out;
}

/** The table grouped by source, in first-use order: stream each source tensor once, emit its targets. */
export function groupBySource(table: FluxNameEntry[]): Map<string, FluxNameEntry[]> {
  const g = new Map<string, FluxNameEntry[]>();
  for (const e of table) {
    const list = g.get(e.source);
    if (list) list.push(e);
    else g.set(e.source, [e]);
  }
  return g;
}

/** Names as some exports save them (ComfyUI full checkpoints) carry this prefix; the converter strips it. */
export const BFL_PREFIX = 'model.diffusion_model.';
export function stripBflPrefix(name: string): string {
  return name.startsWith(BFL_PREFIX) ? name.slice(BFL_PREFIX.length) : name;
}

/**
 * Check a checkpoint's tensor table (names in BFL form, shapes in PyTorch order, e.g. a GGUF's
 * `tensors`) against the config: which tensors are missing, which have the wrong shape, which are
 * not part of this model (e.g. `guidance_in.*` of FLUX.1-dev in a schnell config).
 */
export function validateFluxTensors(
  tensors: Iterable<{ name: string; shape: readonly number[] }>,
  cfg: FluxConfig,
  options: { allowUnexpected?: boolean } = {},
): TensorValidation {
  const what = `this FLUX model (config has ${cfg.num_layers} double, ${cfg.num_single_layers} single blocks${cfg.guidance_embeds ? '' : ', no guidance'})`;
  const named = Array.from(tensors, (t) => ({ name: stripBflPrefix(t.name), shape: t.shape }));
  return validateShapes(named, fluxBflShapes(cfg), what, options);
}

/** validateFluxTensors, throwing BundleInvalid with the first problems listed. */
export function assertFluxTensors(
  tensors: Iterable<{ name: string; shape: readonly number[] }>,
  cfg: FluxConfig,
  options: { allowUnexpected?: boolean; label?: string } = {},
): void {
  const v = validateFluxTensors(tensors, cfg, options);
  if (v.ok) return;
  const shown = v.problems.slice(0, 5).join('; ');
  const more = v.problems.length > 5 ? ` (and ${v.problems.length - 5} more)` : '';
  throw new AppError(
    'BundleInvalid',
    `${options.label ?? 'FLUX checkpoint'} does not match the transformer (${v.missing.length} missing, ${v.wrong.length} wrong shape, ${v.unexpected.length} unexpected): ${shown}${more}`,
  );
}
