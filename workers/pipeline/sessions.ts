/**
 * Sessions per stage. Large bundles: each stage's session is created when the stage starts and
 * released when it ends, so the GPU holds one stage at a time (measured with
 * workers/runtime/gpu-memory.ts: onnxruntime-web 1.30 destroys a released session's buffers).
 * Small bundles (all weights under KEEP_WARM_BYTES): sessions stay open between jobs, because
 * re-creating them recompiles every shader, which costs far more than the memory they hold.
 */
import type { Backend } from '../../src/shared/events';
import type { BundleManifest, ComponentName } from '../../src/shared/manifest';
import { bundleSizes } from '../../src/shared/manifest';
import { createSession, type FileReader, type OrtSession } from '../runtime/ort';

export const KEEP_WARM_BYTES = 256 * 2 ** 20;

const warm = new Map<string, Promise<OrtSession>>();

export interface StageSessions {
  /** Opens (or reuses a warm) session for a component. */
  open(component: ComponentName): Promise<OrtSession>;
  /** Ends a stage: releases its session unless the bundle is kept warm. */
  close(component: ComponentName, session: OrtSession): Promise<void>;
}

export function stageSessions(manifest: BundleManifest, read: FileReader, backend: Backend): StageSessions {
  const keepWarm = bundleSizes(manifest).total <= KEEP_WARM_BYTES;
  const keyOf = (component: ComponentName) => `${manifest.version}:${backend}:${component}`;
  return {
    open(component) {
      if (!keepWarm) return createSession(manifest.components[component], read, backend);
      const key = keyOf(component);
      let entry = warm.get(key);
      if (!entry) {
        entry = createSession(manifest.components[component], read, backend);
        entry.catch(() => warm.delete(key));
        warm.set(key, entry);
      }
      return entry;
    },
    async close(_component, session) {
      if (!keepWarm) await session.release();
    },
  };
}

/** Releases every warm session (a bundle was deleted or replaced, or the device was lost). */
export async function releaseWarmSessions(): Promise<void> {
  const entries = [...warm.values()];
  warm.clear();
  await Promise.all(entries.map(async (e) => (await e.catch(() => null))?.release()));
}
