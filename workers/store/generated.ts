// Files the store holds but did not download: a caller generates their bytes in order (the
// assembler's shards, workers/assemble). Their sha256 is known only at the end, so they are written
// under a key the caller chooses (a hash of what determines the content); each chunk goes in with the
// file's progress and hash state in one transaction, as a download's do, so a stopped file resumes at
// its stored prefix. When finished, the file gets its record under its sha256, naming the key its
// chunks live under; from then on the engine reads it like any downloaded file.
import { AppError } from '../../src/shared/errors';
import { ChunkAccumulator, chunksCover } from './chunks';
import { Sha256, type Sha256State } from './sha256';
import { deleteContents, finishGeneratedFile, getFileAndChunkSizes, putChunk, type FileRecord } from './shard-store';

/** Where a generated file stands in the store. */
export type GeneratedState =
  | { kind: 'done'; sha256: string }
  /** `stored` bytes are there (0: nothing), hashed up to `hash`. */
  | { kind: 'partial'; stored: number; hash?: Sha256State };

/**
 * The stored state of the generated file `key` of `bytes` bytes, from consistent snapshots (a chunk
 * and its record are written together). With `discard`, a finished one whose data is gone, or a
 * partial one whose chunks do not add up to its record, is deleted so it starts over; without it
 * (a plan, which may run while the file is being written) nothing is changed.
 */
export async function generatedState(key: string, bytes: number, discard = false): Promise<GeneratedState> {
  const { record, chunks } = await getFileAndChunkSizes(key);
  if (!record) return { kind: 'partial', stored: 0 };
  if (record.result) {
    const done = await getFileAndChunkSizes(record.result);
    if (done.record?.complete && done.record.chunks === key && done.record.bytes === bytes && chunksCover(done.chunks, bytes)) {
      return { kind: 'done', sha256: record.result };
    }
  } else {
    const usable =
      record.bytes === bytes && record.stored <= bytes && record.hash?.length === record.stored && chunksCover(chunks, record.stored);
    if (usable) return { kind: 'partial', stored: record.stored, ...(record.hash ? { hash: record.hash } : {}) };
  }
  if (discard) await deleteContents(record.result ? [record.result, key] : [key]);
  return { kind: 'partial', stored: 0 };
}

/**
 * Writes a generated file from its stored prefix on: `push` the bytes that follow, in order; they are
 * cut into chunks of `chunkBytes`, hashed, and stored with the file's progress (one chunk write in
 * flight while the next is produced). `stop` stores what was pushed (a shorter chunk) and leaves the
 * file partial; `finish` checks the size and commits it under its sha256.
 */
export class GeneratedWriter {
  readonly key: string;
  readonly bytes: number;
  readonly label: string;
  #hash: Sha256;
  #chunks: ChunkAccumulator;
  #cutAt: number;
  #pushed: number;
  #writing: Promise<void> = Promise.resolve();

  constructor(key: string, bytes: number, from: Extract<GeneratedState, { kind: 'partial' }>, chunkBytes: number, label: string) {
    this.key = key;
    this.bytes = bytes;
    this.label = label;
    this.#hash = from.stored > 0 && from.hash ? Sha256.resume(from.hash) : new Sha256();
    this.#cutAt = this.#pushed = from.hash ? from.stored : 0;
    this.#chunks = new ChunkAccumulator(chunkBytes);
  }

  /** Bytes pushed so far (stored, or held for the next chunk). */
  get pushed(): number {
    return this.#pushed;
  }

  async push(piece: Uint8Array): Promise<void> {
    if (this.#pushed + piece.length > this.bytes) {
      throw new AppError('Internal', `${this.label}: ${this.#pushed + piece.length} bytes generated, the file has ${this.bytes}`);
    }
    this.#pushed += piece.length;
    this.#chunks.push(piece);
    for (let parts = this.#chunks.takeFull(); parts; parts = this.#chunks.takeFull()) await this.#cut(parts);
  }

  /** Stores whatever is held (a stop: the file stays partial and resumes here). */
  async stop(): Promise<void> {
    const rest = this.#chunks.takeRest();
    if (rest) await this.#cut(rest);
    await this.#writing;
  }

  /** Stores the rest and commits the file under its sha256; returns the sha256. */
  async finish(): Promise<string> {
    await this.stop();
    if (this.#cutAt !== this.bytes) throw new AppError('Internal', `${this.label}: ${this.#cutAt} of ${this.bytes} bytes generated`);
    const sha256 = this.#hash.hex();
    const now = Date.now();
    await finishGeneratedFile(
      { sha256, bytes: this.bytes, stored: this.bytes, complete: true, chunks: this.key, updatedAt: now },
      { sha256: this.key, bytes: this.bytes, stored: this.bytes, complete: true, result: sha256, updatedAt: now },
      this.label,
    );
    return sha256;
  }

  async #cut(parts: Uint8Array[]): Promise<void> {
    const offset = this.#cutAt;
    let size = 0;
    for (const part of parts) {
      this.#hash.update(part);
      size += part.length;
    }
    this.#cutAt += size;
    const record: FileRecord = {
      sha256: this.key,
      bytes: this.bytes,
      stored: this.#cutAt,
      complete: false,
      hash: this.#hash.state(),
      updatedAt: Date.now(),
    };
    const blob = new Blob(parts as BlobPart[]);
    await this.#writing; // a failed write (QuotaExceeded) surfaces here
    this.#writing = putChunk(offset, blob, record, this.label);
    this.#writing.catch(() => {}); // handled: awaited before the next write and at the end
  }
}
