// How streamed bytes become bounded chunk records. Pure: no IndexedDB, no fetch.

/**
 * Collects the pieces a response body yields and cuts them into chunks of exactly `chunkBytes`
 * (the last one of a file, or one cut short by a stop, may be smaller). Pieces are kept as views,
 * not copied: a chunk is the list of views that make it, for `new Blob(parts)`.
 */
export class ChunkAccumulator {
  readonly chunkBytes: number;
  #pieces: Uint8Array[] = [];
  #pending = 0;

  constructor(chunkBytes: number) {
    if (!(chunkBytes > 0) || !Number.isInteger(chunkBytes)) throw new Error(`chunk size must be a positive integer, not ${chunkBytes}`);
    this.chunkBytes = chunkBytes;
  }

  /** Bytes held, not yet cut into a chunk. */
  get pending(): number {
    return this.#pending;
  }

  push(piece: Uint8Array): void {
    if (piece.length === 0) return;
    this.#pieces.push(piece);
    this.#pending += piece.length;
  }

  /** The next full chunk, when enough bytes are held. */
  takeFull(): Uint8Array[] | undefined {
    return this.#pending >= this.chunkBytes ? this.#take(this.chunkBytes) : undefined;
  }

  /** Whatever is held (a last or short chunk), or undefined when nothing is. */
  takeRest(): Uint8Array[] | undefined {
    return this.#pending > 0 ? this.#take(this.#pending) : undefined;
  }

  #take(bytes: number): Uint8Array[] {
    const parts: Uint8Array[] = [];
    let need = bytes;
    while (need > 0) {
      const piece = this.#pieces[0]!;
      if (piece.length <= need) {
        parts.push(piece);
        this.#pieces.shift();
        need -= piece.length;
      } else {
        parts.push(piece.subarray(0, need));
        this.#pieces[0] = piece.subarray(need);
        need = 0;
      }
    }
    this.#pending -= bytes;
    return parts;
  }
}

/** Checks that stored chunks (offset, size), in key order, tile a file's first `stored` bytes. */
export function chunksCover(chunks: readonly { offset: number; size: number }[], stored: number): boolean {
  let end = 0;
  for (const { offset, size } of chunks) {
    if (offset !== end || size <= 0) return false;
    end += size;
  }
  return end === stored;
}
