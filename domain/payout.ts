/**
 * Shapes that cross layers: the payout workflow's input and its queryable state.
 * Amounts are decimal strings of base units (Temporal's JSON payloads cannot hold bigint).
 */
import type { PayoutStatus } from './statuses';

export interface PayoutWorkflowInput {
  payoutId: string;
  accountId: string;
  /** Base units of `asset`, as a decimal string. */
  amount: string;
  asset: string;
  /** Decimals of `asset`, so the workflow can show whole units without the registry. */
  assetDecimals: number;
  network: string;
  destination: string;
  purpose: string;
  createdBy: string;
  externalId?: string;
  approvalsRequired: number;
  /** How long an unapproved payout waits before it expires, in milliseconds. */
  approvalTimeoutMs: number;
  /** A payout the treasury cannot cover waits this long for funding, re-checking every fundingRetryMs. */
  fundingTimeoutMs?: number;
  fundingRetryMs?: number;
  /** Present when the payout converts currencies: it waits for confirm or cancel until the quote expires. */
  conversion?: ConversionQuoteSummary;
  /** A funding wait continues-as-new before its run's history reaches this many events (default 10,000). */
  historyLimit?: number;
  /** Set by continue-as-new: where the previous run stopped. */
  resume?: PayoutResume;
  /** The API's screening at creation found the destination listed: the payout holds for compliance before anything. */
  compliance?: ComplianceHoldInput;
}

/** A screening that hit: what it found, and its audit row (a decision on the hold is recorded after it). */
export interface ComplianceHoldInput {
  hits: { source: string; detail: string }[];
  screeningId: string;
}

/** What a run that continued-as-new hands to the next one, in the middle of a funding wait. */
export interface PayoutResume {
  /** Waiting for the reservation (before approval), for gas to sign (funds reserved, approved), or to broadcast (signed). */
  stage: 'reserve' | 'prepare' | 'broadcast';
  state: PayoutState;
  /** Epoch ms: the wait's deadline does not move. */
  fundingDeadline: number;
  /** The signed transfer, when the wait is for its broadcast. */
  signed?: { txHash: string; nonce: string };
}

export interface ConversionQuoteSummary {
  /** e.g. "100 EUR -> 0.036 ETH, debit 110.1 USDC" */
  description: string;
  /** ISO time after which the locked quote is void and the payout expires. */
  expiresAt: string;
}

export type FailureCode =
  | 'canceled'
  | 'rejected'
  | 'approval_expired'
  | 'quote_expired'
  | 'funding_timeout'
  | 'insufficient_funds'
  | 'insufficient_gas'
  | 'nonce_conflict'
  | 'simulation_reverted'
  | 'transaction_reverted'
  | 'broadcast_refused'
  | 'fee_ceiling'
  | 'invalid_destination'
  | 'compliance_hold'
  | 'compliance_refused'
  | 'rejected';

export interface PayoutFailure {
  code: FailureCode;
  /** What happened and what a person can do about it. */
  reason: string;
}

export interface PayoutChainResult {
  txHash: string;
  blockNumber: string;
  confirmations: number;
  gasUsed: string;
  /** wei paid for gas: gasUsed × effectiveGasPrice, plus an OP-stack chain's L1 data fee (domain/network-fee.ts). */
  networkFee: string;
}

export interface PayoutState {
  payoutId: string;
  status: PayoutStatus;
  /** Grows with every status change; the read model ignores writes with a lower seq. */
  statusSeq: number;
  /** What the workflow is doing or waiting for, for people. */
  waitingFor: string;
  since: string;
  approvalsRequired: number;
  approvedBy: string[];
  /** Set while a person must act (e.g. fund the treasury); the payout resumes by itself afterwards. */
  attention?: PayoutFailure;
  /** What a person can do now: confirm_conversion, approve, reject, cancel. */
  availableActions: PayoutAction[];
  conversion?: ConversionQuoteSummary & { confirmedBy?: string };
  txHash?: string;
  chain?: PayoutChainResult;
  failure?: PayoutFailure;
}

export type PayoutAction = 'confirm_conversion' | 'approve' | 'reject' | 'cancel' | 'resolve_nonce_conflict' | 'decide_compliance';

/** Workflow ids people can read and type: the payout id with a prefix. */
export const PAYOUT_WORKFLOW_PREFIX = 'payout-';

export function payoutWorkflowId(payoutId: string): string {
  return `${PAYOUT_WORKFLOW_PREFIX}${payoutId}`;
}

export const PAYOUT_TASK_QUEUE = 'payouts';
