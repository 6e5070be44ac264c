// The assembler's side of the worker contract: jobs (cancel is exact by job id) over assembler.ts.
import { releaseProxy } from 'comlink';
import type { JobId } from '../../src/shared/api';
import type { AssembleApi, SourceDescription } from '../../src/shared/assemble-api';
import type { EventSink } from '../../src/shared/events';
import { AppError } from '../../src/shared/errors';
import { assembleBundle, planAssembly } from './assembler';

const assemblies = new Map<JobId, AbortController>();

/** The assembler's API methods, spread into the worker's API (workers/api.ts). */
export const assemble = {
  planAssembly(source: SourceDescription) {
    return planAssembly(source);
  },

  async assemble(job: JobId, source: SourceDescription, onEvent: EventSink) {
    if (assemblies.has(job)) throw new AppError('InvalidRequest', `job ${job} is already running`);
    const controller = new AbortController();
    assemblies.set(job, controller);
    try {
      return await assembleBundle(source, onEvent, { signal: controller.signal });
    } finally {
      assemblies.delete(job);
      // onEvent is a comlink proxy of the UI's callback: close its port once the job settles.
      (onEvent as Partial<Record<typeof releaseProxy, () => void>>)[releaseProxy]?.();
    }
  },

  async cancelAssembly(job: JobId) {
    assemblies.get(job)?.abort();
  },
} satisfies AssembleApi;
