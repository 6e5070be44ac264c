/**
 * The template (docs/assembly.md) and the plan of each shard: which source tensor, which of its rows,
 * and what encoding fill each layout entry. Pure (no I/O): everything is checked here before any
 * shard byte is written, and every problem names the tensor (missing, wrong shape, a quant type the
 * encoding cannot take losslessly, a size that does not add up).
 */
import { AppError } from '../../src/shared/errors';
import { COMPONENT_NAMES, type BundleManifest, type ComponentName } from '../../src/shared/manifest';
import type { SourceNaming } from '../../src/shared/assemble-api';
import { fluxBflShapes, fluxNameTable, stripBflPrefix, type FluxConfig, type RowRun } from './flux-names';
import { GgmlType } from './gguf';
import { t5HfToLlamacpp } from './t5-names';

export type Encoding = 'matmulnbits_b' | 'matmulnbits_scales' | 'q8_codes' | 'q8_scales' | 'float32' | 'float16';

/** One external initializer of a graph (template.json `layouts[c].tensors[i]`). */
export interface LayoutEntry {
  name: string;
  shard: number;
  offset: number;
  bytes: number;
  /** The module's state-dict name. */
  param: string;
  /** Only these rows [start, end) of `param` (row = dim 0). */
  rows?: [number, number];
  encoding: Encoding;
  /** The initializer's ONNX shape. */
  shape: number[];
  /** The parameter's PyTorch shape (of the rows part when `rows`). */
  param_shape: number[];
  bits?: number;
  block_size?: number;
  transpose?: boolean;
  /** matmulnbits_scales / q8_scales: the scales' type. */
  dtype?: 'float16' | 'float32';
}

/** template.json. `manifest` is a bundle manifest without shard sha256s, tokenizer files or version. */
export interface Template {
  format: 'time-stream-template';
  format_version: 1;
  id: string;
  manifest: BundleManifest;
  layouts: Record<ComponentName, { tensors: LayoutEntry[] }>;
}

/** Checks a parsed template.json; throws BundleInvalid naming the first problem. */
export function assertTemplate(value: unknown, label: string): asserts value is Template {
  const bad = (detail: string) => new AppError('BundleInvalid', `template ${label}: ${detail}`);
  const t = value as Partial<Template> | null;
  if (!t || typeof t !== 'object') throw bad('not a JSON object');
  if (t.format !== 'time-stream-template') throw bad('not a Time Stream template (format field)');
  if (t.format_version !== 1) throw bad(`unsupported template format version ${String(t.format_version)}`);
  if (!t.manifest || typeof t.manifest !== 'object' || !t.manifest.components) throw bad('no manifest');
  for (const c of COMPONENT_NAMES) {
    const comp = t.manifest.components[c];
    if (!comp?.graph?.path || !/^[0-9a-f]{64}$/.test(comp.graph.sha256 ?? '') || !Array.isArray(comp.external_data)) {
      throw bad(`component ${c} has no graph with a sha256, or no external_data`);
    }
    for (const f of comp.external_data) {
      if (!f.path || !Number.isSafeInteger(f.bytes) || f.bytes < 0) throw bad(`component ${c}: shard ${f.path} has no byte size`);
    }
    const tensors = t.layouts?.[c]?.tensors;
    if (!Array.isArray(tensors)) throw bad(`no layout for ${c}`);
  }
}

/** What the assembler needs of a source tensor, whatever the file format (PyTorch-order shape). */
export interface SourceTensor {
  name: string;
  shape: number[];
  /** ggml type code (safetensors F32/F16/BF16 use theirs; -1: not convertible). */
  type: number;
  typeName: string;
  /** Absolute offset in the file, and size. */
  start: number;
  byteSize: number;
}

/** A layout entry with its source resolved and its sizes checked. */
export interface PlannedEntry extends LayoutEntry {
  component: ComponentName;
  tensor: SourceTensor;
  /** Source rows (dim 0), in order, that make the entry's param rows. */
  runs: RowRun[];
  /** Param rows the entry covers (= sum of runs). */
  paramRows: number;
  /** Elements per param row. */
  cols: number;
  /** Bytes of one source row (dim 0). */
  srcRowBytes: number;
  /** Output bytes per param row (0 for a transposed entry, which is produced whole). */
  outRowBytes: number;
  /** Key shared by the B and scales entries of one MatMulNBits weight (one read of the source serves both). */
  pairKey: string;
}

