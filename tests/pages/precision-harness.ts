// Precision harness (issue 15 item 2): the transformer of a bundle with float32 activations and of one with
// float16 activations (tests/fixtures/assemble/tiny{,-f16}/expected), run through the app's runtime
// (workers/runtime/ort.ts, onnxruntime-web) on one backend with the same inputs, driven by
// tests/e2e/precision.spec.ts through `window.precisionTest`. Errors come back as { name, message }.
import { createSession, loadOrt, runF32, tensorF32 } from '../../workers/runtime/ort';
import { gpuInfo } from '../../workers/runtime/gpu-device';
import { deviceHasShaderF16 } from '../../workers/assemble/precision';
import type { Backend, GeneratorEvent } from '../../src/shared/events';
import type { RenderRequest } from '../../src/shared/request';
import type { BundleFile, BundleManifest } from '../../src/shared/manifest';

async function settle<T>(work: () => Promise<T>): Promise<T | { error: { name: string; message: string } }> {
  try {
    return await work();
  } catch (error) {
    return {
      error: { name: error instanceof Error ? error.name : 'Error', message: error instanceof Error ? error.message : String(error) },
    };
  }
}

/** A seeded stream of values in [-1, 1) (xorshift32), so both bundles see the very same inputs. */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

/** The transformer of the bundle at `manifestUrl` on `backend`, on fixed inputs; its output and the manifest's activations. */
async function transformer(manifestUrl: string, backend: Backend, tokens: number, textLength: number) {
  await loadOrt();
  const manifest = (await (await fetch(manifestUrl)).json()) as BundleManifest;
  const component = manifest.components.transformer;
  const read = async (f: BundleFile) =>
    new Uint8Array(await (await fetch(new URL(f.path, new URL(manifestUrl, location.href)))).arrayBuffer());
  const config = component.config as { in_channels: number; joint_attention_dim: number; pooled_projection_dim: number };
  // Image tokens on a grid 4 wide: [0, row, column], as the pipeline's ids are.
  const imageIds = Float32Array.from({ length: tokens * 3 }, (_, i) => [0, Math.floor(i / 3 / 4), ((i / 3) | 0) % 4][i % 3]!);
  const feeds = {
    hidden_states: tensorF32(values(tokens * config.in_channels, 1), [1, tokens, config.in_channels]),
    encoder_hidden_states: tensorF32(values(textLength * config.joint_attention_dim, 2), [1, textLength, config.joint_attention_dim]),
    pooled_projections: tensorF32(values(config.pooled_projection_dim, 3), [1, config.pooled_projection_dim]),
    timestep: tensorF32(Float32Array.of(0.75), [1]),
    img_ids: tensorF32(imageIds, [tokens, 3]),
    txt_ids: tensorF32(new Float32Array(textLength * 3), [textLength, 3]),
  };
  const session = await createSession(component, read, backend);
  try {
    const [out] = await runF32(session, feeds, [component.outputs[0]!.name]);
    return { activations: (component as { activations?: string }).activations ?? 'float32', out: out! };
  } finally {
    await session.release();
  }
}

const cosine = (a: Float32Array, b: Float32Array) => {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
};

const api = {
  /** The engine's GPU device: does it have shader-f16 (what the assembler's choice reads)? */
  shaderF16: () => settle(() => deviceHasShaderF16()),
  gpuFeatures: () => settle(async () => (await gpuInfo()).features),

  /** Both bundles' transformer outputs on `backend`: cosine, largest difference, and whether they differ at all. */
  compare: (fp32Url: string, fp16Url: string, backend: Backend, tokens = 16, textLength = 12) =>
    settle(async () => {
      const a = await transformer(fp32Url, backend, tokens, textLength);
      const b = await transformer(fp16Url, backend, tokens, textLength);
      let maxAbs = 0;
      let finite = true;
      for (let i = 0; i < a.out.length; i++) {
        maxAbs = Math.max(maxAbs, Math.abs(a.out[i]! - b.out[i]!));
        finite &&= Number.isFinite(b.out[i]!);
      }
      return {
        activations: [a.activations, b.activations],
        length: [a.out.length, b.out.length],
        cosine: cosine(a.out, b.out),
        maxAbs,
        finite,
        scale: Math.max(...a.out.map(Math.abs)),
      };
    }),

  /**
   * A job through the engine (workers/engine.ts) on the bundle at `manifestUrl`, the backend the engine
   * chooses unless `backend` is given: the backend events (with their reasons) and each frame's RGBA.
   */
  render: (manifestUrl: string, request: RenderRequest, backend?: Backend) =>
    settle(async () => {
      const { render } = await import('../../workers/engine');
      const events: GeneratorEvent[] = [];
      const frames: number[][] = [];
      const result = await render(
        `job-${Math.random()}`,
        { manifestUrl },
        request,
        (e) => {
          if (e.type === 'frame') frames[e.index] = Array.from(e.rgba);
          else if (e.type === 'backend') events.push(e);
        },
        { ...(backend ? { backend } : {}), hooks: { frameCache: false } },
      );
      return { backend: result.backend, backendEvents: events, frames };
    }),

  /** One bundle's transformer alone on `backend` (does it run at all?). */
  run: (url: string, backend: Backend) =>
    settle(async () => {
      const r = await transformer(url, backend, 16, 12);
      return { activations: r.activations, length: r.out.length, finite: r.out.every(Number.isFinite) };
    }),
};

export type PrecisionTest = typeof api;
(window as unknown as { precisionTest: PrecisionTest }).precisionTest = api;
document.getElementById('status')!.textContent = 'ready';
