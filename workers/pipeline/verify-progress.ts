// The check of a stored bundle's files, as the page hears it (kept apart from job.ts so that node tests
// can import it without onnxruntime-web).
import type { EventSink } from '../../src/shared/events';
import type { LoadedBundle } from './job';

/**
 * The bundle's verify, telling the page how far the check of its stored files has got ('check' events:
 * done of total), so a first job's hashing reads as "checking", not as a stall. Files this worker has
 * checked already pass silently.
 */
export function reportingVerify(bundle: LoadedBundle, emit: EventSink): LoadedBundle['verify'] {
  const { verify, verified } = bundle;
  if (!verify) return undefined;
  let total = 0;
  let done = 0;
  return (file) => {
    if (verified?.(file)) return verify(file);
    total += 1;
    emit({ type: 'check', done, total });
    return verify(file).finally(() => {
      done += 1;
      emit({ type: 'check', done, total });
    });
  };
}
