/**
 * Activity options and message helpers shared by the payout and mass-payout workflows: one
 * definition of how each kind of step times out and retries.
 */
import type { ActivityOptions } from '@temporalio/workflow';
import type { RefusalCode } from './definitions';

/** Database work: short, retried forever with backoff. */
export const DATABASE_STEP: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
};

/**
 * Chain calls: RPC nodes time out and rate-limit, so these retry forever too; business failures
 * (revert, insufficient funds) come back as values, not errors. Short: a worker killed
 * mid-broadcast must not hold a signed nonce back for long.
 */
export const CHAIN_CALL: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '15 seconds' },
};

/** Long poll with heartbeats: a dead worker is noticed within the heartbeat timeout. */
export const CONFIRMATIONS_POLL: ActivityOptions = {
  startToCloseTimeout: '24 hours',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
};

/** Why an action was refused: thrown from Update validators as an ApplicationFailure of this type. */
export class Refusal {
  constructor(
    readonly code: RefusalCode,
    readonly message: string,
  ) {}
}

/** A who-field of an action payload ("approver", "requestedBy"): a non-empty name of at most 64 characters. */
export const named = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= 64;
