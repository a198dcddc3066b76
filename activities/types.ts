/** The activities' contract, shared by the workflow (types only) and the worker. */
import type { PayoutChainResult, PayoutFailure } from '../domain/payout';
import type { PayoutStatus } from '../domain/statuses';

export interface PayoutStateUpdate {
  payoutId: string;
  seq: number;
  from: PayoutStatus | null;
  to: PayoutStatus;
  /** Workflow time of the change (ISO). */
  at: string;
  approvedBy: string[];
  failure?: PayoutFailure;
  chain?: PayoutChainResult;
  txHash?: string;
}

export type ReserveResult = { ok: true; reservedUnits: string } | { ok: false; failure: PayoutFailure };

export type PrepareResult = { ok: true; txHash: string; nonce: string } | { ok: false; failure: PayoutFailure };

export type ConfirmationOutcome =
  | {
      status: 'success' | 'reverted';
      /** Which attempt the chain kept: the transfer (or one of its fee bumps), or the cancellation. Absent in old histories: transfer. */
      kind?: 'transfer' | 'cancel';
      attempts?: number;
      chain: PayoutChainResult;
      /** Set when the kept cancellation filled the nonce of a transfer the node refused: the node's reason. */
      refused?: string;
    }
  | { status: 'nonce_conflict'; kind: 'transfer'; attempts: number; chain?: undefined };

/** Not final yet: the transaction is stuck and the network's fee ceiling allows no further bump. Told once per wait. */
export type FeeCeilingReached = { status: 'fee_ceiling'; reason: string; attempts: number };

export type CancellationResult = { sent: true; txHash: string } | { sent: false; reason: string };

/** The payout's activities; the delivery layer's (broadcast, replace, confirm) take any delivery's id: a payout's, or a mass payout's chunk, item or allowance. */
export interface PayoutActivities {
  recordPayoutState(update: PayoutStateUpdate): Promise<void>;
  reserveFunds(payoutId: string): Promise<ReserveResult>;
  settleReservation(payoutId: string, outcome: 'consumed' | 'released'): Promise<void>;
  prepareTransfer(payoutId: string): Promise<PrepareResult>;
  /** `short`: the node found the wallet unable to pay for it (insufficient_gas); nothing was sent, retry once funded. */
  broadcastTransfer(deliveryId: string): Promise<{ txHash: string; refused?: string; short?: PayoutFailure }>;
  replaceWithCancellation(deliveryId: string): Promise<CancellationResult>;
  recordAttention(payoutId: string, attention: string | null): Promise<void>;
  /** One activity task each for a status record and the step it goes with (activities/payout-steps.ts). */
  recordAndReserve(update: PayoutStateUpdate): Promise<ReserveResult>;
  broadcastAndRecord(update: PayoutStateUpdate): Promise<{ txHash: string; refused?: string; short?: PayoutFailure }>;
  settleAndRecord(update: PayoutStateUpdate): Promise<void>;
  /** awaitConfirmations; a kept transfer is also settled and recorded `completed` (at `completedAt`). */
  confirmAndComplete(
    completion: PayoutStateUpdate,
    options?: { ceilingReported?: boolean },
  ): Promise<ConfirmationOutcome | FeeCeilingReached | (ConfirmationOutcome & { completedAt: string })>;
  /** Until final; at the fee ceiling it answers FeeCeilingReached, unless the caller already showed it (`ceilingReported`). */
  awaitConfirmations(
    deliveryId: string,
    options?: { ceilingReported?: boolean; conflictReported?: boolean },
  ): Promise<ConfirmationOutcome | FeeCeilingReached>;
}
