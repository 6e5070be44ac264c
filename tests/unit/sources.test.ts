import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  parseModelList,
  parsePasted,
  parseSource,
  sourceSizes,
  toSourceDescription,
  SourceError,
  type ListedSource,
  type SourceProblem,
} from '../../src/shared/sources';

const BASE = 'https://app.example/time-stream/';
const BUILT_IN = `${BASE}models/world/manifest.json`;
const TINY = `${BASE}models/tiny/manifest.json`;
const LIST_TEXT = readFileSync(new URL('../../public/models/sources.json', import.meta.url), 'utf8');

/** A fresh deep copy of the shipped list's FLUX entry, to break one field at a time. */
function fluxEntry(): Record<string, unknown> {
  const list = JSON.parse(LIST_TEXT) as { models: Record<string, unknown>[] };
  const entry = list.models.find((m) => m.format === 'time-stream-source');
  if (!entry) throw new Error('the shipped list has no source description');
  return entry;
}

function problem(run: () => unknown): SourceError {
  try {
    run();
  } catch (error) {
    if (error instanceof SourceError) return error;
    throw error;
  }
  throw new Error('expected a SourceError');
}

describe('the shipped model list (public/models/sources.json)', () => {
  const list = parseModelList(LIST_TEXT, BASE, BUILT_IN);

  it('lists the built-in world bundle first and recognises it, then the FLUX source, then the random tiny bundle', () => {
    expect(list.models.map((m) => m.kind)).toEqual(['bundle', 'source', 'bundle']);
    const [world, flux, tiny] = list.models;
    expect(world).toMatchObject({ kind: 'bundle', id: 'tiny-world-flux-schnell', manifestUrl: BUILT_IN, builtIn: true });
    expect(flux).toMatchObject({ kind: 'source', id: 'flux1-schnell-q4-public', displayName: 'FLUX.1-schnell (4-bit, from public files)' });
    expect(tiny).toMatchObject({ kind: 'bundle', id: 'tiny-random-flux-schnell', manifestUrl: TINY, builtIn: false });
  });

  it('gives the exact public files, resolves the template against the app, and sums the download', () => {
    const flux = list.models[1];
    if (flux?.kind !== 'source') throw new Error('expected a source');
    const { components, template, license } = flux.source;
    expect(template).toBe(`${BASE}models/flux1-schnell-q4/template.json`);
    expect(components.transformer).toMatchObject({
      url: 'https://huggingface.co/city96/FLUX.1-schnell-gguf/resolve/main/flux1-schnell-Q4_0.gguf',
      format: 'gguf',
      naming: 'flux-bfl',
      bytes: 6770707360,
    });
    expect(components.t5.url).toBe('https://huggingface.co/city96/t5-v1_1-xxl-encoder-gguf/resolve/main/t5-v1_1-xxl-encoder-Q8_0.gguf');
    expect(components.clip.url).toBe('https://huggingface.co/comfyanonymous/flux_text_encoders/resolve/main/clip_l.safetensors');
    expect(components.decoder.url).toBe('https://huggingface.co/madebyollin/taef1/resolve/main/diffusion_pytorch_model.safetensors');
    expect(license.name).toMatch(/Apache-2\.0.*MIT/);
    const sizes = sourceSizes(flux.source);
    // 6.77 GB + 5.06 GB + 246 MB + 9.85 MB of weights; the tokenizer files' sizes are not published.
    expect(sizes.total).toBe(6770707360 + 5061584064 + 246144152 + 9848636);
    expect(sizes.unknownFiles).toEqual(['t5/tokenizer.json', 't5/tokenizer_config.json']);
    // The GPU estimate is the transformer stage's (weights + activations), above its weights alone.
    expect(flux.source.gpu_memory_bytes).toBeGreaterThan(components.transformer.bytes);
  });
});

