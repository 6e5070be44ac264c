/**
 * Latent layout of FluxPipeline: unpacked [16, H/8, W/8] (NCHW, batch 1) ⇄ packed [(H/16)(W/16), 64]
 * with feature order (c, dy, dx), and the position ids the transformer's RoPE reads.
 */
export interface LatentShape {
  channels: number;
  /** Latent rows and columns (pixels / 8). */
  rows: number;
  cols: number;
}

export function latentShape(width: number, height: number, channels = 16, spatialFactor = 8): LatentShape {
  if (width % (spatialFactor * 2) !== 0 || height % (spatialFactor * 2) !== 0)
    throw new RangeError(`size ${width}x${height} must be a multiple of ${spatialFactor * 2}`);
  return { channels, rows: height / spatialFactor, cols: width / spatialFactor };
}

export function tokenCount(s: LatentShape): number {
  return (s.rows / 2) * (s.cols / 2);
}

/** FluxPipeline._pack_latents for batch 1. */
export function packLatents(unpacked: Float32Array, s: LatentShape): Float32Array {
  const { channels: C, rows: H, cols: W } = s;
  const packed = new Float32Array(unpacked.length);
  const tokenCols = W / 2;
  for (let c = 0; c < C; c++)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const token = (y >> 1) * tokenCols + (x >> 1);
        const feature = c * 4 + (y & 1) * 2 + (x & 1);
        packed[token * C * 4 + feature] = unpacked[(c * H + y) * W + x]!;
      }
  return packed;
}

/** FluxPipeline._unpack_latents for batch 1 (exact inverse of packLatents). */
export function unpackLatents(packed: Float32Array, s: LatentShape): Float32Array {
  const { channels: C, rows: H, cols: W } = s;
  const unpacked = new Float32Array(packed.length);
  const tokenCols = W / 2;
  for (let c = 0; c < C; c++)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const token = (y >> 1) * tokenCols + (x >> 1);
        const feature = c * 4 + (y & 1) * 2 + (x & 1);
        unpacked[(c * H + y) * W + x] = packed[token * C * 4 + feature]!;
      }
  return unpacked;
}

/** img_ids [N, 3] = (0, row, col) per token, row-major over the token grid. */
export function imageIds(s: LatentShape): Float32Array {
  const rows = s.rows / 2;
  const cols = s.cols / 2;
  const ids = new Float32Array(rows * cols * 3);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const t = r * cols + c;
      ids[t * 3 + 1] = r;
      ids[t * 3 + 2] = c;
    }
  return ids;
}

/** txt_ids [L, 3]: all zeros (text tokens get no rotation). */
export function textIds(length: number): Float32Array {
  return new Float32Array(length * 3);
}

/** latents / scaling_factor + shift_factor, as FluxPipeline does before vae.decode. */
export function toDecoderInput(unpacked: Float32Array, scalingFactor: number, shiftFactor: number): Float32Array {
  const out = new Float32Array(unpacked.length);
  const f = Math.fround;
  for (let i = 0; i < out.length; i++) out[i] = f(f(unpacked[i]! / scalingFactor) + shiftFactor);
  return out;
}
