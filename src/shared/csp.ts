// Telling a connection the site's Content-Security-Policy refused apart from a network that fails. A
// refused fetch rejects with the same TypeError as an unreachable host; only a 'securitypolicyviolation'
// event (on the document, or on a worker's global scope when its script came with a policy) says why.
// It names the address refused, which after a redirect is not the one asked for (huggingface.co sends
// downloads to *.hf.co), so a failure is matched by time: a connect-src refusal since the fetch began.
import { AppError } from './errors';

const refusals: { origin: string; at: number }[] = [];
let watching = false;

/** Starts listening in this global scope (page or worker); once is enough, later calls do nothing. */
export function watchPolicyRefusals(): void {
  if (watching || typeof self === 'undefined' || typeof self.addEventListener !== 'function') return;
  watching = true;
  self.addEventListener('securitypolicyviolation', (event) => {
    const e = event as SecurityPolicyViolationEvent;
    if (!e.effectiveDirective.startsWith('connect-src')) return;
    try {
      refusals.push({ origin: new URL(e.blockedURI).origin, at: performance.now() });
      if (refusals.length > 20) refusals.shift();
    } catch {
      // blockedURI is not a URL (an inline or eval report): not a connection.
    }
  });
}

/**
 * After a fetch begun at `since` (performance.now()) failed: the refusal that explains it, if any. The
 * event is queued as its own task and may trail the rejection, so this waits a moment before looking.
 */
export async function policyRefusal(url: string, since: number): Promise<AppError | undefined> {
  await new Promise((resolve) => setTimeout(resolve, 50));
  const refusal = refusals.findLast((r) => r.at >= since);
  if (!refusal) return undefined;
  const asked = new URL(url).origin;
  const where = refusal.origin === asked ? refusal.origin : `${refusal.origin}, where ${asked} sent it`;
  return new AppError(
    'BlockedByPolicy',
    `This copy of the app is not allowed to connect to ${where}: the site's Content-Security-Policy (connect-src) does not list it. Your connection is fine.`,
  );
}
