// The app's generation worker (workers/generator.worker.ts) for the real-size check, with one check-only
// change made first (real-size-quota.ts: the storage estimate, only when the worker's name asks for it).
// Static imports, in this order: a message that comlink sends at once is handled only after both ran.
import './real-size-quota';
import '../../workers/generator.worker';
