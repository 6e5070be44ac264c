import { errorName, type ErrorName } from '../shared/errors';

/** An error to show: its name picks the sentence (i18n), `detail` goes under "technical details". */
export interface ShownError {
  name: ErrorName;
  detail: string;
}

export function toShown(error: unknown): ShownError {
  return { name: errorName(error), detail: error instanceof Error ? error.message : String(error) };
}