describe('model list problems are named', () => {
  const list = () => JSON.parse(LIST_TEXT) as { models: unknown[]; [key: string]: unknown };

  it.each<[string, (l: ReturnType<typeof list>) => void, SourceProblem, string]>([
    ['another format', (l) => (l.format = 'something-else'), 'format', 'format'],
    ['an unknown version', (l) => (l.format_version = 2), 'version', 'format_version'],
    ['no models', (l) => delete (l as Partial<typeof l>).models, 'missing', 'models'],
    ['an entry of no known kind', (l) => l.models.push({ kind: 'zip', id: 'x' }), 'entry', 'models[3]'],
    [
      'a bundle link without a URL',
      (l) => l.models.push({ kind: 'bundle', id: 'b', display_name: 'B' }),
      'missing',
      'models[3].manifest_url',
    ],
    [
      'a bundle link to ftp',
      (l) => l.models.push({ kind: 'bundle', id: 'b', display_name: 'B', manifest_url: 'ftp://x/m.json' }),
      'url',
      'models[3].manifest_url',
    ],
    [
      'the same id twice',
      (l) => l.models.push({ kind: 'bundle', id: 'tiny-random-flux-schnell', display_name: 'B', manifest_url: 'b.json' }),
      'duplicate',
      'models[3].id',
    ],
  ])('%s', (_name, breakIt, expected, at) => {
    const l = list();
    breakIt(l);
    const error = problem(() => parseModelList(l, BASE, BUILT_IN));
    expect(error.problem).toBe(expected);
    expect(error.at).toBe(at);
  });

  it('not JSON at all', () => {
    const error = problem(() => parseModelList('{ "format": ', BASE, BUILT_IN));
    expect(error.problem).toBe('json');
    expect(error.message).toMatch(/not valid JSON/);
  });
});

describe('source description problems are named', () => {
  type Breaker = (s: Record<string, any>) => void; // eslint-disable-line @typescript-eslint/no-explicit-any
  it.each<[string, Breaker, SourceProblem, string]>([
    ['not an object', (s) => (s.components = []), 'not-object', 'components'],
    ['another format', (s) => (s.format = 'time-stream-bundle'), 'format', 'format'],
    ['an unknown version', (s) => (s.format_version = '1'), 'version', 'format_version'],
    ['no id', (s) => delete s.id, 'missing', 'id'],
    ['an id with a slash', (s) => (s.id = 'a/b'), 'id', 'id'],
    ['an empty display name', (s) => (s.display_name = '  '), 'missing', 'display_name'],
    ['a numeric template', (s) => (s.template = 3), 'type', 'template'],
    ['no licence', (s) => delete s.license, 'missing', 'license'],
    ['a licence without a summary', (s) => delete s.license.summary, 'missing', 'license.summary'],
    ['a licence link to javascript:', (s) => (s.license.url = 'javascript:alert(1)'), 'url', 'license.url'],
    ['a GPU estimate in GB, not bytes', (s) => (s.gpu_memory_bytes = 10.9), 'bytes', 'gpu_memory_bytes'],
    ['a missing component', (s) => delete s.components.decoder, 'component', 'components.decoder'],
    ['an unknown component', (s) => (s.components.vae = s.components.decoder), 'component', 'components.vae'],
    ['a weight file in another format', (s) => (s.components.t5.format = 'pt'), 'choice', 'components.t5.format'],
    ['an unknown naming table', (s) => (s.components.t5.naming = 'hf'), 'choice', 'components.t5.naming'],
    ['a negative size', (s) => (s.components.clip.bytes = -1), 'bytes', 'components.clip.bytes'],
    ['a size as text', (s) => (s.components.clip.bytes = '246 MB'), 'bytes', 'components.clip.bytes'],
    ['a weight file of unknown size', (s) => (s.components.clip.bytes = null), 'missing', 'components.clip.bytes'],
    ['a short hash', (s) => (s.components.transformer.sha256 = 'abc'), 'sha256', 'components.transformer.sha256'],
    ['a hash left out (null must be said)', (s) => delete s.components.transformer.sha256, 'missing', 'components.transformer.sha256'],
    ['files not a list', (s) => (s.files = {}), 'type', 'files'],
    ['a file path leaving the bundle', (s) => (s.files[0].path = '../secret.json'), 'path', 'files[0].path'],
    ['an absolute file path', (s) => (s.files[0].path = '/t5/tokenizer.json'), 'path', 'files[0].path'],
    ['the same file twice', (s) => (s.files[1].path = s.files[0].path), 'duplicate', 'files[1].path'],
    ['a file URL that is not http', (s) => (s.files[1].url = 'file:///etc/passwd'), 'url', 'files[1].url'],
  ])('%s', (_name, breakIt, expected, at) => {
    const source = fluxEntry();
    breakIt(source);
    const error = problem(() => parseSource(source, BASE));
    expect(error.problem).toBe(expected);
    expect(error.at).toBe(at);
    expect(error.message.startsWith(`${at}: `)).toBe(true);
  });

  it('names the place inside the list too', () => {
    const l = JSON.parse(LIST_TEXT) as { models: Record<string, any>[] }; // eslint-disable-line @typescript-eslint/no-explicit-any
    l.models[1]!.components.t5.bytes = 0;
    expect(problem(() => parseModelList(l, BASE, BUILT_IN)).at).toBe('models[1].components.t5.bytes');
  });

  it('lower-cases hashes and resolves relative URLs against the base it is given', () => {
    const source = fluxEntry();
    (source.components as Record<string, Record<string, unknown>>).decoder!.url = 'weights/taef1.safetensors';
    (source.components as Record<string, Record<string, unknown>>).decoder!.sha256 = 'A'.repeat(64);
    const parsed = parseSource(source, 'http://127.0.0.1:4173/fixtures/source.json');
    expect(parsed.components.decoder.url).toBe('http://127.0.0.1:4173/fixtures/weights/taef1.safetensors');
    expect(parsed.components.decoder.sha256).toBe('a'.repeat(64));
  });
});

