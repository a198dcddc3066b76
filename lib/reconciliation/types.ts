/** What the reconciler knows about the chain and the engine: the shapes scan.ts and facts.ts build and match.ts judges. */
import type { ExceptionCategory } from '../../domain/reconciliation';

/** An ERC-20 Transfer event. Addresses are lowercase. */
export interface TokenMovement {
  token: string;
  from: string;
  to: string;
  value: bigint;
  logIndex: number;
}

/** A mined transaction as its receipt (and the transaction itself, for the native value) shows it. Addresses lowercase. */
export interface ChainTransaction {
  hash: string;
  blockNumber: bigint;
  from: string;
  /** null for a contract creation. */
  to: string | null;
  /** Native value, wei. */
  value: bigint;
  nonce: number;
  status: 'success' | 'reverted';
  /** What the sender actually paid, in wei: gasUsed × effectiveGasPrice, plus an OP-stack chain's L1 data fee (domain/network-fee.ts). */
  fee: bigint;
  /** ERC-20 Transfer events in the receipt whose `from` is the wallet being reconciled. */
  tokenTransfers: TokenMovement[];
}

/** A token Transfer from the wallet found by log search (it may sit in a transaction someone else sent, e.g. transferFrom). */
export interface TokenTransferLog extends TokenMovement {
  txHash: string;
  blockNumber: bigint;
}

/** What one scan of [from, to] found for one wallet. */
export interface ScannedRange {
  /** Every transaction the wallet sent in the range. */
  transactions: ChainTransaction[];
  /** Every Transfer of a registry token out of the wallet in the range. */
  tokenLogs: TokenTransferLog[];
}

/**
 * One signed attempt the engine knows, found by its hash. `payoutId` is the id that owns the nonce:
 * a payout's id, or a mass-payout delivery's (`owner: 'delivery'`, checked by mass-match.ts instead).
 */
export interface KnownAttempt {
  payoutId: string;
  kind: 'transfer' | 'cancel';
  owner: 'payout' | 'delivery';
}

/** A mined transaction with its calldata (a BatchTransfer payEth call is judged on what it asked to pay). */
export interface MinedCall extends ChainTransaction {
  input: string;
}

/**
 * A mismatch, before it is stored. `subject` (a payout id, a transaction, a mass-payout delivery id or a mass payout
 * id) makes the dedupe key with the category.
 */
export interface Finding {
  category: ExceptionCategory;
  subject: string;
  accountId: string | null;
  payoutId: string | null;
  txHash: string | null;
  summary: string;
  evidence: Record<string, unknown>;
}

export const dedupeKey = (network: string, finding: Pick<Finding, 'category' | 'subject'>) =>
  `${finding.category}:${network}:${finding.subject}`;
