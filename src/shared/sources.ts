/**
 * The model list (public/models/sources.json) and source descriptions (docs/assembly.md): parsing and
 * validation, pure (no DOM, no fetch). Every problem is a SourceError naming where it is
 * (`models[1].components.t5.bytes`) and what kind it is; the UI words it (i18n), the English message
 * goes under "technical details".
 *
 * Relative URLs are resolved here, once, against the base the caller gives: the app's root for the
 * list and for pasted text (docs/assembly.md: "relative to the page"), the description's own URL for
 * one fetched by URL (as a bundle's files are relative to its manifest). The worker only ever sees
 * absolute URLs.
 */
import { COMPONENT_NAMES, type ComponentName } from './manifest';
import type { SourceDescription, SourceFile, SourceNaming, WeightSource } from './assemble-api';

export const SOURCE_NAMINGS: readonly SourceNaming[] = ['flux-bfl', 't5-llamacpp', 'clip-hf', 'taesd-diffusers'];
const WEIGHT_FORMATS: readonly WeightSource['format'][] = ['gguf', 'safetensors'];

/** What kind of problem; the UI has one sentence per kind. */
export type SourceProblem =
  | 'json' // not JSON at all
  | 'not-object' // JSON, but not the object expected there
  | 'format' // the `format` field names something else
  | 'version' // a format_version this app does not know
  | 'missing' // a required field is absent or empty
  | 'type' // a field of the wrong type
  | 'id' // an id that cannot name a bundle in the store
  | 'url' // not an http(s) URL
  | 'bytes' // not a positive whole number of bytes
  | 'sha256' // not 64 hex digits (or null)
  | 'choice' // a value outside its list (format, naming)
  | 'component' // a component this app does not have, or one missing
  | 'path' // a file path that leaves the bundle
  | 'duplicate' // the same id or path twice
  | 'entry'; // a list entry that is neither a bundle link nor a source description

export class SourceError extends Error {
  override readonly name = 'SourceError';
  constructor(
    readonly problem: SourceProblem,
    /** Where: a JSON path such as `components.t5.bytes`; empty for the whole text. */
    readonly at: string,
    message: string,
  ) {
    super(at ? `${at}: ${message}` : message);
  }
}

/** A copied file (tokenizers). Size and hash may be unknown where the publisher gives none. */
export interface ListedFile extends Omit<SourceFile, 'bytes' | 'sha256'> {
  bytes: number | null;
  sha256: string | null;
}

/** A source description as the list or a user gives it: the contract's, plus an optional note. */
export interface ListedSource extends Omit<SourceDescription, 'files'> {
  files: ListedFile[];
  /** Free text for people (provenance of sizes and hashes, how the GPU estimate was made). */
  note?: string;
}

export type ModelEntry =
  | { kind: 'bundle'; id: string; displayName: string; manifestUrl: string; builtIn: boolean; note?: string }
  | { kind: 'source'; id: string; displayName: string; source: ListedSource };

export interface ModelList {
  models: ModelEntry[];
  note?: string;
}

/** What the user pasted: a URL (a bundle manifest, or a source description to fetch) or a source description. */
export type Pasted = { kind: 'url'; url: string } | { kind: 'source'; source: ListedSource };

const ID = /^[a-z0-9][a-z0-9._-]{0,99}$/i;
const SHA256 = /^[0-9a-f]{64}$/i;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(at: string, key: string | number): string {
  return typeof key === 'number' ? `${at}[${key}]` : at ? `${at}.${key}` : key;
}

function object(value: unknown, at: string, what: string): Json {
  if (!isObject(value)) throw new SourceError(value === undefined ? 'missing' : 'not-object', at, `expected ${what} (a JSON object)`);
  return value;
}

function text(obj: Json, key: string, at: string): string {
  const value = obj[key];
  const where = join(at, key);
  if (value === undefined || value === null || value === '') throw new SourceError('missing', where, 'is required');
  if (typeof value !== 'string') throw new SourceError('type', where, `expected text, got ${typeof value}`);
  if (!value.trim()) throw new SourceError('missing', where, 'is empty');
  return value;
}

function optionalText(obj: Json, key: string, at: string): string | undefined {
  if (obj[key] === undefined) return undefined;
  return text(obj, key, at);
}

function bytes(obj: Json, key: string, at: string, nullable: boolean): number | null {
  const value = obj[key];
  const where = join(at, key);
  if (value === null && nullable) return null;
  if (value === undefined || value === null) throw new SourceError('missing', where, 'is required (a byte count)');
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0)
    throw new SourceError('bytes', where, `expected a positive whole number of bytes, got ${JSON.stringify(value)}`);
  return value;
}

function sha256(obj: Json, key: string, at: string): string | null {
  const value = obj[key];
  const where = join(at, key);
  if (value === undefined) throw new SourceError('missing', where, 'is required (64 hex digits, or null where none is published)');
  if (value === null) return null;
  if (typeof value !== 'string' || !SHA256.test(value))
    throw new SourceError('sha256', where, `expected 64 hex digits or null, got ${JSON.stringify(value)}`);
  return value.toLowerCase();
}

