/**
 * Keeps the payouts table (the read model) in step with the workflow. A write applies
 * only when it is the next step of the payout's history: its seq is higher than the row's,
 * the row is still in `from`, and from -> to is an allowed transition. So a late or
 * duplicated activity attempt never moves a payout backwards, and a terminal payout never
 * changes. The status event and the outbox message are written in the same transaction.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { activityLog } from './activity-log';
import type { PayoutFlowMetrics } from '../lib/metrics';
import type { Db } from '../lib/db';
import { canTransition, isTerminal, TERMINAL_STATUSES } from '../domain/statuses';
import type { PayoutStateUpdate } from './types';

/**
 * PostgreSQL text cannot hold U+0000. The API refuses it, but a reason typed into a Temporal UI
 * signal is not checked by the API: replace it, or a write that can never succeed wedges the payout.
 */
function withoutNul<T>(value: T): T {
  if (typeof value === 'string') return value.replaceAll('\u0000', '\ufffd') as T;
  if (Array.isArray(value)) return value.map(withoutNul) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutNul(item)])) as T;
  }
  return value;
}

export function readModelActivities(db: Db, metrics?: PayoutFlowMetrics) {
  return {
    /** Marks (or clears) why a person must act; never touches a finished payout. */
    async recordAttention(payoutId: string, attention: string | null): Promise<void> {
      await db.payout.updateMany({
        where: { id: payoutId, status: { notIn: [...TERMINAL_STATUSES] } },
        data: { attention },
      });
    },

    async recordPayoutState(raw: PayoutStateUpdate): Promise<void> {
      const update = withoutNul(raw);
      if (update.from !== null && !canTransition(update.from, update.to)) {
        throw ApplicationFailure.nonRetryable(
          `forbidden transition ${update.from} -> ${update.to} for payout ${update.payoutId}`,
          'forbidden_transition',
        );
      }
      const at = new Date(update.at);
      let applied: { statusChangedAt: Date; createdAt: Date } | undefined;
      let accountId: string | undefined;
      await db.$transaction(async (tx) => {
        // When the status it leaves began: for the time-in-status metric.
        const before = metrics
          ? await tx.payout.findUnique({ where: { id: update.payoutId }, select: { statusChangedAt: true, createdAt: true } })
          : null;
        const { count } = await tx.payout.updateMany({
          where: {
            id: update.payoutId,
            statusSeq: { lt: update.seq },
            // The first record (from = null) confirms the status the API created the row in.
            // A terminal row can never match: no transition leaves a terminal status.
            status: update.from ?? update.to,
          },
          data: {
            status: update.to,
            statusSeq: update.seq,
            statusChangedAt: at,
            approvedBy: update.approvedBy,
            failureCode: update.failure?.code ?? null,
            failureReason: update.failure?.reason ?? null,
            txHash: update.chain?.txHash ?? update.txHash ?? null,
            blockNumber: update.chain ? BigInt(update.chain.blockNumber) : null,
            confirmations: update.chain?.confirmations ?? null,
            gasUsed: update.chain?.gasUsed ?? null,
            networkFee: update.chain?.networkFee ?? null,
            completedAt: update.to === 'completed' ? at : null,
            ...(isTerminal(update.to) ? { attention: null } : {}),
          },
        });
        if (count === 0) return;
        if (before) applied = before;
        const detail = {
          approved_by: update.approvedBy,
          failure: update.failure ? { code: update.failure.code, reason: update.failure.reason } : null,
          tx_hash: update.chain?.txHash ?? update.txHash ?? null,
        };
        await tx.payoutEvent.create({
          data: { payoutId: update.payoutId, seq: update.seq, fromStatus: update.from, toStatus: update.to, detail, createdAt: at },
        });
        // The event belongs to the payout's account: only its webhook endpoints receive it.
        ({ accountId } = await tx.payout.findUniqueOrThrow({ where: { id: update.payoutId }, select: { accountId: true } }));
        await tx.outboxEvent.create({
          data: {
            // Deterministic id: receivers de-duplicate on it, and a retried write cannot add a second one.
            id: `evt_${update.payoutId}_${update.seq}`,
            accountId,
            aggregateType: 'payout',
            aggregateId: update.payoutId,
            eventType: `payout.${update.to}`,
            payload: { payout_id: update.payoutId, status: update.to, previous_status: update.from, at: update.at, ...detail },
          },
        });
      });
      // Logged and counted once the transition committed, and once only: a retried or replayed record changes no row.
      if (accountId !== undefined) {
        activityLog()?.info(`payout ${update.from ?? 'created'} -> ${update.to}`, {
          payout_id: update.payoutId,
          account_id: accountId,
          status: update.to,
          previous_status: update.from,
          ...(update.failure ? { failure_code: update.failure.code } : {}),
        });
      }
      if (applied && metrics) {
        metrics.transitioned({
          from: update.from,
          to: update.to,
          ...(update.failure ? { failureCode: update.failure.code } : {}),
          ...(update.from !== null ? { inStatusSeconds: Math.max(0, at.getTime() - applied.statusChangedAt.getTime()) / 1000 } : {}),
          sinceCreatedSeconds: Math.max(0, at.getTime() - applied.createdAt.getTime()) / 1000,
        });
      }
    },
  };
}
