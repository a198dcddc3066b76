/**
 * Waiting for a delivery's nonce to be final, shared by the payout, mass-payout and chunk workflows. A transaction
 * stuck at the network's fee ceiling is told to the caller once, so it can show the wait where on-call looks; the wait
 * then goes on without further bumps until the chain includes it (or an operator raises the ceiling and restarts).
 */
import { ApplicationFailure, CancellationScope, condition, proxyActivities } from '@temporalio/workflow';
import type { ConfirmationOutcome, PayoutActivities, PayoutStateUpdate } from '../activities/types';
import { CONFIRMATIONS_POLL } from './activity-options';

const confirmations = proxyActivities<PayoutActivities>(CONFIRMATIONS_POLL);

/**
 * `completion`, for a payout whose reservation is held: the record of its move to `completed`, which the activity
 * writes itself (with the hold's settlement) when the chain kept the transfer. The outcome then has `completedAt`.
 */
export async function awaitFinal(
  deliveryId: string,
  atFeeCeiling: (reason: string) => Promise<void> | void,
  completion?: PayoutStateUpdate,
): Promise<ConfirmationOutcome & { completedAt?: string }> {
  const wait = (options?: { ceilingReported: true }) =>
    completion ? confirmations.confirmAndComplete(completion, options) : confirmations.awaitConfirmations(deliveryId, options);
  const first = await wait();
  if (first.status !== 'fee_ceiling') return first;
  await atFeeCeiling(first.reason);
  const final = await wait({ ceilingReported: true });
  if (final.status === 'fee_ceiling') throw ApplicationFailure.nonRetryable('bug: the fee ceiling was reported twice', 'fee_ceiling_twice');
  return final;
}

/**
 * After a nonce conflict: a person decides, but the chain is still watched meanwhile. If one of the delivery's attempts
 * turns up at final depth after all (the conflict was a lagging node's view), that outcome wins over the person's.
 */
export async function awaitFinalOrResolution(deliveryId: string, resolved: () => boolean): Promise<ConfirmationOutcome | 'resolved'> {
  let watched: ConfirmationOutcome | undefined;
  const scope = new CancellationScope();
  const watching = scope.run(() => confirmations.awaitConfirmations(deliveryId, { ceilingReported: true, conflictReported: true }));
  watching.then(
    (result) => {
      watched = result as ConfirmationOutcome;
    },
    () => undefined,
  );
  await condition(() => watched !== undefined || resolved());
  if (watched) return watched;
  scope.cancel();
  return 'resolved';
}
