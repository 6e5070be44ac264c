/**
 * T5 encoder: HF `T5EncoderModel` parameter names ↔ llama.cpp's T5 names (what city96's
 * t5-v1_1-xxl-encoder GGUF files use; ComfyUI-GGUF's `T5_SD_MAP` maps them the same way).
 *
 * | HF (T5EncoderModel)                                              | llama.cpp                  |
 * | shared.weight (= encoder.embed_tokens.weight, tied)              | token_embd.weight          |
 * | encoder.block.N.layer.0.SelfAttention.{q,k,v,o}.weight           | enc.blk.N.attn_{q,k,v,o}.weight |
 * | encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight | enc.blk.0.attn_rel_b.weight (block 0 only) |
 * | encoder.block.N.layer.0.layer_norm.weight                        | enc.blk.N.attn_norm.weight |
 * | encoder.block.N.layer.1.DenseReluDense.wi_0 / wi_1 / wo .weight  | enc.blk.N.ffn_gate / ffn_up / ffn_down .weight |
 * | encoder.block.N.layer.1.DenseReluDense.wi.weight (non-gated T5)  | enc.blk.N.ffn_up.weight    |
 * | encoder.block.N.layer.1.layer_norm.weight                        | enc.blk.N.ffn_norm.weight  |
 * | encoder.final_layer_norm.weight                                  | enc.output_norm.weight     |
 *
 * Every mapping is a whole tensor (no row splits); shapes are the same in PyTorch order
 * (GGUF's ne is reversed by gguf.ts).
 */
import { AppError } from '../../src/shared/errors';
import { validateShapes, type TensorValidation } from './validate';

/** The transformers T5Config keys this table needs (defaults: T5-v1.1-XXL). */
export interface T5Config {
  d_model: number;
  d_ff: number;
  d_kv: number;
  num_heads: number;
  num_layers: number;
  vocab_size: number;
  relative_attention_num_buckets?: number;
  /** "gated-gelu" (v1.1) or "relu" (original T5: one `wi`). */
  feed_forward_proj?: string;
}

export const T5_V1_1_XXL_CONFIG: T5Config = {
  d_model: 4096,
  d_ff: 10240,
  d_kv: 64,
  num_heads: 64,
  num_layers: 24,
  vocab_size: 32128,
  relative_attention_num_buckets: 32,
  feed_forward_proj: 'gated-gelu',
};

const ATTN: Record<string, string> = { q: 'attn_q', k: 'attn_k', v: 'attn_v', o: 'attn_o' };
const FFN: Record<string, string> = { wi_0: 'ffn_gate', wi_1: 'ffn_up', wi: 'ffn_up', wo: 'ffn_down' };

/**
 * The llama.cpp name of an HF T5EncoderModel parameter; undefined when it has none. Throws for a
 * relative attention bias outside block 0 (T5 shares block 0's).
 */
export function t5HfToLlamacpp(name: string): string | undefined {
  if (name === 'shared.weight' || name === 'encoder.embed_tokens.weight') return 'token_embd.weight';
  if (name === 'encoder.final_layer_norm.weight') return 'enc.output_norm.weight';
  const m = /^encoder\.block\.(\d+)\.layer\.([01])\.(.+)$/.exec(name);
  if (!m) return undefined;
  const [, block, layer, rest] = m;
  const p = `enc.blk.${block}.`;
  if (layer === '0') {
    const a = /^SelfAttention\.([qkvo])\.weight$/.exec(rest!);
    if (a) return `${p}${ATTN[a[1]!]}.weight`;
    if (rest === 'SelfAttention.relative_attention_bias.weight') {
      if (block !== '0') throw new AppError('BundleInvalid', `${name}: T5 has a relative attention bias in block 0 only`);
      return `${p}attn_rel_b.weight`;
    }
    if (rest === 'layer_norm.weight') return `${p}attn_norm.weight`;
    return undefined;
  }
  const f = /^DenseReluDense\.(wi_0|wi_1|wi|wo)\.weight$/.exec(rest!);
  if (f) return `${p}${FFN[f[1]!]}.weight`;
  if (rest === 'layer_norm.weight') return `${p}ffn_norm.weight`;
  return undefined;
}

/** Every llama.cpp T5 encoder tensor with its shape (PyTorch order). */
export function t5LlamacppShapes(cfg: T5Config): Map<string, number[]> {
  const inner = cfg.num_heads * cfg.d_kv;
  const s = new Map<string, number[]>();
  s.set('token_embd.weight', [cfg.vocab_size, cfg.d_model]);
  for (let i = 0; i < cfg.num_layers; i++) {
    const p = `enc.blk.${i}.`;
    s.set(`${p}attn_q.weight`, [inner, cfg.d_model]);
    s.set(`${p}attn_k.weight`, [inner, cfg.d_model]);
    s.set(`${p}attn_v.weight`, [inner, cfg.d_model]);
    s.set(`${p}attn_o.weight`, [cfg.d_model, inner]);
    if (i === 0) s.set(`${p}attn_rel_b.weight`, [cfg.relative_attention_num_buckets ?? 32, cfg.num_heads]);
    s.set(`${p}attn_norm.weight`, [cfg.d_model]);
    if ((cfg.feed_forward_proj ?? 'gated-gelu').startsWith('gated')) s.set(`${p}ffn_gate.weight`, [cfg.d_ff, cfg.d_model]);
    s.set(`${p}ffn_up.weight`, [cfg.d_ff, cfg.d_model]);
    s.set(`${p}ffn_down.weight`, [cfg.d_model, cfg.d_ff]);
    s.set(`${p}ffn_norm.weight`, [cfg.d_model]);
  }
  s.set('enc.output_norm.weight', [cfg.d_model]);
  return s;
}

/** A llama.cpp T5 encoder GGUF's tensor table checked against a T5 config. */
export function validateT5Tensors(tensors: Iterable<{ name: string; shape: readonly number[] }>, cfg: T5Config): TensorValidation {
  return validateShapes(tensors, t5LlamacppShapes(cfg), `a T5 encoder with ${cfg.num_layers} blocks of d_model ${cfg.d_model}`);
}
