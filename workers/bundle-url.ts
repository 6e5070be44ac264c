// Reading a bundle straight from its URL (the built-in bundle, tests). The model store (workers/store)
// replaces this reader with one over IndexedDB for downloaded bundles.
import type { BundleFile } from '../src/shared/manifest';
import { AppError } from '../src/shared/errors';
import type { FileReader } from './runtime/ort';
import { unreachable } from './store/downloader';

export function urlReader(manifestUrl: string): FileReader {
  return async (file: BundleFile) => {
    const url = new URL(file.path, manifestUrl).href;
    const response = await fetch(url).catch((error: unknown) => {
      throw unreachable(url, error);
    });
    if (!response.ok) throw new AppError(response.status === 404 ? 'NotFound' : 'DownloadFailed', `${url} answered ${response.status}.`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.byteLength !== file.bytes) throw new AppError('IntegrityMismatch', `${file.path} has ${bytes.byteLength} bytes, the manifest says ${file.bytes}.`);
    return bytes;
  };
}
