/**
 * The model the app opens with: the tiny world model shipped under public/ (the FLUX.1-schnell
 * architecture at small widths, trained by tools/train-tiny on drawn shapes; works offline).
 */
export const BUILT_IN_BUNDLE = {
  manifestUrl: `${import.meta.env.BASE_URL}models/world/manifest.json`,
} as const;