const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;
const product = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
const QUANTISED = new Set<number>([GgmlType.Q4_0, GgmlType.Q8_0]);
const FLOATS = new Set<number>([GgmlType.F32, GgmlType.F16, GgmlType.BF16]);

/** Where a param comes from in the source file: a tensor, its rows, the shape it must have. */
interface ParamSource {
  source: string;
  runs?: RowRun[];
  /** The source tensor's expected shape (PyTorch order), when the naming knows it. */
  sourceShape?: number[];
  /** The whole param's shape, when the naming knows it. */
  paramShape?: number[];
}

/** The naming table of docs/assembly.md: param (graph) name → source tensor. */
export function paramResolver(
  naming: SourceNaming,
  config: Record<string, unknown>,
  sourceNames: ReadonlySet<string>,
): (param: string) => ParamSource | undefined {
  switch (naming) {
    case 'flux-bfl': {
      const cfg = config as unknown as FluxConfig;
      const table = new Map(fluxNameTable(cfg).map((e) => [e.target, e]));
      const shapes = fluxBflShapes(cfg);
      // Some files carry the ComfyUI prefix `model.diffusion_model.`; the table uses bare BFL names.
      const actual = new Map([...sourceNames].map((n) => [stripBflPrefix(n), n]));
      return (param) => {
        const e = table.get(param);
        if (!e) return undefined;
        return { source: actual.get(e.source) ?? e.source, runs: e.runs, sourceShape: shapes.get(e.source)!, paramShape: e.shape };
      };
    }
    case 't5-llamacpp':
      return (param) => {
        const source = t5HfToLlamacpp(param);
        return source ? { source } : undefined;
      };
    case 'clip-hf':
      // HF CLIPTextModel names; some files drop the `text_model.` prefix. Extra tensors (text_projection,
      // logit_scale, position_ids) are simply never asked for.
      return (param) => {
        if (sourceNames.has(param)) return { source: param };
        const bare = param.startsWith('text_model.') ? param.slice('text_model.'.length) : `text_model.${param}`;
        return { source: sourceNames.has(bare) ? bare : param };
      };
    case 'taesd-diffusers':
      // diffusers AutoencoderTiny names; the encoder's tensors are not asked for.
      return (param) => ({ source: param });
    default:
      throw new AppError('BundleInvalid', `unknown source naming ${String(naming)}`);
  }
}

/**
 * Plans one component: every layout entry resolved to its source rows, its sizes checked against the
 * encoding, the entries inside their shards without overlap. Returns the plan and every problem found.
 */
