/**
 * Keeps the payouts table (the read model) in step with the workflow. Monotonic: a
 * write applies only when its seq is higher than the row's and the row is not terminal,
 * so a late or duplicated activity attempt never moves a payout backwards. The status
 * event and the outbox message are written in the same transaction as the change.
 */
import type { Db } from '../lib/db';
import { TERMINAL_STATUSES } from '../domain/statuses';
import type { PayoutStateUpdate } from './types';

export function readModelActivities(db: Db) {
  return {
    async recordPayoutState(update: PayoutStateUpdate): Promise<void> {
      await db.$transaction(async (tx) => {
        const { count } = await tx.payout.updateMany({
          where: { id: update.payoutId, statusSeq: { lt: update.seq }, status: { notIn: [...TERMINAL_STATUSES] } },
          data: {
            status: update.to,
            statusSeq: update.seq,
            approvedBy: update.approvedBy,
            failureCode: update.failure?.code ?? null,
            failureReason: update.failure?.reason ?? null,
            txHash: update.chain?.txHash ?? update.txHash ?? null,
            blockNumber: update.chain ? BigInt(update.chain.blockNumber) : null,
            confirmations: update.chain?.confirmations ?? null,
            gasUsed: update.chain?.gasUsed ?? null,
            networkFee: update.chain?.networkFee ?? null,
            updatedAt: new Date(),
            completedAt: update.to === 'completed' ? new Date() : null,
          },
        });
        if (count === 0) return;
        const detail = { approved_by: update.approvedBy, failure: update.failure ? { code: update.failure.code, reason: update.failure.reason } : null, tx_hash: update.chain?.txHash ?? update.txHash ?? null };
        await tx.payoutEvent.create({
          data: { payoutId: update.payoutId, seq: update.seq, fromStatus: update.from, toStatus: update.to, detail },
        });
        await tx.outboxEvent.create({
          data: {
            // Deterministic id: receivers de-duplicate on it, and a retried write cannot add a second one.
            id: `evt_${update.payoutId}_${update.seq}`,
            aggregateType: 'payout',
            aggregateId: update.payoutId,
            eventType: `payout.${update.to}`,
            payload: { payout_id: update.payoutId, status: update.to, previous_status: update.from, ...detail },
          },
        });
      });
    },
  };
}
