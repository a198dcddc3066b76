/**
 * What a control decided for one payout or mass payout at creation. Each control (limits, payee book, anomaly flags,
 * destination checks) appends one decision; the payout keeps the list (payouts.controls), and the API shows it, so
 * anyone can see which rule of which policy version let it through, held it, or asked for more approvals.
 */
export const CONTROL_NAMES = ['limits', 'payee_book', 'anomaly', 'destination'] as const;
export type ControlName = (typeof CONTROL_NAMES)[number];

/** allowed: nothing changes; approval_required: it needs (more) approvals; refused: never created (only in the audit log). */
export type ControlOutcome = 'allowed' | 'approval_required' | 'refused';

export interface ControlDecision {
  control: ControlName;
  /** The policy that judged, or null for the built-in default. */
  policy: { id: string; version: number } | null;
  outcome: ControlOutcome;
  /** The rule that decided, e.g. "amount per 24h, USDC, per destination"; absent when no rule applied. */
  rule?: string;
  /** Approvals this control adds to the tier's (e.g. 1 for a destination that is not an active payee). */
  extraApprovals?: number;
  /** Approvals this control needs at least, whatever the tier (e.g. 2 for an approval that overrides a limit). */
  minimumApprovals?: number;
  /** A sentence for a person: what was found. */
  detail?: string;
}

/** The approvals a payout needs: its tier's, raised by every control that asked for more. */
export function approvalsWithControls(tierApprovals: number, decisions: readonly ControlDecision[]): number {
  let required = tierApprovals;
  for (const decision of decisions) {
    if (decision.outcome !== 'approval_required') continue;
    required = Math.max(required, tierApprovals + (decision.extraApprovals ?? 0), decision.minimumApprovals ?? 1);
  }
  return required;
}
