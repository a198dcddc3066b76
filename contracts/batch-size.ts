/**
 * How many recipients fit in one BatchTransfer transaction (contracts/BatchTransfer.sol), from measured gas.
 * The engine splits a mass payout into chunks of at most maxRecipientsPerBatch(kind, gasLimit) items.
 *
 * Gas is linear in the number of recipients: tx gas = fixed + perRecipient * n. bench/batch-gas.ts measures
 * both (fit through its 500 and 1,000 recipient batches) and proves the resulting sizes by sending them.
 */
export type BatchKind = 'eth' | 'erc20';

export interface BatchGasCost {
  /** Gas of the transaction apart from its recipients: the 21,000 intrinsic, the call, the checks and BatchPaid. */
  fixed: bigint;
  /** Marginal gas of one more recipient, including its 64 bytes of calldata. */
  perRecipient: bigint;
}

/**
 * bench/batch-gas.ts on anvil, for recipients that have never held a balance (the worst case: a new account
 * for ETH, a zero-to-non-zero balance slot for the token), rounded up (fixed to 10,000 gas, per recipient to
 * 100). ERC-20 is TestUSDC with an unlimited allowance; another token, a finite allowance (about +100 per
 * item) or amounts with more nonzero bytes (12 gas per byte) cost more: measure and pass your own.
 */
export const MEASURED_BATCH_GAS: Readonly<Record<BatchKind, BatchGasCost>> = {
  eth: { fixed: 30_000n, perRecipient: 35_000n }, // fit: 24,279 + 34,991 n
  erc20: { fixed: 40_000n, perRecipient: 28_900n }, // fit: 37,780 + 28,877 n
};

/** EIP-7825 (Osaka): no transaction may use more than 2^24 gas, whatever the block gas limit. */
export const TX_GAS_LIMIT_CAP = 16_777_216n;

/** Expected gas of a batch of `count` recipients. */
export function batchGas(count: number, cost: BatchGasCost): bigint {
  return cost.fixed + cost.perRecipient * BigInt(count);
}

/**
 * The most recipients one batch may hold within `gasLimit` (the gas limit the transaction will carry: at most
 * the block gas limit, and at most TX_GAS_LIMIT_CAP where EIP-7825 applies). 0 when not even one fits.
 */
export function maxRecipientsPerBatch(kind: BatchKind, gasLimit: bigint, cost: BatchGasCost = MEASURED_BATCH_GAS[kind]): number {
  if (cost.perRecipient <= 0n || cost.fixed < 0n)
    throw new RangeError(`invalid ${kind} batch gas cost: ${cost.fixed} + ${cost.perRecipient} per recipient`);
  if (gasLimit <= cost.fixed) return 0;
  return Number((gasLimit - cost.fixed) / cost.perRecipient);
}
