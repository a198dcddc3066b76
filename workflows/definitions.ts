/**
 * The payout workflow's messages. Every action exists twice: as an Update for the API
 * (the caller gets a synchronous, specific answer) and as a Signal for operators in the
 * Temporal Web UI, with a payload simple enough to type there, e.g. {"approver": "alice"}.
 * An invalid Signal is logged in the workflow's history and changes nothing.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { PayoutState } from '../domain/payout';

export interface ApproveArgs {
  approver: string;
}

export interface RejectArgs {
  approver: string;
  reason?: string;
}

export interface CancelArgs {
  requestedBy: string;
  reason?: string;
}

/** A person checked the wallet after a nonce conflict: the payout was not paid. */
export interface ResolveNonceConflictArgs {
  resolvedBy: string;
  reason: string;
}

export interface ResolveNonceConflictAnswer {
  result: 'resolved_not_paid';
}

export interface ConfirmConversionArgs {
  confirmedBy: string;
}

export type ApproveAnswer =
  { result: 'approved'; approvedBy: string[] } | { result: 'needs_more_approvals'; approvedBy: string[]; remaining: number };

export interface RejectAnswer {
  result: 'rejected';
}

/** `canceled`: stopped before signing. `cancel_requested`: a same-nonce replacement was sent; the payout ends canceled only if the chain keeps it. */
export type CancelAnswer = { result: 'canceled' } | { result: 'cancel_requested'; replacementTxHash: string };

export interface ConfirmConversionAnswer {
  result: 'confirmed';
}

export const approveUpdate = defineUpdate<ApproveAnswer, [ApproveArgs]>('approve');
export const rejectUpdate = defineUpdate<RejectAnswer, [RejectArgs]>('reject');
export const cancelUpdate = defineUpdate<CancelAnswer, [CancelArgs]>('cancel');
export const resolveNonceConflictUpdate = defineUpdate<ResolveNonceConflictAnswer, [ResolveNonceConflictArgs]>('resolve_nonce_conflict');
export const confirmConversionUpdate = defineUpdate<ConfirmConversionAnswer, [ConfirmConversionArgs]>('confirm_conversion');
/**
 * Tells a payout on compliance hold that a decision was recorded (POST /v1/payouts/{id}/compliance/release|refuse writes
 * it under a key with the compliance scope). The workflow reads the decision from the database, never from the payload.
 */
export const complianceDecisionUpdate = defineUpdate<ComplianceDecisionAnswer, [ComplianceDecisionArgs]>('compliance_decision');

export interface ComplianceDecisionArgs {
  /** The decision's audit row (compliance_screenings.id): the workflow reads what was decided, by whom, from there. */
  decisionId: string;
}

export interface ComplianceDecisionAnswer {
  result: 'released' | 'refused';
  decidedBy: string;
}

export const approveSignal = defineSignal<[ApproveArgs]>('approve');
export const rejectSignal = defineSignal<[RejectArgs]>('reject');
export const cancelSignal = defineSignal<[CancelArgs]>('cancel');
export const resolveNonceConflictSignal = defineSignal<[ResolveNonceConflictArgs]>('resolve_nonce_conflict');
export const confirmConversionSignal = defineSignal<[ConfirmConversionArgs]>('confirm_conversion');

export const statusQuery = defineQuery<PayoutState>('status');

/** Why an action was refused: the ApplicationFailure type the API maps to a status code. */
export type RefusalCode =
  | 'invalid_payload'
  | 'own_payout'
  | 'already_approved'
  | 'not_awaiting_approval'
  | 'not_awaiting_conversion'
  | 'cancel_refused'
  | 'not_awaiting_resolution'
  | 'not_on_compliance_hold'
  | 'no_compliance_decision'
  | 'payout_terminal';
