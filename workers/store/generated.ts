// Files the store holds but did not download: the assembler's shards (workers/assemble). Their bytes
// are made from one pass over a source file, in the source's order, so a shard fills out of order:
// chunks go in at their offsets under a key the caller chooses (a hash of what determines the
// content), and the file's record keeps how far the source pass got (offset and SHA-256 state of the
// source), so a stopped pass resumes there. Once the source is verified the shard is hashed by
// reading its chunks back in order (local, no download) and gets its record under its sha256, naming
// the key its chunks live under; from then on the engine reads it like any downloaded file.
import { AppError } from '../../src/shared/errors';
import { chunksCover } from './chunks';
import { Sha256 } from './sha256';
import {
  deleteChunkRanges,
  deleteContents,
  finishGeneratedFile,
  getFileAndChunkSizes,
  getStoredFile,
  putChunkAt,
  putFileRecords,
  type FileRecord,
} from './shard-store';

/** Where a generated file stands in the store. */
export type GeneratedState =
  | { kind: 'done'; sha256: string }
  /** `stored` bytes are there (0: nothing), made from the source up to `source.offset`. */
  | { kind: 'partial'; stored: number; source?: NonNullable<FileRecord['source']> };

/**
 * The stored state of the generated file `key` of `bytes` bytes. With `discard`, a finished one whose
 * data is gone, or a partial one from an older writer (no source progress), is deleted so it starts
 * over; without it (a plan, which may run while the file is being written) nothing is changed.
 */
export async function generatedState(key: string, bytes: number, discard = false): Promise<GeneratedState> {
  const { record } = await getFileAndChunkSizes(key);
  if (!record) return { kind: 'partial', stored: 0 };
  if (record.result) {
    const done = await getFileAndChunkSizes(record.result);
    if (done.record?.complete && done.record.chunks === key && done.record.bytes === bytes && chunksCover(done.chunks, bytes)) {
      return { kind: 'done', sha256: record.result };
    }
  } else if (record.source && record.bytes === bytes && record.stored <= bytes) {
    return { kind: 'partial', stored: record.stored, source: record.source };
  }
  if (discard) await deleteContents(record.result ? [record.result, key] : [key]);
  return { kind: 'partial', stored: 0 };
}

/** Stores bytes at `offset` of the generated file `key` (out of order; the progress record comes separately). */
export function writeGeneratedChunk(key: string, offset: number, blob: Blob, label: string): Promise<void> {
  return putChunkAt(key, offset, blob, label);
}

/** Records how far the source pass got for several files at once (one transaction). */
export function saveGeneratedProgress(
  files: readonly { key: string; bytes: number; stored: number }[],
  source: NonNullable<FileRecord['source']>,
  label: string,
): Promise<void> {
  const now = Date.now();
  return putFileRecords(
    files.map((f) => ({ sha256: f.key, bytes: f.bytes, stored: f.stored, complete: false, source, updatedAt: now })),
    label,
  );
}

/** Removes chunks a stopped pass wrote past its last progress record (they are made again). */
export function dropGeneratedRanges(key: string, ranges: readonly { start: number; end: number }[]): Promise<void> {
  return deleteChunkRanges(key, ranges);
}

/**
 * Hashes a generated file by reading its chunks back in order (one read ahead), and commits it under
 * its sha256. Refuses a file whose chunks do not tile it.
 */
export async function commitGeneratedFile(key: string, bytes: number, label: string): Promise<string> {
  const { chunks } = await getStoredFile(key);
  if (
    !chunksCover(
      chunks.map((c) => ({ offset: c.offset, size: c.blob.size })),
      bytes,
    )
  )
    throw new AppError('Internal', `${label}: its stored chunks do not make the whole file`);
  const hash = new Sha256();
  let next = chunks[0]?.blob.arrayBuffer();
  for (let i = 0; i < chunks.length; i++) {
    const data = await next!;
    next = chunks[i + 1]?.blob.arrayBuffer();
    hash.update(new Uint8Array(data));
  }
  const sha256 = hash.hex();
  const now = Date.now();
  await finishGeneratedFile(
    { sha256, bytes, stored: bytes, complete: true, chunks: key, updatedAt: now },
    { sha256: key, bytes, stored: bytes, complete: true, result: sha256, updatedAt: now },
    label,
  );
  return sha256;
}
