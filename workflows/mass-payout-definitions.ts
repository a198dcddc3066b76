/**
 * The mass-payout workflow's messages: the same actions and payloads as a single payout
 * (workflows/definitions.ts), as Updates for the API and Signals for the Temporal Web UI, plus
 * a progress query. One approval covers the whole batch.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { MassPayoutProgress } from '../domain/mass-payout';
import type { ApproveAnswer, ApproveArgs, CancelArgs, RejectAnswer, RejectArgs } from './definitions';

/**
 * `canceled`: nothing was sent. `cancel_requested`: delivery had begun; chunks already running
 * finish what they signed, and every item not yet signed ends canceled.
 */
export type MassCancelAnswer = { result: 'canceled' } | { result: 'cancel_requested'; chunksInFlight: number };

export const massApproveUpdate = defineUpdate<ApproveAnswer, [ApproveArgs]>('approve');
export const massRejectUpdate = defineUpdate<RejectAnswer, [RejectArgs]>('reject');
export const massCancelUpdate = defineUpdate<MassCancelAnswer, [CancelArgs]>('cancel');

export const massApproveSignal = defineSignal<[ApproveArgs]>('approve');
export const massRejectSignal = defineSignal<[RejectArgs]>('reject');
export const massCancelSignal = defineSignal<[CancelArgs]>('cancel');

/** Parent to a running chunk: sign nothing more (what is signed is sent and confirmed). */
export const stopChunkSignal = defineSignal('stop');

export const massProgressQuery = defineQuery<MassPayoutProgress>('progress');
