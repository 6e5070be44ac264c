// Tokenizers from @huggingface/transformers, built from the bundle's own files: no hub lookups.
import { PreTrainedTokenizer, env } from '@huggingface/transformers';

env.allowRemoteModels = false;
env.allowLocalModels = false;

/**
 * Encodes texts to fixed-length id rows the way the Python tokenizers are called by FluxPipeline
 * (`padding="max_length", truncation=True`): content is cut so that the special tokens survive
 * (transformers.js' own truncation would drop the final end-of-text token, which CLIP pools at).
 */
export class FixedLengthTokenizer {
  readonly #tokenizer: PreTrainedTokenizer;
  readonly #prefix: number[];
  readonly #suffix: number[];
  readonly padId: number;

  constructor(tokenizerJson: object, tokenizerConfig: Record<string, unknown>, readonly maxLength: number) {
    this.#tokenizer = new PreTrainedTokenizer(tokenizerJson, tokenizerConfig);
    const specials = this.#tokenizer.encode('', { add_special_tokens: true });
    const bos = this.#tokenizer.bos_token_id;
    const prefixLength = bos !== undefined && bos !== null && specials[0] === bos ? 1 : 0;
    this.#prefix = specials.slice(0, prefixLength);
    this.#suffix = specials.slice(prefixLength);
    this.padId = this.#tokenizer.pad_token_id;
  }

  /** Row-major int64 ids [texts.length, maxLength]. */
  encode(texts: readonly string[]): BigInt64Array {
    return this.#pad(this.#rows(texts), this.maxLength);
  }

  /**
   * Ids padded only to the longest row of this batch ([texts.length, length], length <= maxLength).
   * For CLIP's pooled vector this is exact: attention is causal, so tokens after the end-of-text
   * token the pooling reads cannot change it, and a ~12-token template costs 1/6 of 77.
   */
  encodeCompact(texts: readonly string[]): { ids: BigInt64Array; length: number } {
    const rows = this.#rows(texts);
    const length = Math.max(...rows.map((r) => r.length));
    return { ids: this.#pad(rows, length), length };
  }

  #rows(texts: readonly string[]): number[][] {
    const room = this.maxLength - this.#prefix.length - this.#suffix.length;
    return texts.map((text) => [...this.#prefix, ...this.#tokenizer.encode(text, { add_special_tokens: false }).slice(0, room), ...this.#suffix]);
  }

  #pad(rows: number[][], length: number): BigInt64Array {
    const out = new BigInt64Array(rows.length * length).fill(BigInt(this.padId));
    rows.forEach((ids, row) => ids.forEach((id, i) => (out[row * length + i] = BigInt(id))));
    return out;
  }
}
