/**
 * The payout workflow's message types. Approve and cancel exist twice: as Updates for
 * the API (the caller gets a synchronous, specific answer) and as Signals for operators
 * in the Temporal Web UI, with a payload simple enough to type there: {"approver": "alice"}.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { PayoutState } from '../domain/payout';

export interface ApproveArgs {
  approver: string;
}

export interface CancelArgs {
  requestedBy: string;
  reason?: string;
}

export type ApproveAnswer =
  | { result: 'approved'; approvedBy: string[] }
  | { result: 'needs_more_approvals'; approvedBy: string[]; remaining: number };

export interface CancelAnswer {
  result: 'canceled';
}

export const approveUpdate = defineUpdate<ApproveAnswer, [ApproveArgs]>('approve');
export const cancelUpdate = defineUpdate<CancelAnswer, [CancelArgs]>('cancel');
export const approveSignal = defineSignal<[ApproveArgs]>('approve');
export const cancelSignal = defineSignal<[CancelArgs]>('cancel');
export const statusQuery = defineQuery<PayoutState>('status');
