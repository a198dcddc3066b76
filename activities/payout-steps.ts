/**
 * A payout's steps that pair a status record with the work it follows, so each pair is one activity task (one
 * workflow task fewer per pair). Each half stays idempotent on its own: a retry after either half redoes it safely.
 */
import type { PayoutFailure } from '../domain/payout';
import type { ConfirmationOutcome, FeeCeilingReached, PayoutStateUpdate, ReserveResult } from './types';

interface Parts {
  recordPayoutState(update: PayoutStateUpdate): Promise<void>;
  reserveFunds(payoutId: string): Promise<ReserveResult>;
  broadcastTransfer(deliveryId: string): Promise<{ txHash: string; refused?: string; short?: PayoutFailure }>;
  settleReservation(payoutId: string, outcome: 'consumed' | 'released'): Promise<void>;
  awaitConfirmations(deliveryId: string, options?: { ceilingReported?: boolean }): Promise<ConfirmationOutcome | FeeCeilingReached>;
}

export function payoutStepActivities(parts: Parts) {
  return {
    /** Records the status the payout reserves in (its first, or the one after a confirmed quote), then reserves. */
    async recordAndReserve(update: PayoutStateUpdate): Promise<ReserveResult> {
      await parts.recordPayoutState(update);
      return parts.reserveFunds(update.payoutId);
    },

    /** Broadcasts the signed transfer and, once a node took it, records `processing`. A short wallet records nothing. */
    async broadcastAndRecord(update: PayoutStateUpdate): Promise<{ txHash: string; refused?: string; short?: PayoutFailure }> {
      const sent = await parts.broadcastTransfer(update.payoutId);
      if (!sent.short) await parts.recordPayoutState(update);
      return sent;
    },

    /**
     * Waits for the payout's nonce to be final and, when the chain kept the transfer, completes it here: the hold is
     * consumed and `completed` recorded (at the time it was found final), so a paid payout takes no further activity.
     * Any other outcome is returned for the workflow to decide.
     */
    async confirmAndComplete(
      completion: PayoutStateUpdate,
      options?: { ceilingReported?: boolean },
    ): Promise<ConfirmationOutcome | FeeCeilingReached | (ConfirmationOutcome & { completedAt: string })> {
      const outcome = await parts.awaitConfirmations(completion.payoutId, options);
      if (outcome.status !== 'success' || (outcome.kind ?? 'transfer') !== 'transfer') return outcome;
      const completedAt = new Date().toISOString();
      await parts.settleReservation(completion.payoutId, 'consumed');
      await parts.recordPayoutState({ ...completion, at: completedAt, chain: outcome.chain });
      return { ...outcome, completedAt };
    },

    /** Settles the hold (consumed when paid, released otherwise) and records the final status. */
    async settleAndRecord(update: PayoutStateUpdate): Promise<void> {
      await parts.settleReservation(update.payoutId, update.to === 'completed' ? 'consumed' : 'released');
      await parts.recordPayoutState(update);
    },
  };
}
