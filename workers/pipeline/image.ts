/**
 * Decoder output ([1, 3, H, W] in −1..1, diffusers' AutoencoderTiny convention) to RGBA pixels the
 * way VaeImageProcessor.postprocess + numpy_to_pil do: clamp(x/2 + 0.5, 0, 1)·255, rounded half to
 * even (numpy's rounding), alpha 255.
 */
export function decoderOutputToRgba(image: Float32Array, width: number, height: number): Uint8ClampedArray<ArrayBuffer> {
  const plane = width * height;
  if (image.length !== 3 * plane) throw new RangeError(`decoder output has ${image.length} values, expected ${3 * plane}`);
  const rgba = new Uint8ClampedArray(new ArrayBuffer(plane * 4));
  const f = Math.fround;
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      let v = f(f(image[c * plane + p]! / 2) + 0.5);
      v = v < 0 ? 0 : v > 1 ? 1 : v;
      rgba[p * 4 + c] = roundHalfEven(f(v * 255));
    }
    rgba[p * 4 + 3] = 255;
  }
  return rgba;
}

export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
