/** The model the app opens with: the tiny offline bundle shipped under public/. */
export const BUILT_IN_BUNDLE = {
  manifestUrl: `${import.meta.env.BASE_URL}models/tiny/manifest.json`,
} as const;
