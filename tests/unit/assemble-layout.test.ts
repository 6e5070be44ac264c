// Layout planning (workers/assemble/layout.ts): names and checks, on hand-made tables.
import { describe, expect, it } from 'vitest';
import { paramResolver, planComponent, sliceRuns, type LayoutEntry, type SourceTensor } from '../../workers/assemble/layout';

const Q4_0 = 2;
const Q8_0 = 8;
const F16 = 1;
/** A source tensor with the byte size its type implies (placed back to back). */
function tensors(list: [string, number[], number][]): Map<string, SourceTensor> {
  const sizes: Record<number, (n: number) => number> = {
    0: (n) => 4 * n,
    1: (n) => 2 * n,
    2: (n) => (n / 32) * 18,
    8: (n) => (n / 32) * 34,
    3: (n) => (n / 32) * 20,
    30: (n) => 2 * n,
  };
  let start = 0;
  const out = new Map<string, SourceTensor>();
  for (const [name, shape, type] of list) {
    const byteSize = sizes[type]!(shape.reduce((a, b) => a * b, 1));
    out.set(name, {
      name,
      shape,
      type,
      typeName: { 0: 'F32', 1: 'F16', 2: 'Q4_0', 8: 'Q8_0', 30: 'BF16', 3: 'Q4_1' }[type] ?? `T${type}`,
      start,
      byteSize,
    });
    start += byteSize;
  }
  return out;
}
const b = (param: string, n: number, k: number, bits: number, offset = 0): LayoutEntry => ({
  name: `${param}.qweight`,
  shard: 0,
  offset,
  bytes: n * (k / 32) * bits * 4,
  param,
  encoding: 'matmulnbits_b',
  shape: [n, k / 32, bits * 4],
  param_shape: [n, k],
  bits,
  block_size: 32,
});

