// Check-only (scripts/real-size-check.mjs): imported by real-size-worker.ts BEFORE the app's worker, so
// that the assembler sees this storage estimate from its first call. Only when the worker's name carries
// `;free=<bytes>`: Chrome 138+ reports `quota = usage + min(10 GiB, disk)` (src/shared/preflight.ts), and
// the assembler's quota check then refuses any bundle above 10 GiB although the disk has room; here
// estimate() reports usage + the free bytes the node script measured on the profile's disk instead.
const free = Number(/;free=(\d+)/.exec(self.name)?.[1] ?? Number.NaN);
if (Number.isFinite(free)) {
  const estimate = StorageManager.prototype.estimate;
  StorageManager.prototype.estimate = async function (this: StorageManager) {
    const e = await estimate.call(this);
    return { ...e, quota: (e.usage ?? 0) + free };
  };
}
export {};
