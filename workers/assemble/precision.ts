/**
 * Which template an assembly uses (issue 15 item 2, docs/assembly.md "Activations: fp16 where the GPU has
 * it"). A source description may name a second template whose transformer computes its 4-bit linears in
 * float16 (`template_f16`); the assembler takes it only when the engine's WebGPU device has `shader-f16`,
 * else the float32 one. The stored bundle's manifest says which (`components.transformer.activations`).
 */
import type { ActivationsWhy, SourceDescription } from '../../src/shared/assemble-api';
import { transformerActivations, type Activations, type BundleManifest } from '../../src/shared/manifest';

export interface TemplateChoice {
  /** The template.json to assemble from (absolute, as the description gives it). */
  url: string;
  /** What that template's transformer computes in. */
  activations: Activations;
  /** Why, as a code (the UI words it). */
  why: ActivationsWhy;
  /** Why, in words (technical details). */
  reason: string;
}

/**
 * The template for this source on this device. `stored` is the transformer's activations of what the
 * store already holds for this id (a committed bundle, or a started assembly), if anything:
 *
 * - no `template_f16`: the one template;
 * - the device has no `shader-f16`: float32 (a stored float16 bundle cannot run on WebGPU here, so it is
 *   replaced);
 * - the device has it and the store holds a float32 bundle of this id: float32 stays (switching would read
 *   every source file again, 12 GB for FLUX; delete the model to get the float16 one);
 * - else float16.
 */
export function chooseTemplate(source: SourceDescription, shaderF16: boolean, stored?: Activations): TemplateChoice {
  if (!source.template_f16)
    return { url: source.template, activations: 'float32', why: 'one-template', reason: 'the source names one template' };
  if (!shaderF16)
    return { url: source.template, activations: 'float32', why: 'no-shader-f16', reason: 'this GPU has no shader-f16: 32-bit activations' };
  if (stored === 'float32')
    return {
      url: source.template,
      activations: 'float32',
      why: 'kept-float32',
      reason: 'this GPU has shader-f16, but the stored bundle was assembled with 32-bit activations (delete it to assemble the 16-bit one)',
    };
  return { url: source.template_f16, activations: 'float16', why: 'shader-f16', reason: 'this GPU has shader-f16: 16-bit activations' };
}

/** The activations a stored manifest records for its transformer (undefined when nothing is stored). */
export const storedActivations = (manifest: BundleManifest | undefined): Activations | undefined =>
  manifest ? transformerActivations(manifest) : undefined;

/**
 * Whether the engine's WebGPU device has `shader-f16` (workers/runtime/gpu-device.ts requests it whenever
 * the adapter offers it). No WebGPU at all: false (the engine then runs on wasm, in float32).
 */
export async function deviceHasShaderF16(): Promise<boolean> {
  // Imported here, not at the top: the choice above stays a pure module (unit-tested in node).
  const [{ webGpuProblem }, { gpuInfo }] = await Promise.all([import('../runtime/ort'), import('../runtime/gpu-device')]);
  if (await webGpuProblem()) return false;
  try {
    return (await gpuInfo()).features.includes('shader-f16');
  } catch {
    return false;
  }
}
