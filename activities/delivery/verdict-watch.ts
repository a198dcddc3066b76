/**
 * The waits for the wallet owner's verdicts, one database read per poll for all of them. Hundreds of deliveries wait
 * at once in one worker (every payout in `processing`); a read per waiting activity per poll made the database the
 * bottleneck (436 transactions per payout in `npm run bench:payouts`). Each waiter names what counts as news for it.
 */
import type { Db } from '../../lib/db';

export interface VerdictRow {
  payoutId: string;
  state: string;
  feeCeilingReason: string | null;
  nonceConflictAt: Date | null;
}

interface Waiter {
  isNews: (row: VerdictRow) => boolean;
  done: () => void;
}

export function verdictWatch(db: Db, intervalMs: number) {
  const waiters = new Map<string, Set<Waiter>>();
  let polling = false;

  const remove = (deliveryId: string, waiter: Waiter) => {
    const set = waiters.get(deliveryId);
    set?.delete(waiter);
    if (set?.size === 0) waiters.delete(deliveryId);
  };

  async function poll(): Promise<void> {
    polling = true;
    try {
      while (waiters.size > 0) {
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
        if (waiters.size === 0) break;
        const rows = await db.chainTransaction
          .findMany({
            where: { payoutId: { in: [...waiters.keys()] } },
            select: { payoutId: true, state: true, feeCeilingReason: true, nonceConflictAt: true },
          })
          .catch(() => []); // the database is down: every waiter wakes at its own deadline and reads for itself
        for (const row of rows) for (const waiter of [...(waiters.get(row.payoutId) ?? [])]) if (waiter.isNews(row)) waiter.done();
      }
    } finally {
      polling = false;
    }
  }

  return {
    /** Resolves once the delivery's row shows news for this waiter, or after `maxMs` (so the caller can heartbeat). */
    wait(deliveryId: string, isNews: (row: VerdictRow) => boolean, maxMs: number): Promise<void> {
      return new Promise((resolve) => {
        const waiter: Waiter = {
          isNews,
          done: () => {
            clearTimeout(timer);
            remove(deliveryId, waiter);
            resolve();
          },
        };
        const timer = setTimeout(waiter.done, maxMs);
        if (!waiters.has(deliveryId)) waiters.set(deliveryId, new Set());
        waiters.get(deliveryId)!.add(waiter);
        if (!polling) void poll();
      });
    },
    waiting: () => waiters.size,
  };
}
