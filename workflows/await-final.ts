/**
 * Waiting for a delivery's nonce to be final, shared by the payout, mass-payout and chunk workflows. A transaction
 * stuck at the network's fee ceiling is told to the caller once, so it can show the wait where on-call looks; the wait
 * then goes on without further bumps until the chain includes it (or an operator raises the ceiling and restarts).
 */
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { ConfirmationOutcome, PayoutActivities } from '../activities/types';
import { CONFIRMATIONS_POLL } from './activity-options';

const confirmations = proxyActivities<PayoutActivities>(CONFIRMATIONS_POLL);

export async function awaitFinal(deliveryId: string, atFeeCeiling: (reason: string) => Promise<void> | void): Promise<ConfirmationOutcome> {
  const first = await confirmations.awaitConfirmations(deliveryId);
  if (first.status !== 'fee_ceiling') return first;
  await atFeeCeiling(first.reason);
  const final = await confirmations.awaitConfirmations(deliveryId, { ceilingReported: true });
  if (final.status === 'fee_ceiling') throw ApplicationFailure.nonRetryable('bug: the fee ceiling was reported twice', 'fee_ceiling_twice');
  return final;
}
