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

/** How far a network lets the engine chase a stuck transaction (the network registry sets it). */
export interface FeeCeiling {
  /** No replacement is signed above this fee cap (wei per gas). */
  maxFeePerGas: bigint;
  /** Replacements per nonce, fee bumps and cancellations together. */
  maxBumps: number;
}

export type Replacement = { ok: true; fees: Fees } | { ok: false; reason: string };

/**
 * The fees of the next replacement, or why there is none. A bump that would pass the ceiling is clamped to it while
 * the clamped fees are still a valid replacement. `exempt` (the first cancellation of a transfer) may pass the
 * ceiling by the replacement minimum: filling the nonce must be able to outbid the transfer it replaces.
 */
export function replacementFees(
  previous: Fees,
  current: Fees,
  context: { bumpsSoFar: number; ceiling: FeeCeiling; exempt?: boolean },
): Replacement {
  const next = bumpedFees(previous, current);
  if (context.exempt) return { ok: true, fees: next };
  const { ceiling } = context;
  if (context.bumpsSoFar >= ceiling.maxBumps) {
    return { ok: false, reason: `already replaced ${context.bumpsSoFar} time(s), the most this network allows (${ceiling.maxBumps})` };
  }
  if (next.maxFeePerGas <= ceiling.maxFeePerGas) return { ok: true, fees: next };
  const clamped: Fees = {
    maxFeePerGas: ceiling.maxFeePerGas,
    maxPriorityFeePerGas: next.maxPriorityFeePerGas < ceiling.maxFeePerGas ? next.maxPriorityFeePerGas : ceiling.maxFeePerGas,
  };
  if (isValidReplacement(previous, clamped)) return { ok: true, fees: clamped };
  return {
    ok: false,
    reason: `the next bump needs a fee cap of ${next.maxFeePerGas} wei/gas, above this network's ceiling of ${ceiling.maxFeePerGas}`,
  };
}
