/**
 * Approval policies: versioned data per account (and optionally per program). For each
 * asset, tiers by amount say how many distinct approvers a payout needs, e.g. USDC
 * under 1,000 needs none, under 10,000 one, anything above two. A payout records the
 * policy version it was judged under; changing a policy creates a new version.
 */
import { parseAmount } from './money';

export interface ApprovalTier {
  /** Payouts strictly below this amount (decimal, in whole asset units) fall in this tier; absent on the last tier. */
  below?: string;
  approvals: number;
}

/** asset symbol -> tiers in increasing `below` order, the last one without `below`. */
export type ApprovalRules = Record<string, ApprovalTier[]>;

export interface ApprovalPolicyVersion {
  id: string;
  accountId: string;
  program: string | null;
  version: number;
  rules: ApprovalRules;
}

export const MAX_APPROVALS = 5;

/** The policy an account has before it defines one: version 0. */
export const DEFAULT_APPROVAL_RULES: ApprovalRules = {
  USDC: [{ below: '10000', approvals: 0 }, { approvals: 1 }],
  ETH: [{ below: '5', approvals: 0 }, { approvals: 1 }],
};

/** Every problem with a rules document, as [path, message] pairs; empty when valid. */
export function checkApprovalRules(rules: ApprovalRules, decimalsOf: (asset: string) => number | undefined): [string, string][] {
  const problems: [string, string][] = [];
  for (const [asset, tiers] of Object.entries(rules)) {
    const decimals = decimalsOf(asset);
    if (decimals === undefined) {
      problems.push([`rules.${asset}`, `unknown asset ${asset}`]);
      continue;
    }
    if (tiers.length === 0) problems.push([`rules.${asset}`, 'needs at least one tier']);
    let previous = -1n;
    tiers.forEach((tier, index) => {
      const path = `rules.${asset}[${index}]`;
      if (!Number.isInteger(tier.approvals) || tier.approvals < 0 || tier.approvals > MAX_APPROVALS) {
        problems.push([`${path}.approvals`, `must be an integer from 0 to ${MAX_APPROVALS}`]);
      }
      const last = index === tiers.length - 1;
      if (last && tier.below !== undefined)
        problems.push([`${path}.below`, 'the last tier must have no "below": it covers every larger amount']);
      if (!last && tier.below === undefined) problems.push([`${path}.below`, 'every tier but the last needs "below"']);
      if (tier.below !== undefined) {
        const parsed = parseAmount(tier.below, decimals);
        if (!parsed.ok) problems.push([`${path}.below`, parsed.error.message]);
        else if (parsed.units <= previous) problems.push([`${path}.below`, 'tiers must be in increasing order']);
        else previous = parsed.units;
      }
    });
  }
  return problems;
}

/** How many distinct approvers `amountUnits` of `asset` needs under `rules` (assets not listed need none). */
export function approvalsRequiredBy(rules: ApprovalRules, asset: string, decimals: number, amountUnits: bigint): number {
  const tiers = rules[asset];
  if (!tiers) return 0;
  for (const tier of tiers) {
    if (tier.below === undefined) return tier.approvals;
    const limit = parseAmount(tier.below, decimals);
    if (limit.ok && amountUnits < limit.units) return tier.approvals;
  }
  return tiers[tiers.length - 1]?.approvals ?? 0;
}
