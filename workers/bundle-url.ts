// Reading a bundle straight from its URL (the built-in bundle, tests). The model store (workers/store)
// replaces this reader with one over IndexedDB for downloaded bundles.
import type { BundleManifest, BundleFile } from '../src/shared/manifest';
import { assertManifest } from '../src/shared/manifest';
import { AppError } from '../src/shared/errors';
import type { FileReader } from './runtime/ort';

export async function fetchManifest(manifestUrl: string): Promise<BundleManifest> {
  let response: Response;
  try {
    response = await fetch(manifestUrl);
  } catch (error) {
    throw new AppError('Offline', `Could not reach ${manifestUrl}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (response.status === 404) throw new AppError('NotFound', `No model bundle at ${manifestUrl} (404).`);
  if (!response.ok) throw new AppError('DownloadFailed', `The model host answered ${response.status} for ${manifestUrl}.`);
  let manifest: unknown;
  try {
    manifest = await response.json();
  } catch {
    throw new AppError('BundleInvalid', `${manifestUrl} is not valid JSON.`);
  }
  try {
    assertManifest(manifest);
  } catch (error) {
    throw new AppError('BundleInvalid', `${manifestUrl}: ${(error as Error).message}.`);
  }
  return manifest;
}

export function urlReader(manifestUrl: string): FileReader {
  return async (file: BundleFile) => {
    const url = new URL(file.path, manifestUrl).href;
    const response = await fetch(url).catch((error: unknown) => {
      throw new AppError('Offline', `Could not reach ${url}: ${error instanceof Error ? error.message : String(error)}`);
    });
    if (!response.ok) throw new AppError(response.status === 404 ? 'NotFound' : 'DownloadFailed', `${url} answered ${response.status}.`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.byteLength !== file.bytes) throw new AppError('IntegrityMismatch', `${file.path} has ${bytes.byteLength} bytes, the manifest says ${file.bytes}.`);
    return bytes;
  };
}
