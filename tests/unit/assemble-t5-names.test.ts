import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { t5HfToLlamacpp, t5LlamacppShapes, T5_V1_1_XXL_CONFIG, validateT5Tensors, type T5Config } from '../../workers/assemble/t5-names';

/** gguf-py's TensorNameMap (arch t5encoder) applied to a transformers T5EncoderModel's state dict. */
const fixture = JSON.parse(readFileSync(new URL('../fixtures/gguf/t5_names.json', import.meta.url), 'utf8')) as {
  config: T5Config;
  params: Record<string, { shape: number[]; llamacpp: string | null }>;
};

describe('T5 HF ↔ llama.cpp names', () => {
  it("equals gguf-py's own T5 encoder name map on every T5EncoderModel parameter", () => {
    for (const [name, { llamacpp }] of Object.entries(fixture.params)) {
      // gguf-py maps `shared` only: the converter drops the tied copy. Both are the same table.
      const want = name === 'encoder.embed_tokens.weight' ? 'token_embd.weight' : llamacpp;
      expect(t5HfToLlamacpp(name) ?? null, name).toBe(want);
    }
  });

  it('the llama.cpp shape table equals the HF shapes (PyTorch order), each llama.cpp tensor once', () => {
    const shapes = t5LlamacppShapes(fixture.config);
    const fromHf = new Map<string, number[]>();
    for (const [name, { shape }] of Object.entries(fixture.params)) fromHf.set(t5HfToLlamacpp(name)!, shape);
    expect(Object.fromEntries(shapes)).toEqual(Object.fromEntries(fromHf));
  });

  it('a relative attention bias outside block 0 is refused', () => {
    expect(() => t5HfToLlamacpp('encoder.block.3.layer.0.SelfAttention.relative_attention_bias.weight')).toThrow(/block 0 only/);
    expect(t5HfToLlamacpp('lm_head.weight')).toBeUndefined();
  });

  it('names missing, wrong-shaped and unexpected tensors (T5-v1.1-XXL sizes)', () => {
    const shapes = t5LlamacppShapes(T5_V1_1_XXL_CONFIG);
    expect(shapes.get('token_embd.weight')).toEqual([32128, 4096]);
    expect(shapes.get('enc.blk.0.attn_rel_b.weight')).toEqual([32, 64]);
    expect(shapes.size).toBe(1 + 24 * 9 + 1 + 1);
    const tensors = [...shapes].map(([name, shape]) => ({ name, shape }));
    expect(validateT5Tensors(tensors, T5_V1_1_XXL_CONFIG).ok).toBe(true);
    const broken = tensors.filter((t) => t.name !== 'enc.blk.5.ffn_up.weight');
    broken[3] = { name: broken[3]!.name, shape: [4096, 4000] };
    broken.push({ name: 'dec.blk.0.attn_q.weight', shape: [4096, 4096] });
    const v = validateT5Tensors(broken, T5_V1_1_XXL_CONFIG);
    expect(v.missing).toEqual(['enc.blk.5.ffn_up.weight']);
    expect(v.wrong).toEqual([broken[3]!.name]);
    expect(v.unexpected).toEqual(['dec.blk.0.attn_q.weight']);
    expect(v.problems).toContain(`tensor ${broken[3]!.name}: expected [4096, 4096], got [4096, 4000]`);
  });
});