describe('the paste field', () => {
  it('takes an address, relative ones against the page', () => {
    expect(parsePasted(' https://models.example/flux/manifest.json ', BASE)).toEqual({
      kind: 'url',
      url: 'https://models.example/flux/manifest.json',
    });
    expect(parsePasted('models/tiny/manifest.json', BASE)).toEqual({ kind: 'url', url: TINY });
  });

  it('takes a source description as JSON', () => {
    const pasted = parsePasted(JSON.stringify(fluxEntry()), BASE);
    expect(pasted.kind).toBe('source');
    if (pasted.kind === 'source') expect(pasted.source.id).toBe('flux1-schnell-q4-public');
  });

  it.each<[string, SourceProblem]>([
    ['', 'missing'],
    ['{ "format": "time-stream-source", ', 'json'],
    ['{ "format": "time-stream-bundle", "format_version": 1 }', 'format'],
    ['[1, 2]', 'not-object'],
    ['javascript:alert(1)', 'url'],
  ])('refuses %j', (input, expected) => {
    expect(problem(() => parsePasted(input, BASE)).problem).toBe(expected);
  });
});

describe('the contract form', () => {
  it('keeps unpublished sizes and hashes as null (the assembler pins them) and drops the note', () => {
    const source = parseSource(fluxEntry(), BASE);
    expect(toSourceDescription(source).files.map((f) => [f.bytes, f.sha256])).toEqual(source.files.map(() => [null, null]));
    const known: ListedSource = { ...source, files: source.files.map((f) => ({ ...f, bytes: 10, sha256: 'b'.repeat(64) })) };
    const description = toSourceDescription(known);
    expect(description?.files.every((f) => f.bytes === 10)).toBe(true);
    expect(description && 'note' in description).toBe(false);
  });
});

describe('a second template with float16 activations (template_f16, issue 15 item 2)', () => {
  const F16_SOURCE = JSON.parse(readFileSync(new URL('../fixtures/assemble/tiny-f16/source.json', import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;
  const at = 'http://127.0.0.1:4173/';

  it('is optional, resolved like template, and kept by toSourceDescription', () => {
    const parsed = parseSource(F16_SOURCE, at);
    expect(parsed.template).toBe(`${at}tests/fixtures/assemble/tiny/template/template.json`);
    expect(parsed.template_f16).toBe(`${at}tests/fixtures/assemble/tiny-f16/template/template.json`);
    expect(toSourceDescription(parsed).template_f16).toBe(parsed.template_f16);
    const { template_f16: _, ...without } = F16_SOURCE;
    expect('template_f16' in parseSource(without, at)).toBe(false);
  });

  it.each<[string, unknown, SourceProblem, RegExp]>([
    ['a number', 16, 'type', /expected text/],
    ['empty', '', 'missing', /is required/],
    ['not http', 'ftp://models.example/template.json', 'url', /only http and https/],
    ['the fp32 template again', '/tests/fixtures/assemble/tiny/template/template.json', 'duplicate', /same template as "template"/],
  ])('names the problem: %s', (_name, value, expected, message) => {
    const error = problem(() => parseSource({ ...F16_SOURCE, template_f16: value }, at));
    expect([error.problem, error.at]).toEqual([expected, 'template_f16']);
    expect(error.message).toMatch(message);
  });
});
