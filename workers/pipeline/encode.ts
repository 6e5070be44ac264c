/**
 * The encode stage: the prompt's token ids for both encoders, and T5's hidden states (T5 runs once
 * per job and is released before anything else is loaded).
 */
import type { RenderRequest } from '../../src/shared/request';
import type { BundleManifest } from '../../src/shared/manifest';
import { AppError } from '../../src/shared/errors';
import { tensorI64 } from '../runtime/ort';
import { FixedLengthTokenizer } from '../runtime/tokenizers';
import type { Job, LoadedBundle } from './job';

export interface Tokenizers {
  clip: FixedLengthTokenizer;
  t5: FixedLengthTokenizer;
}

export interface TokenizedText {
  tokenizers: Tokenizers;
  clipIds: BigInt64Array;
  t5Ids: BigInt64Array;
}

export interface EncodedText extends TokenizedText {
  /** T5's last hidden state [1, t5Ids.length, d_model]. */
  t5: Float32Array;
}

/** The prompt's token ids for both encoders (no session: cheap). */
export async function tokenize(job: Job, request: RenderRequest): Promise<TokenizedText> {
  const tokenizers = await job.timed('tokenizers', () => loadTokenizers(job.bundle, request.maxSequenceLength, job.verify));
  return { tokenizers, clipIds: tokenizers.clip.encode([request.prompt]), t5Ids: tokenizers.t5.encode([request.prompt]) };
}

/** T5's hidden states for the prompt (its session made, run once and released). */
export async function encodeT5(job: Job, tokens: TokenizedText): Promise<EncodedText> {
  const { t5Ids } = tokens;
  const t5 = await job.stage('t5', () =>
    job.withSession('t5', (s) =>
      job.timed('t5', async () => (await job.run('t5', s, { input_ids: tensorI64(t5Ids, [1, t5Ids.length]) }, ['last_hidden_state']))[0]!),
    ),
  );
  return { ...tokens, t5 };
}

const tokenizerCache = new Map<string, Promise<Tokenizers>>();

function loadTokenizers(bundle: LoadedBundle, t5Length: number, verify: LoadedBundle['verify']): Promise<Tokenizers> {
  const key = `${bundle.manifest.version}:${t5Length}`;
  let entry = tokenizerCache.get(key);
  if (!entry) {
    entry = (async () => {
      const readJson = async (files: BundleManifest['tokenizers']['clip']['files'], name: string) => {
        const file = files.find((f) => f.path.endsWith(name));
        if (!file) throw new AppError('BundleInvalid', `the bundle's tokenizer has no ${name}`);
        // Stored bytes are used only once their sha256 matches (StorageDamaged otherwise), as the weights are.
        await verify?.(file);
        const data = await bundle.read(file);
        const text = data instanceof Blob ? await data.text() : new TextDecoder().decode(data);
        return JSON.parse(text) as Record<string, unknown>;
      };
      const make = async (spec: BundleManifest['tokenizers']['clip'], maxLength: number) =>
        new FixedLengthTokenizer(
          await readJson(spec.files, 'tokenizer.json'),
          await readJson(spec.files, 'tokenizer_config.json'),
          maxLength,
        );
      const { clip, t5 } = bundle.manifest.tokenizers;
      return { clip: await make(clip, clip.max_length), t5: await make(t5, Math.min(t5Length, t5.max_length)) };
    })();
    entry.catch(() => tokenizerCache.delete(key));
    tokenizerCache.set(key, entry);
  }
  return entry;
}
