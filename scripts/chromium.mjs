// The one list of Chromium flags (Debian's chromium; SwiftShader gives a real WebGPU adapter without
// a GPU), shared by playwright.config.ts and the benchmark scripts.
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--enable-unsafe-swiftshader',
];

/** Benchmarks also want exact JS heap numbers (performance.memory). */
export const BENCH_CHROMIUM_ARGS = [...CHROMIUM_ARGS, '--enable-precise-memory-info'];
