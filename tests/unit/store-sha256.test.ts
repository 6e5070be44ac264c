import { describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { Sha256 } from '../../workers/store/sha256';

const reference = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

describe('incremental sha256', () => {
  it('matches the published test vectors', () => {
    const text = (s: string) => new TextEncoder().encode(s);
    expect(new Sha256().hex()).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(new Sha256().update(text('abc')).hex()).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(new Sha256().update(text('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).hex()).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it('matches node:crypto for every length around the block and padding edges', () => {
    const data = randomBytes(300);
    for (let n = 0; n <= 300; n++)
      expect(new Sha256().update(data.subarray(0, n)).hex(), `length ${n}`).toBe(reference(data.subarray(0, n)));
  });

  it('gives the same hash however the input is split', () => {
    const data = randomBytes(1 << 20);
    const want = reference(data);
    for (const seed of [1, 2, 3, 4, 5]) {
      const hash = new Sha256();
      let offset = 0;
      let x = seed;
      while (offset < data.length) {
        x = (x * 1103515245 + 12345) % 2147483648;
        const size = x % 9000;
        hash.update(data.subarray(offset, offset + size));
        offset += size;
      }
      expect(hash.hex()).toBe(want);
    }
  });

  it('resumes from a saved state, at block boundaries and mid-block, through JSON', () => {
    const data = randomBytes(200_003);
    const want = reference(data);
    for (const cut of [0, 1, 63, 64, 65, 4096, 100_001, 200_003]) {
      const first = new Sha256().update(data.subarray(0, cut));
      const saved = JSON.parse(JSON.stringify(first.state()));
      expect(saved.length).toBe(cut);
      expect(saved.tail.length).toBe(cut % 64);
      const resumed = Sha256.resume(saved).update(data.subarray(cut));
      expect(resumed.hex(), `cut at ${cut}`).toBe(want);
    }
  });

  it('refuses a state that is not one, and updates after the digest', () => {
    expect(() => Sha256.resume({ h: [1, 2, 3], length: 0, tail: [] })).toThrow();
    expect(() => Sha256.resume({ h: new Array(8).fill(0), length: 5, tail: [] })).toThrow();
    const hash = new Sha256();
    hash.digest();
    expect(() => hash.update(new Uint8Array(1))).toThrow();
  });

  it('hashes inputs of 2^32 bits and more (the length field uses both words)', () => {
    const block = new Uint8Array(1 << 20).fill(7);
    const ours = new Sha256();
    const theirs = createHash('sha256');
    for (let i = 0; i < 512; i++) {
      ours.update(block);
      theirs.update(block);
    }
    ours.update(block.subarray(0, 3));
    theirs.update(block.subarray(0, 3));
    expect(ours.hex()).toBe(theirs.digest('hex'));
  }, 120_000);

  // Speed is measured by scripts/bench-store.mjs, not asserted here (no timed tests).
  it('hashes 32 MiB in one update like node:crypto', () => {
    const data = randomBytes(32 << 20);
    const hash = new Sha256();
    hash.update(data);
    expect(hash.hex()).toBe(reference(data));
  });
});