/** An http(s) URL, resolved against `base`. */
function url(obj: Json, key: string, at: string, base: string): string {
  const raw = text(obj, key, at);
  let resolved: URL;
  try {
    resolved = new URL(raw.trim(), base);
  } catch {
    throw new SourceError('url', join(at, key), `not a URL: ${JSON.stringify(raw)}`);
  }
  if (resolved.protocol !== 'https:' && resolved.protocol !== 'http:')
    throw new SourceError('url', join(at, key), `only http and https addresses can be fetched, got ${resolved.protocol}`);
  return resolved.href;
}

function choice<T extends string>(obj: Json, key: string, at: string, allowed: readonly T[]): T {
  const value = text(obj, key, at);
  if (!(allowed as readonly string[]).includes(value))
    throw new SourceError('choice', join(at, key), `${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
  return value as T;
}

function id(obj: Json, key: string, at: string): string {
  const value = text(obj, key, at);
  if (!ID.test(value)) throw new SourceError('id', join(at, key), 'use letters, digits, ".", "_" and "-" only (at most 100)');
  return value;
}

function weight(value: unknown, at: string, base: string): WeightSource {
  const obj = object(value, at, 'a weight file');
  return {
    url: url(obj, 'url', at, base),
    format: choice(obj, 'format', at, WEIGHT_FORMATS),
    naming: choice(obj, 'naming', at, SOURCE_NAMINGS),
    bytes: bytes(obj, 'bytes', at, false) as number,
    sha256: sha256(obj, 'sha256', at),
  };
}

function file(value: unknown, at: string, base: string): ListedFile {
  const obj = object(value, at, 'a file');
  const path = text(obj, 'path', at);
  if (path.startsWith('/') || path.includes('\\') || path.split('/').some((part) => part === '..' || part === '.' || part === ''))
    throw new SourceError('path', join(at, 'path'), `${JSON.stringify(path)} must be a plain relative path inside the bundle`);
  return { path, url: url(obj, 'url', at, base), bytes: bytes(obj, 'bytes', at, true), sha256: sha256(obj, 'sha256', at) };
}

/** Checks one source description (already parsed JSON) and resolves its URLs against `base`. */
export function parseSource(value: unknown, base: string, at = ''): ListedSource {
  const obj = object(value, at, 'a source description');
  if (obj.format !== 'time-stream-source')
    throw new SourceError('format', join(at, 'format'), `expected "time-stream-source", got ${JSON.stringify(obj.format)}`);
  if (obj.format_version !== 1)
    throw new SourceError('version', join(at, 'format_version'), `this app reads version 1, got ${JSON.stringify(obj.format_version)}`);

  const licenseAt = join(at, 'license');
  const license = object(obj.license, licenseAt, 'a licence');
  const gpu = bytes(obj, 'gpu_memory_bytes', at, false) as number;

  const componentsAt = join(at, 'components');
  const given = object(obj.components, componentsAt, 'the four components');
  for (const name of Object.keys(given)) {
    if (!(COMPONENT_NAMES as readonly string[]).includes(name))
      throw new SourceError('component', join(componentsAt, name), `unknown component (expected ${COMPONENT_NAMES.join(', ')})`);
  }
  const components = {} as Record<ComponentName, WeightSource>;
  for (const name of COMPONENT_NAMES) {
    if (given[name] === undefined) throw new SourceError('component', join(componentsAt, name), 'this component is missing');
    components[name] = weight(given[name], join(componentsAt, name), base);
  }

  const filesAt = join(at, 'files');
  if (!Array.isArray(obj.files)) throw new SourceError(obj.files === undefined ? 'missing' : 'type', filesAt, 'expected a list of files');
  const files = obj.files.map((f, i) => file(f, join(filesAt, i), base));
  const seen = new Set<string>();
  files.forEach((f, i) => {
    if (seen.has(f.path)) throw new SourceError('duplicate', join(join(filesAt, i), 'path'), `${f.path} is listed twice`);
    seen.add(f.path);
  });

  const note = optionalText(obj, 'note', at);
  const template = url(obj, 'template', at, base);
  // Optional: the template with float16 activations, used only on a GPU with shader-f16 (docs/assembly.md).
  const templateF16 = obj.template_f16 === undefined ? undefined : url(obj, 'template_f16', at, base);
  if (templateF16 === template)
    throw new SourceError('duplicate', join(at, 'template_f16'), 'names the same template as "template" (it must be the float16 one)');
  return {
    format: 'time-stream-source',
    format_version: 1,
    id: id(obj, 'id', at),
    display_name: text(obj, 'display_name', at),
    template,
    ...(templateF16 !== undefined ? { template_f16: templateF16 } : {}),
    license: {
      name: text(license, 'name', licenseAt),
      url: url(license, 'url', licenseAt, base),
      summary: text(license, 'summary', licenseAt),
    },
    gpu_memory_bytes: gpu,
    components,
    files,
    ...(note !== undefined ? { note } : {}),
  };
}

function entry(value: unknown, at: string, base: string, builtInUrl: string): ModelEntry {
  const obj = object(value, at, 'a model');
  if (obj.kind === 'bundle') {
    const manifestUrl = url(obj, 'manifest_url', at, base);
    const note = optionalText(obj, 'note', at);
    return {
      kind: 'bundle',
      id: id(obj, 'id', at),
      displayName: text(obj, 'display_name', at),
      manifestUrl,
      builtIn: manifestUrl === builtInUrl,
      ...(note !== undefined ? { note } : {}),
    };
  }
  if (obj.format === 'time-stream-source') {
    const source = parseSource(obj, base, at);
    return { kind: 'source', id: source.id, displayName: source.display_name, source };
  }
  throw new SourceError('entry', at, 'neither a bundle link ("kind": "bundle") nor a source description ("format": "time-stream-source")');
}

function parseJson(textValue: string): unknown {
  try {
    return JSON.parse(textValue);
  } catch (error) {
    throw new SourceError('json', '', `not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

/**
 * Checks the model list file. `base` resolves its relative URLs (the app's root); `builtInUrl` is the
 * built-in bundle's absolute manifest URL, so that its entry is recognised rather than shown twice.
 */
export function parseModelList(source: string | unknown, base: string, builtInUrl: string): ModelList {
  const value = typeof source === 'string' ? parseJson(source) : source;
  const obj = object(value, '', 'the model list');
  if (obj.format !== 'time-stream-models')
    throw new SourceError('format', 'format', `expected "time-stream-models", got ${JSON.stringify(obj.format)}`);
  if (obj.format_version !== 1)
    throw new SourceError('version', 'format_version', `this app reads version 1, got ${JSON.stringify(obj.format_version)}`);
  if (!Array.isArray(obj.models))
    throw new SourceError(obj.models === undefined ? 'missing' : 'type', 'models', 'expected a list of models');
  const models = obj.models.map((m, i) => entry(m, join('models', i), base, builtInUrl));
  const seen = new Set<string>();
  models.forEach((m, i) => {
    if (seen.has(m.id)) throw new SourceError('duplicate', join(join('models', i), 'id'), `the id ${m.id} is used twice`);
    seen.add(m.id);
  });
  const note = optionalText(obj, 'note', '');
  return { models, ...(note !== undefined ? { note } : {}) };
}

/**
 * What the user put in the paste field: JSON (it must then be a source description; relative URLs
 * resolve against `base`, the page) or an address (checked later: a bundle manifest or a source
 * description to fetch). Throws a SourceError for anything else.
 */
export function parsePasted(input: string, base: string): Pasted {
  const trimmed = input.trim();
  if (!trimmed) throw new SourceError('missing', '', 'nothing was pasted');
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return { kind: 'source', source: parseSource(parseJson(trimmed), base) };
  let resolved: URL;
  try {
    resolved = new URL(trimmed, base);
  } catch {
    throw new SourceError('url', '', `neither an address nor a JSON source description: ${JSON.stringify(trimmed.slice(0, 80))}`);
  }
  if (resolved.protocol !== 'https:' && resolved.protocol !== 'http:')
    throw new SourceError('url', '', `only http and https addresses can be fetched, got ${resolved.protocol}`);
  return { kind: 'url', url: resolved.href };
}

/** `url` made absolute against `base`. */
export function absoluteUrl(url: string, base: string): string {
  return new URL(url, base).href;
}

/** Download sizes known before anything moves: per component (tokenizer files under their encoder). */
export interface SourceSizes {
  byComponent: Record<ComponentName, number>;
  /** Weight files plus the copied files whose size is known. */
  total: number;
  /** Copied files whose size the description does not give (counted as 0 above). */
  unknownFiles: string[];
}

export function sourceSizes(source: ListedSource): SourceSizes {
  const byComponent = {} as Record<ComponentName, number>;
  for (const name of COMPONENT_NAMES) byComponent[name] = source.components[name].bytes;
  const unknownFiles: string[] = [];
  for (const f of source.files) {
    if (f.bytes === null) unknownFiles.push(f.path);
    // Tokenizer files live under their encoder's folder (t5/…, clip/…), as in a bundle.
    const owner = COMPONENT_NAMES.find((name) => f.path.startsWith(`${name}/`));
    if (f.bytes !== null && owner) byComponent[owner] += f.bytes;
  }
  const otherFiles = source.files.filter((f) => f.bytes !== null && !COMPONENT_NAMES.some((n) => f.path.startsWith(`${n}/`)));
  const total = COMPONENT_NAMES.reduce((n, name) => n + byComponent[name], 0) + otherFiles.reduce((n, f) => n + (f.bytes ?? 0), 0);
  return { byComponent, total, unknownFiles };
}

/** The description as the assembler's contract types it (copied files may lack a published size and hash). */
export function toSourceDescription(source: ListedSource): SourceDescription {
  const files: SourceFile[] = source.files.map((f) => ({ path: f.path, url: f.url, bytes: f.bytes, sha256: f.sha256 }));
  const { note: _note, ...rest } = source;
  return { ...rest, files };
}