describe('layout planning', () => {
  it('T5: a Q8_0 linear as bits 8, HF names resolved to llama.cpp ones', () => {
    const t = tensors([['enc.blk.0.attn_q.weight', [64, 64], Q8_0]]);
    const { entries, problems } = planComponent(
      't5',
      't5-llamacpp',
      {},
      [b('encoder.block.0.layer.0.SelfAttention.q.weight', 64, 64, 8)],
      t,
      [4096],
      't5.gguf',
    );
    expect(problems).toEqual([]);
    expect(entries[0]).toMatchObject({
      tensor: { name: 'enc.blk.0.attn_q.weight' },
      runs: [{ start: 0, count: 64 }],
      cols: 64,
      outRowBytes: 64,
    });
  });

  it('refuses re-quantisation, a missing tensor and a wrong shape, naming each', () => {
    const t = tensors([
      ['enc.blk.0.attn_q.weight', [64, 64], Q4_0],
      ['enc.blk.0.attn_k.weight', [64, 32], Q8_0],
    ]);
    const layout = [
      b('encoder.block.0.layer.0.SelfAttention.q.weight', 64, 64, 8),
      b('encoder.block.0.layer.0.SelfAttention.k.weight', 64, 64, 8, 4096),
      b('encoder.block.0.layer.0.SelfAttention.v.weight', 64, 64, 8, 8192),
    ];
    const { problems } = planComponent('t5', 't5-llamacpp', {}, layout, t, [3 * 4096], 't5.gguf');
    expect(problems).toEqual([
      't5 encoder.block.0.layer.0.SelfAttention.q.weight.qweight (encoder.block.0.layer.0.SelfAttention.q.weight): tensor enc.blk.0.attn_q.weight is Q4_0 but the graph expects a 8-bit MatMulNBits weight: this would need re-quantising, which is not done',
      't5 encoder.block.0.layer.0.SelfAttention.k.weight.qweight (encoder.block.0.layer.0.SelfAttention.k.weight): tensor enc.blk.0.attn_k.weight in t5.gguf: expected [64, 64], got [64, 32]',
      't5 encoder.block.0.layer.0.SelfAttention.v.weight.qweight (encoder.block.0.layer.0.SelfAttention.v.weight): tensor enc.blk.0.attn_v.weight is missing from t5.gguf',
    ]);
  });

  it('a type that cannot be used without loss is named; entries outside their shard or overlapping are refused', () => {
    const t = tensors([
      ['a', [64, 64], 3],
      ['c', [64, 64], Q4_0],
      ['d', [64, 64], Q4_0],
    ]);
    const layout = [b('a', 64, 64, 4), b('c', 64, 64, 4, 100), b('d', 64, 64, 4, 1000)];
    const { problems } = planComponent('decoder', 'taesd-diffusers', {}, layout, t, [2048 + 500], 'x.gguf');
    expect(problems[0]).toMatch(/tensor a is Q4_1: only Q4_0, Q8_0, F16, BF16 and F32 tensors can be used without re-quantising/);
    expect(problems.slice(1)).toEqual(['decoder d.qweight: bytes [1000, 3048) outside shard 0 (2548 bytes)']);
    const overlap = planComponent('decoder', 'taesd-diffusers', {}, [b('c', 64, 64, 4), b('d', 64, 64, 4, 1024)], t, [4096], 'x.gguf');
    expect(overlap.problems).toEqual(['decoder c.qweight and d.qweight overlap in shard 0']);
  });

  it('T5: the token table as Q8_0 codes + scales from token_embd; a float table or a wrong shape is refused', () => {
    const table = (encoding: 'q8_codes' | 'q8_scales', offset: number, shape: number[], bytes: number): LayoutEntry => ({
      name: `shared.weight.${encoding === 'q8_codes' ? 'codes' : 'scales'}`,
      shard: 0,
      offset,
      bytes,
      param: 'shared.weight',
      encoding,
      shape,
      param_shape: [100, 64],
      block_size: 32,
      ...(encoding === 'q8_scales' ? { dtype: 'float32' as const } : {}),
    });
    const layout = [table('q8_codes', 0, [100, 64], 6400), table('q8_scales', 6400, [100, 2], 800)];
    const ok = planComponent('t5', 't5-llamacpp', {}, layout, tensors([['token_embd.weight', [100, 64], Q8_0]]), [7200], 't5.gguf');
    expect(ok.problems).toEqual([]);
    expect(ok.entries.map((e) => [e.tensor.name, e.outRowBytes, e.pairKey])).toEqual([
      ['token_embd.weight', 64, 't5|shared.weight|all'],
      ['token_embd.weight', 8, 't5|shared.weight|all'],
    ]);
    const f16 = planComponent('t5', 't5-llamacpp', {}, layout, tensors([['token_embd.weight', [100, 64], F16]]), [7200], 't5.gguf');
    expect(f16.problems).toEqual([
      't5 shared.weight.codes (shared.weight): tensor token_embd.weight is F16 but the graph expects a Q8_0 table (int8 codes + scales): this would need quantising, which is not done',
      't5 shared.weight.scales (shared.weight): tensor token_embd.weight is F16 but the graph expects a Q8_0 table (int8 codes + scales): this would need quantising, which is not done',
    ]);
    const wrong = [table('q8_codes', 0, [100, 2, 32], 6400), table('q8_scales', 6400, [100, 2], 400)];
    const bad = planComponent('t5', 't5-llamacpp', {}, wrong, tensors([['token_embd.weight', [100, 64], Q8_0]]), [7200], 't5.gguf');
    expect(bad.problems).toEqual([
      't5 shared.weight.codes (shared.weight): Q8_0 table codes must be [100, 64] (6400 bytes), the layout says [100, 2, 32] (6400 bytes)',
      't5 shared.weight.scales (shared.weight): Q8_0 table scales must be [100, 2] (800 bytes), the layout says [100, 2] (400 bytes)',
    ]);
  });

  it('CLIP: a missing or present text_model. prefix both resolve; extra tensors are never asked for', () => {
    const names = new Set(['text_model.embeddings.token_embedding.weight', 'logit_scale', 'text_projection.weight']);
    const resolve = paramResolver('clip-hf', {}, names);
    expect(resolve('embeddings.token_embedding.weight')?.source).toBe('text_model.embeddings.token_embedding.weight');
    expect(resolve('text_model.embeddings.token_embedding.weight')?.source).toBe('text_model.embeddings.token_embedding.weight');
    const bare = paramResolver('clip-hf', {}, new Set(['embeddings.token_embedding.weight']));
    expect(bare('text_model.embeddings.token_embedding.weight')?.source).toBe('embeddings.token_embedding.weight');
  });

  it('FLUX: fused qkv split by rows, a `rows` sub-range and a transposed F16 linear', () => {
    const cfg = {
      num_layers: 1,
      num_single_layers: 0,
      num_attention_heads: 1,
      attention_head_dim: 32,
      in_channels: 32,
      joint_attention_dim: 32,
      pooled_projection_dim: 32,
    };
    const t = tensors([
      ['double_blocks.0.img_attn.qkv.weight', [96, 32], Q4_0],
      ['img_in.weight', [32, 32], F16],
    ]);
    const k = {
      ...b('transformer_blocks.0.attn.to_k.weight', 32, 32, 4),
      rows: [16, 32] as [number, number],
      param_shape: [16, 32],
      shape: [16, 1, 16],
      bytes: 256,
    };
    const x: LayoutEntry = {
      name: 'x.T',
      shard: 0,
      offset: 512,
      bytes: 4096,
      param: 'x_embedder.weight',
      encoding: 'float32',
      shape: [32, 32],
      param_shape: [32, 32],
      transpose: true,
    };
    const { entries, problems } = planComponent('transformer', 'flux-bfl', cfg, [k, x], t, [8192], 'f.gguf');
    expect(problems).toEqual([]);
    expect(entries[0]!.runs).toEqual([{ start: 48, count: 16 }]);
    expect(entries[1]).toMatchObject({ tensor: { name: 'img_in.weight' }, outRowBytes: 0, cols: 32, paramRows: 32 });
  });

  it('sliceRuns cuts across runs', () => {
    const runs = [
      { start: 10, count: 4 },
      { start: 0, count: 4 },
    ];
    expect(sliceRuns(runs, 2, 4)).toEqual([
      { start: 12, count: 2 },
      { start: 0, count: 2 },
    ]);
    expect(sliceRuns(runs, 5, 3)).toEqual([{ start: 1, count: 3 }]);
  });
});
