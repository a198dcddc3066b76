/**
 * Follows a mass payout until it is final: reads it every `intervalMs` and hands each reading to `onUpdate`.
 * A stack that stops answering for a while (an API restart) is waited out up to `giveUpAfterMs`; an answer that
 * cannot change by waiting (404, 401) ends it at once. Aborting `signal` (Ctrl-C) only stops the reading: the
 * mass payout itself goes on.
 */
import { isMassPayoutStatus, isMassPayoutTerminal } from '../../domain/mass-payout';
import { ApiFailure, ApiUnreachable, type MassPayoutClient, type MassPayoutView } from './client';

export interface FollowOptions {
  intervalMs: number;
  signal?: AbortSignal;
  onUpdate(view: MassPayoutView): void;
  /** A reading failed but will be retried; `sinceMs` is how long readings have been failing. */
  onTrouble?(error: unknown, sinceMs: number): void;
  giveUpAfterMs?: number;
}

export type FollowResult = { outcome: 'final'; view: MassPayoutView } | { outcome: 'stopped'; view?: MassPayoutView };

export const isFinal = (status: string): boolean => isMassPayoutStatus(status) && isMassPayoutTerminal(status);

/** Worth waiting out: nothing answered, the API is briefly unavailable, or it is rate limiting. */
export function isPassing(error: unknown): boolean {
  if (error instanceof ApiUnreachable) return true;
  return error instanceof ApiFailure && (error.status === 429 || error.status >= 500);
}

export async function followMassPayout(
  client: Pick<MassPayoutClient, 'get'>,
  massPayoutId: string,
  options: FollowOptions,
): Promise<FollowResult> {
  const giveUpAfterMs = options.giveUpAfterMs ?? 120_000;
  let last: MassPayoutView | undefined;
  let failingSince: number | undefined;
  while (!options.signal?.aborted) {
    try {
      last = await client.get(massPayoutId);
      failingSince = undefined;
      options.onUpdate(last);
      if (isFinal(last.status)) return { outcome: 'final', view: last };
    } catch (error) {
      if (options.signal?.aborted) break;
      if (!isPassing(error)) throw error;
      failingSince ??= Date.now();
      const sinceMs = Date.now() - failingSince;
      if (sinceMs > giveUpAfterMs) throw error;
      options.onTrouble?.(error, sinceMs);
    }
    await sleep(options.intervalMs, options.signal);
  }
  return { outcome: 'stopped', ...(last ? { view: last } : {}) };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
