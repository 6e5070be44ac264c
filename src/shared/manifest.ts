/** Types of a model bundle's manifest.json (docs/bundle-format.md). JSON fields stay snake_case. */

export type TensorDtype = 'float32' | 'float16' | 'int64' | 'int32' | 'uint8';

/** One file of a bundle: path relative to the manifest, size and content hash. */
export interface BundleFile {
  path: string;
  bytes: number;
  sha256: string;
}

export interface TensorSpec {
  name: string;
  dtype: TensorDtype;
  shape: (number | string)[];
}

export type ComponentName = 'clip' | 't5' | 'transformer' | 'decoder';
export const COMPONENT_NAMES: readonly ComponentName[] = ['clip', 't5', 'transformer', 'decoder'];

/** What a component computes in between its float32 inputs and outputs (issue 15 item 2). */
export type Activations = 'float32' | 'float16';

export interface BundleComponent {
  graph: BundleFile;
  external_data: BundleFile[];
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  config: Record<string, unknown>;
  /**
   * Absent = float32. "float16": the transformer's 4-bit linears compute in float16 (tools/export
   * `template --activations fp16`); on WebGPU that needs a device with shader-f16.
   */
  activations?: Activations;
}

export interface TokenizerSpec {
  files: BundleFile[];
  max_length: number;
}

/**
 * The sampler's settings, diffusers' FlowMatchEulerDiscreteScheduler config. With `use_dynamic_shifting`
 * the shift depends on the image size (the optional fields; FluxPipeline's defaults where absent).
 */
export interface SchedulerConfig {
  num_train_timesteps: number;
  shift: number;
  use_dynamic_shifting: boolean;
  base_shift?: number;
  max_shift?: number;
  base_image_seq_len?: number;
  max_image_seq_len?: number;
  time_shift_type?: 'exponential' | 'linear';
}

export interface BundleManifest {
  format: 'time-stream-bundle';
  format_version: 1;
  id: string;
  version: string;
  display_name?: string;
  license: string;
  source: string;
  precision: string;
  components: Record<ComponentName, BundleComponent>;
  tokenizers: { clip: TokenizerSpec; t5: TokenizerSpec };
  scheduler: SchedulerConfig;
  vae: { scaling_factor: number; shift_factor: number; spatial_factor: number; latent_channels: number };
  defaults: { width: number; height: number; max_sequence_length: number };
  limits?: { min_size: number; max_size: number };
}

/** The transformer's activations (float32 when the manifest does not say). */
export function transformerActivations(manifest: BundleManifest): Activations {
  return manifest.components.transformer.activations === 'float16' ? 'float16' : 'float32';
}

/** Every file a bundle lists (graphs, shards, tokenizer files), each once. */
export function bundleFiles(manifest: BundleManifest): BundleFile[] {
  const files: BundleFile[] = [];
  for (const name of COMPONENT_NAMES) {
    const component = manifest.components[name];
    files.push(component.graph, ...component.external_data);
  }
  files.push(...manifest.tokenizers.clip.files, ...manifest.tokenizers.t5.files);
  const seen = new Set<string>();
  return files.filter((f) => (seen.has(f.path) ? false : (seen.add(f.path), true)));
}

/** Total bytes of a bundle, and per component (tokenizers counted under their encoder). */
export function bundleSizes(manifest: BundleManifest): { total: number; byComponent: Record<ComponentName, number> } {
  const sum = (files: BundleFile[]) => files.reduce((n, f) => n + f.bytes, 0);
  const byComponent = {} as Record<ComponentName, number>;
  for (const name of COMPONENT_NAMES) {
    const c = manifest.components[name];
    byComponent[name] = c.graph.bytes + sum(c.external_data);
  }
  byComponent.clip += sum(manifest.tokenizers.clip.files);
  byComponent.t5 += sum(manifest.tokenizers.t5.files);
  const total = COMPONENT_NAMES.reduce((n, name) => n + byComponent[name], 0);
  return { total, byComponent };
}

/** Structural check of a parsed manifest; throws a message naming the first problem. */
export function assertManifest(value: unknown): asserts value is BundleManifest {
  const m = value as Partial<BundleManifest> | null;
  if (!m || typeof m !== 'object') throw new Error('the manifest is not a JSON object');
  if (m.format !== 'time-stream-bundle') throw new Error('this is not a Time Stream model bundle (format field)');
  if (m.format_version !== 1) throw new Error(`unsupported bundle format version ${String(m.format_version)}`);
  for (const name of COMPONENT_NAMES) {
    const c = m.components?.[name];
    if (!c?.graph?.path || !Array.isArray(c.external_data)) throw new Error(`the manifest has no usable "${name}" component`);
  }
  if (!m.tokenizers?.clip?.files || !m.tokenizers?.t5?.files) throw new Error('the manifest lists no tokenizer files');
}
