import { describe, expect, it } from 'vitest';
import type { GeneratorEvent } from '../../src/shared/events';
import type { BundleFile } from '../../src/shared/manifest';
import type { LoadedBundle } from '../../workers/pipeline/job';
import { reportingVerify } from '../../workers/pipeline/verify-progress';

const file = (name: string): BundleFile => ({ path: name, bytes: 1, sha256: name });

describe('the check of stored files, as the page hears it', () => {
  it('reports each first check (done of total), passes checked files silently, and keeps a failure', async () => {
    const events: GeneratorEvent[] = [];
    const verify = (f: BundleFile) => (f.path === 'bad' ? Promise.reject(new Error('StorageDamaged')) : Promise.resolve());
    const bundle = { verify, verified: (f: BundleFile) => f.path === 'old' } as unknown as LoadedBundle;
    const check = reportingVerify(bundle, (e) => events.push(e))!;

    await Promise.all([check(file('a')), check(file('b')), check(file('old'))]);
    expect(events).toEqual([
      { type: 'check', done: 0, total: 1 },
      { type: 'check', done: 0, total: 2 },
      { type: 'check', done: 1, total: 2 },
      { type: 'check', done: 2, total: 2 },
    ]);
    await expect(check(file('bad'))).rejects.toThrow('StorageDamaged');
    expect(events.slice(4)).toEqual([
      { type: 'check', done: 2, total: 3 },
      { type: 'check', done: 3, total: 3 },
    ]);
  });

  it('is absent for a bundle read from its address (nothing stored to check)', () => {
    expect(reportingVerify({} as LoadedBundle, () => {})).toBeUndefined();
  });
});
