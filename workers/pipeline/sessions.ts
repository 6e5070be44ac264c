/**
 * Sessions per stage. Large bundles: each stage's session is created when the stage starts and
 * released when it ends, so the GPU holds one stage at a time (measured with
 * workers/runtime/gpu-memory.ts: onnxruntime-web 1.30 destroys a released session's buffers).
 * Small bundles (all weights under KEEP_WARM_BYTES): sessions stay open between jobs, because
 * re-creating them recompiles every shader, which costs far more than the memory they hold.
 * The run-time latent graphs (latent-graphs.ts) follow the same rule: measured on the mid bundle, one
 * session left open keeps ORT from destroying the buffers of the ones released (it caches them).
 */
import type { Backend } from '../../src/shared/events';
import type { BundleFile, BundleManifest, ComponentName } from '../../src/shared/manifest';
import { bundleSizes } from '../../src/shared/manifest';
import {
  createSession,
  createGraphSession,
  type FileReader,
  type OrtSession,
  type SessionSetup,
  type SessionPhaseTimer,
} from '../runtime/ort';
import { gpuDevice, gpuGeneration } from '../runtime/gpu-device';

export const KEEP_WARM_BYTES = 256 * 2 ** 20;

/**
 * The token-embedding Gather of each text encoder, by the name tools/export's graphs give it (checked
 * by tools/export/tests/test_manifest.py): run on the CPU on WebGPU (SessionSetup.cpuNodes). In the
 * assembly templates T5's table is Q8_0 (int8 codes + scales): its two Gathers and the nodes that
 * dequantise their rows run there too, so the GPU gets the same float32 embedding as before.
 */
const CPU_NODES: Partial<Record<ComponentName, readonly string[]>> = {
  clip: ['node_embedding'],
  t5: [
    'node_embedding',
    'node_embedding_scales',
    'node_embedding_cast',
    'node_embedding_blocks',
    'node_embedding_scales_blocks',
    'node_embedding_mul',
    'node_embedding_join',
  ],
};

const warm = new Map<string, Promise<OrtSession>>();
/** The GPU device the warm sessions were made on: a new device (after a loss) makes them useless. */
let warmDevice = 0;

export interface StageSessions {
  /** Whether this bundle's sessions stay open between jobs. */
  readonly keepWarm: boolean;
  /** Opens (or reuses a warm) session for a component. */
  open(component: ComponentName, setup?: SessionSetup): Promise<OrtSession>;
  /** Ends a stage: releases its session unless the bundle is kept warm. */
  close(component: ComponentName, session: OrtSession): Promise<void>;
  /** A weightless run-time graph's session (made once per key and backend while the bundle is kept warm). */
  graph(key: string, build: () => Uint8Array, setup?: SessionSetup): Promise<OrtSession>;
  /** Ends a graph's stage: released with the stage unless the bundle is kept warm. */
  closeGraph(session: OrtSession): Promise<void>;
}

export interface StageSessionOptions {
  /** Overrides the size rule (benchmarks measure release-per-stage on a small bundle). */
  keepWarm?: boolean;
  /** Applied to every session made here (benchmarks: ORT's GPU buffer cache mode). */
  setup?: SessionSetup;
  /** Reports reading the bundle's bytes and creating the session, per component. */
  onPhase?(component: ComponentName, phase: 'read' | 'create', ms: number): void;
  /** Checks a stored file's bytes; runs beside the session's creation, which is discarded if a file fails. */
  verify?(file: BundleFile): Promise<void>;
}

/** Creates a session while its files are verified; a file that fails wins, and the session is released. */
async function createVerified(files: readonly BundleFile[], verify: StageSessionOptions['verify'], create: () => Promise<OrtSession>) {
  if (!verify) return create();
  const [session, ...checks] = await Promise.allSettled([create(), ...files.map(verify)]);
  const failed = checks.find((c) => c.status === 'rejected');
  if (failed) {
    if (session.status === 'fulfilled') await session.value.release();
    throw failed.reason;
  }
  if (session.status === 'rejected') throw session.reason;
  return session.value;
}

/** Drops warm sessions made on a GPU device that is gone (lost, or dropped after running out of memory). */
async function forgetStaleSessions(backend: Backend): Promise<void> {
  if (backend !== 'webgpu') return;
  await gpuDevice();
  if (gpuGeneration() === warmDevice) return;
  warmDevice = gpuGeneration();
  // Released one after another, before anything new is made: ORT must not run two things at once here.
  for (const [key, entry] of [...warm])
    if (!key.startsWith('wasm:') && !key.startsWith('graph:wasm:')) {
      warm.delete(key);
      await entry.then((s) => s.release()).catch(() => undefined);
    }
}

function memo(key: string, make: () => Promise<OrtSession>): Promise<OrtSession> {
  let entry = warm.get(key);
  if (!entry) {
    entry = make();
    entry.catch(() => warm.delete(key));
    warm.set(key, entry);
  }
  return entry;
}

export function stageSessions(
  manifest: BundleManifest,
  read: FileReader,
  backend: Backend,
  options: StageSessionOptions = {},
): StageSessions {
  const keepWarm = options.keepWarm ?? bundleSizes(manifest).total <= KEEP_WARM_BYTES;
  const setupKey = (setup: SessionSetup) =>
    JSON.stringify([setup.gpuOutputs ?? false, setup.graphCapture ?? false, setup.bufferCache ?? null]);
  const make = (component: ComponentName, own: SessionSetup) => {
    const cpuNodes = CPU_NODES[component];
    const setup = { ...(cpuNodes ? { cpuNodes } : {}), ...options.setup, ...own };
    const onPhase: SessionPhaseTimer | undefined = options.onPhase && ((phase, ms) => options.onPhase!(component, phase, ms));
    const files = manifest.components[component];
    return createVerified([files.graph, ...files.external_data], options.verify, () => createSession(files, read, backend, setup, onPhase));
  };
  return {
    keepWarm,
    async open(component, setup = {}) {
      if (!keepWarm) return make(component, setup);
      await forgetStaleSessions(backend);
      return memo(`${backend}:${manifest.version}:${component}:${setupKey({ ...options.setup, ...setup })}`, () => make(component, setup));
    },
    async close(_component, session) {
      if (!keepWarm) await session.release();
    },
    async graph(key, build, own = {}) {
      const setup = { ...options.setup, ...own };
      // Released with its stage when the bundle is not kept warm: while any session is open on the
      // device, ORT keeps a released session's buffers in its cache instead of destroying them.
      if (!keepWarm) return createGraphSession(build(), backend, setup);
      await forgetStaleSessions(backend);
      return memo(`graph:${backend}:${key}:${setupKey(setup)}`, () => createGraphSession(build(), backend, setup));
    },
    async closeGraph(session) {
      if (!keepWarm) await session.release();
    },
  };
}
