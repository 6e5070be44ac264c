// The store's side of the worker contract: jobs (cancel is exact by job id) over bundles.ts.
import { releaseProxy } from 'comlink';
import type { BundleSource, JobId } from '../../src/shared/api';
import type { EventSink } from '../../src/shared/events';
import { AppError } from '../../src/shared/errors';
import type { DownloadOptions, StoreApi } from '../../src/shared/store-api';
import { deleteBundle, downloadBundle, planDownload, requestPersist, storageReport } from './bundles';

const downloads = new Map<JobId, AbortController>();

/** The store's API methods, spread into the worker's API (workers/api.ts). */
export const store = {
  planDownload(source: BundleSource) {
    return planDownload(source);
  },

  async download(job: JobId, source: BundleSource, onEvent: EventSink, options: DownloadOptions = {}) {
    if (downloads.has(job)) throw new AppError('InvalidRequest', `job ${job} is already running`);
    const controller = new AbortController();
    downloads.set(job, controller);
    try {
      return await downloadBundle(source, onEvent, { signal: controller.signal, persist: options.persist ?? true });
    } finally {
      downloads.delete(job);
      // onEvent is a comlink proxy of the UI's callback: close its port once the job settles.
      (onEvent as Partial<Record<typeof releaseProxy, () => void>>)[releaseProxy]?.();
    }
  },

  async cancelDownload(job: JobId) {
    downloads.get(job)?.abort();
  },

  storage() {
    return storageReport();
  },

  deleteBundle(id?: string) {
    return deleteBundle(id);
  },

  persist() {
    return requestPersist();
  },
} satisfies StoreApi;