export function planComponent(
  component: ComponentName,
  naming: SourceNaming,
  config: Record<string, unknown>,
  layout: readonly LayoutEntry[],
  tensors: ReadonlyMap<string, SourceTensor>,
  shardBytes: readonly number[],
  fileLabel: string,
): { entries: PlannedEntry[]; problems: string[] } {
  const problems: string[] = [];
  const entries: PlannedEntry[] = [];
  let resolve: (param: string) => ParamSource | undefined;
  try {
    resolve = paramResolver(naming, config, new Set(tensors.keys()));
  } catch (error) {
    return { entries, problems: [(error as Error).message] };
  }
  for (const entry of layout) {
    const problem = (detail: string) => problems.push(`${component} ${entry.name} (${entry.param}): ${detail}`);
    let found: ParamSource | undefined;
    try {
      found = resolve(entry.param);
    } catch (error) {
      problem((error as Error).message);
      continue;
    }
    if (!found) {
      problem(`no ${naming} tensor maps to this parameter`);
      continue;
    }
    const tensor = tensors.get(found.source);
    if (!tensor) {
      problem(`tensor ${found.source} is missing from ${fileLabel}`);
      continue;
    }
    // The source tensor's shape: from the naming table, else the param's (whole tensor maps).
    const expected = found.sourceShape ?? (entry.rows ? undefined : entry.param_shape);
    if (expected && !sameShape(expected, tensor.shape)) {
      problem(`tensor ${tensor.name} in ${fileLabel}: expected ${fmt(expected)}, got ${fmt(tensor.shape)}`);
      continue;
    }
    const runs = found.runs ?? [{ start: 0, count: tensor.shape[0] ?? 1 }];
    const fullRows = runs.reduce((n, r) => n + r.count, 0);
    const paramShape = found.paramShape ?? (tensor.shape.length ? [fullRows, ...tensor.shape.slice(1)] : []);
    // Only rows [a, b) of the param: cut the runs.
    let picked = runs;
    if (entry.rows) {
      const [a, b] = entry.rows;
      if (!(Number.isInteger(a) && Number.isInteger(b) && a >= 0 && a < b && b <= fullRows)) {
        problem(`rows [${a}, ${b}) outside the parameter's ${fullRows} rows`);
        continue;
      }
      picked = sliceRuns(runs, a, b - a);
    }
    const paramRows = picked.reduce((n, r) => n + r.count, 0);
    const sliceShape = paramShape.length ? [paramRows, ...paramShape.slice(1)] : [];
    if (!sameShape(entry.param_shape, sliceShape) && !sameShape(entry.param_shape, paramShape)) {
      problem(`the layout says the parameter is ${fmt(entry.param_shape)}, the source gives ${fmt(sliceShape)}`);
      continue;
    }
    const cols = sliceShape.length > 1 ? product(sliceShape.slice(1)) : 1;
    const rowsOfSource = tensor.shape[0] ?? 1;
    const srcRowBytes = tensor.byteSize / rowsOfSource;
    const typeOk = checkEncoding(entry, tensor, sliceShape, cols, paramRows, problem);
    if (!typeOk) continue;
    const outRowBytes = entry.transpose ? 0 : entry.bytes / Math.max(1, paramRows);
    entries.push({
      ...entry,
      component,
      tensor,
      runs: picked,
      paramRows: sliceShape.length ? paramRows : 1,
      cols,
      srcRowBytes,
      outRowBytes,
      pairKey: `${component}|${entry.param}|${entry.rows?.join('-') ?? 'all'}`,
    });
  }
  // Entries inside their shard, without overlap.
  const byShard = new Map<number, PlannedEntry[]>();
  for (const e of entries) {
    if (!Number.isInteger(e.shard) || e.shard < 0 || e.shard >= shardBytes.length) {
      problems.push(`${component} ${e.name}: shard ${e.shard} does not exist (${shardBytes.length} shards)`);
      continue;
    }
    if (!(Number.isSafeInteger(e.offset) && e.offset >= 0 && e.offset + e.bytes <= shardBytes[e.shard]!)) {
      problems.push(
        `${component} ${e.name}: bytes [${e.offset}, ${e.offset + e.bytes}) outside shard ${e.shard} (${shardBytes[e.shard]} bytes)`,
      );
      continue;
    }
    (byShard.get(e.shard) ?? byShard.set(e.shard, []).get(e.shard)!).push(e);
  }
  for (const list of byShard.values()) {
    list.sort((a, b) => a.offset - b.offset);
    for (let i = 1; i < list.length; i++) {
      if (list[i]!.offset < list[i - 1]!.offset + list[i - 1]!.bytes) {
        problems.push(`${component} ${list[i - 1]!.name} and ${list[i]!.name} overlap in shard ${list[i]!.shard}`);
      }
    }
  }
  return { entries, problems };
}

/** Runs [start, start+count) of the concatenation of `runs`. */
export function sliceRuns(runs: readonly RowRun[], start: number, count: number): RowRun[] {
  const out: RowRun[] = [];
  let skip = start;
  let need = count;
  for (const r of runs) {
    if (need === 0) break;
    if (skip >= r.count) {
      skip -= r.count;
      continue;
    }
    const take = Math.min(r.count - skip, need);
    out.push({ start: r.start + skip, count: take });
    skip = 0;
    need -= take;
  }
  return out;
}

