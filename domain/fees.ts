/**
 * EIP-1559 replacement fees. A node accepts a transaction with the same nonce only if both
 * fee fields rise by at least 10% (geth's rule; OpenZeppelin's relayer bumps 1.1x,
 * Fireblocks asks 15%). We bump by 12.5%, rounded up, or to the network's current
 * estimate when that is higher, so a stuck transaction also catches up with the market.
 */
import { divide } from './money';

export interface Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

/** 112.5%: above the 110% minimum with room for rounding. */
const BUMP_NUMERATOR = 1125n;
const BUMP_DENOMINATOR = 1000n;

const bump = (value: bigint) => divide(value * BUMP_NUMERATOR, BUMP_DENOMINATOR, 'up');
const max = (...values: bigint[]) => values.reduce((a, b) => (a > b ? a : b));

export function bumpedFees(previous: Fees, current: Fees): Fees {
  const maxPriorityFeePerGas = max(bump(previous.maxPriorityFeePerGas), current.maxPriorityFeePerGas, 1n);
  const maxFeePerGas = max(bump(previous.maxFeePerGas), current.maxFeePerGas, maxPriorityFeePerGas);
  return { maxFeePerGas, maxPriorityFeePerGas };
}

/** Whether `next` may replace `previous` under the 10% rule. */
export function isValidReplacement(previous: Fees, next: Fees): boolean {
  return next.maxFeePerGas * 10n >= previous.maxFeePerGas * 11n && next.maxPriorityFeePerGas * 10n >= previous.maxPriorityFeePerGas * 11n;
}
