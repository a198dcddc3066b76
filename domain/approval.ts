/** Approval decisions: four-eyes, one approver once, and only while a payout waits for approval. */
export type ApprovalDecision =
  | { accepted: true; approvedBy: string[]; remaining: number }
  | { accepted: false; reason: 'own_payout' | 'already_approved' | 'not_awaiting_approval'; message: string };

/** Pure decision the workflow's update validator and signal handler share. */
export function decideApproval(input: {
  approver: string;
  createdBy: string;
  approvedBy: readonly string[];
  approvalsRequired: number;
  awaitingApproval: boolean;
}): ApprovalDecision {
  if (!input.awaitingApproval) {
    return { accepted: false, reason: 'not_awaiting_approval', message: 'payout is not awaiting approval' };
  }
  if (input.approver === input.createdBy) {
    return { accepted: false, reason: 'own_payout', message: 'you created this payout; another person must approve it' };
  }
  if (input.approvedBy.includes(input.approver)) {
    return { accepted: false, reason: 'already_approved', message: 'you already approved this payout' };
  }
  const approvedBy = [...input.approvedBy, input.approver];
  return { accepted: true, approvedBy, remaining: Math.max(0, input.approvalsRequired - approvedBy.length) };
}