/** Checks the entry's encoding against the source type and sizes; reports and returns false on a problem. */
function checkEncoding(
  entry: LayoutEntry,
  tensor: SourceTensor,
  sliceShape: number[],
  cols: number,
  rows: number,
  problem: (detail: string) => void,
): boolean {
  const type = tensor.type;
  const what = `tensor ${tensor.name} is ${tensor.typeName}`;
  if (!QUANTISED.has(type) && !FLOATS.has(type)) {
    problem(`${what}: only Q4_0, Q8_0, F16, BF16 and F32 tensors can be used without re-quantising; use a Q4_0 or Q8_0 file`);
    return false;
  }
  if (entry.encoding === 'matmulnbits_b' || entry.encoding === 'matmulnbits_scales') {
    const bits = entry.bits;
    const block = entry.block_size ?? 32;
    if (sliceShape.length !== 2) {
      problem(`a MatMulNBits weight must be 2-D, the parameter is ${fmt(sliceShape)}`);
      return false;
    }
    if (block !== 32) {
      problem(`block_size ${block}: GGUF Q4_0/Q8_0 blocks are 32, other block sizes would need re-quantising`);
      return false;
    }
    const need = bits === 4 ? GgmlType.Q4_0 : bits === 8 ? GgmlType.Q8_0 : undefined;
    if (need === undefined || bits === undefined) {
      problem(`bits ${String(bits)}: only 4 (from Q4_0) and 8 (from Q8_0) are made`);
      return false;
    }
    if (type !== need) {
      problem(`${what} but the graph expects a ${bits}-bit MatMulNBits weight: this would need re-quantising, which is not done`);
      return false;
    }
    const blocks = (rows * cols) / 32;
    if (entry.encoding === 'matmulnbits_b') {
      const shape = [rows, cols / 32, bits * 4];
      if (!sameShape(entry.shape, shape) || entry.bytes !== blocks * bits * 4) {
        problem(
          `MatMulNBits B must be ${fmt(shape)} (${blocks * bits * 4} bytes), the layout says ${fmt(entry.shape)} (${entry.bytes} bytes)`,
        );
        return false;
      }
    } else {
      const size = entry.dtype === 'float32' ? 4 : entry.dtype === 'float16' ? 2 : 0;
      if (size === 0) {
        problem(`scales dtype ${String(entry.dtype)}: float16 or float32 expected`);
        return false;
      }
      if (product(entry.shape) !== blocks || entry.bytes !== blocks * size) {
        problem(
          `MatMulNBits scales must hold ${blocks} ${entry.dtype} (${blocks * size} bytes), the layout says ${fmt(entry.shape)} (${entry.bytes} bytes)`,
        );
        return false;
      }
    }
    return true;
  }
  if (entry.encoding === 'q8_codes' || entry.encoding === 'q8_scales') {
    // A Gather table kept as the Q8_0 file holds it: int8 codes [rows, cols] + one scale per 32 values.
    if (sliceShape.length !== 2 || cols % 32 !== 0 || (entry.block_size ?? 32) !== 32) {
      problem(`a Q8_0 table must be 2-D with rows of whole blocks of 32, the parameter is ${fmt(sliceShape)}`);
      return false;
    }
    if (type !== GgmlType.Q8_0) {
      problem(`${what} but the graph expects a Q8_0 table (int8 codes + scales): this would need quantising, which is not done`);
      return false;
    }
    const size = entry.encoding === 'q8_codes' ? 1 : entry.dtype === 'float32' ? 4 : entry.dtype === 'float16' ? 2 : 0;
    if (size === 0) {
      problem(`scales dtype ${String(entry.dtype)}: float16 or float32 expected`);
      return false;
    }
    const shape = entry.encoding === 'q8_codes' ? [rows, cols] : [rows, cols / 32];
    if (!sameShape(entry.shape, shape) || entry.bytes !== product(shape) * size) {
      problem(
        `Q8_0 table ${entry.encoding === 'q8_codes' ? 'codes' : 'scales'} must be ${fmt(shape)} (${product(shape) * size} bytes), the layout says ${fmt(entry.shape)} (${entry.bytes} bytes)`,
      );
      return false;
    }
    return true;
  }
  if (entry.encoding !== 'float32' && entry.encoding !== 'float16') {
    problem(`unknown encoding ${String(entry.encoding)}`);
    return false;
  }
  const size = entry.encoding === 'float32' ? 4 : 2;
  const elements = product(sliceShape);
  if (QUANTISED.has(type) && cols % 32 !== 0) {
    problem(`${what} with rows of ${cols} elements: not whole blocks of 32`);
    return false;
  }
  if (entry.transpose) {
    const shape = [sliceShape[1]!, sliceShape[0]!];
    if (sliceShape.length !== 2 || !sameShape(entry.shape, shape)) {
      problem(`a transposed initializer of ${fmt(sliceShape)} must be ${fmt(shape)}, the layout says ${fmt(entry.shape)}`);
      return false;
    }
  } else if (product(entry.shape) !== elements) {
    problem(`the initializer ${fmt(entry.shape)} does not hold the parameter's ${elements} elements`);
    return false;
  }
  if (entry.bytes !== elements * size) {
    problem(`${elements} ${entry.encoding} elements are ${elements * size} bytes, the layout says ${entry.bytes}`);
    return false;
  }
  return true;
}
