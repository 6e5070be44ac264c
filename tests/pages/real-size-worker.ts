// The app's generation worker (workers/generator.worker.ts) for the real-size check, with ONE check-only
// change, made only when the check asks for it (worker name `generator;free=<bytes>`): Chrome 138+ reports
// `quota = usage + min(10 GiB, disk)` (src/shared/preflight.ts), so the assembler's quota check refuses any
// bundle above 10 GiB although the disk has room. Here estimate() reports usage + the free bytes the
// node script measured on the profile's disk instead. Nothing else differs.
const free = Number(/;free=(\d+)/.exec(self.name)?.[1] ?? Number.NaN);
if (Number.isFinite(free)) {
  const estimate = StorageManager.prototype.estimate;
  StorageManager.prototype.estimate = async function (this: StorageManager) {
    const e = await estimate.call(this);
    return { ...e, quota: (e.usage ?? 0) + free };
  };
}
await import('../../workers/generator.worker');
export {};
