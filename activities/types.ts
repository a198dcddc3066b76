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

export interface ConfirmationOutcome {
  status: 'success' | 'reverted';
  chain: PayoutChainResult;
}

export interface PayoutActivities {
  recordPayoutState(update: PayoutStateUpdate): Promise<void>;
  reserveFunds(payoutId: string): Promise<ReserveResult>;
  settleReservation(payoutId: string, outcome: 'consumed' | 'released'): Promise<void>;
  prepareTransfer(payoutId: string): Promise<PrepareResult>;
  broadcastTransfer(payoutId: string): Promise<{ txHash: string }>;
  awaitConfirmations(payoutId: string): Promise<ConfirmationOutcome>;
}
