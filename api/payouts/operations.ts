/** /v1/payouts as documented: one declaration per route in api/payouts/routes.ts. */
import {
  approveAnswerSchema,
  cancelAnswerSchema,
  confirmConversionAnswerSchema,
  createPayoutBody,
  listPayoutsQuery,
  payoutActionBody,
  payoutIdParams,
  payoutListSchema,
  payoutSchema,
  rejectAnswerSchema,
  resolveNonceConflictAnswerSchema,
  resolveNonceConflictBody,
} from './schemas';
import { named, type Operation } from '../openapi/operation';

const Payout = named('Payout', payoutSchema);
const ActionBody = named('PayoutActionRequest', payoutActionBody);

export const payoutOperations: Operation[] = [
  {
    method: 'post',
    path: '/v1/payouts',
    operationId: 'createPayout',
    summary: 'Create a payout',
    description:
      'Validates every field at once, prices a conversion when `currency` or `debit_asset` differ from `asset`, judges the payout ' +
      'under the current approval policy and starts its workflow. The initial status is `awaiting_conversion`, `pending_approval` ' +
      'or `in_progress`.',
    tag: 'Payouts',
    scope: 'payouts:create',
    body: named('CreatePayoutRequest', createPayoutBody),
    responses: { 201: { description: 'Created (or the replay of the first answer to this Idempotency-Key).', body: Payout } },
    codes: { 409: ['external_id_taken'] },
  },
  {
    method: 'get',
    path: '/v1/payouts/:id',
    operationId: 'getPayout',
    summary: 'Retrieve a payout',
    tag: 'Payouts',
    scope: 'payouts:read',
    params: payoutIdParams,
    responses: { 200: { description: 'The payout.', body: Payout } },
    codes: { 404: ['payout_not_found'] },
  },
  {
    method: 'get',
    path: '/v1/payouts',
    operationId: 'listPayouts',
    summary: 'List payouts',
    description: 'Newest first, with cursor pagination.',
    tag: 'Payouts',
    scope: 'payouts:read',
    query: listPayoutsQuery,
    responses: { 200: { description: 'One page.', body: named('PayoutList', payoutListSchema) } },
  },
  {
    method: 'post',
    path: '/v1/payouts/:id/approve',
    operationId: 'approvePayout',
    summary: 'Approve a payout',
    description: 'The approver is the API key’s actor; the creator cannot approve their own payout (403 `own_payout`).',
    tag: 'Payout actions',
    scope: 'payouts:approve',
    params: payoutIdParams,
    body: ActionBody,
    optionalBody: true,
    responses: { 200: { description: 'Recorded.', body: named('ApproveAnswer', approveAnswerSchema) } },
    codes: {
      403: ['own_payout'],
      404: ['payout_not_found'],
      409: ['payout_terminal', 'already_approved', 'not_awaiting_approval', 'update_refused'],
    },
  },
  {
    method: 'post',
    path: '/v1/payouts/:id/reject',
    operationId: 'rejectPayout',
    summary: 'Reject a payout',
    tag: 'Payout actions',
    scope: 'payouts:approve',
    params: payoutIdParams,
    body: ActionBody,
    optionalBody: true,
    responses: {
      200: { description: 'Rejected: the payout ends failed with code `rejected`.', body: named('RejectAnswer', rejectAnswerSchema) },
    },
    codes: { 403: ['own_payout'], 404: ['payout_not_found'], 409: ['payout_terminal', 'not_awaiting_approval', 'update_refused'] },
  },
  {
    method: 'post',
    path: '/v1/payouts/:id/cancel',
    operationId: 'cancelPayout',
    summary: 'Cancel a payout',
    description: 'Before signing it stops the payout; after broadcast it sends a same-nonce replacement that wins only if mined first.',
    tag: 'Payout actions',
    scope: 'payouts:cancel',
    params: payoutIdParams,
    body: ActionBody,
    optionalBody: true,
    responses: { 200: { description: 'Canceled or cancellation requested.', body: named('CancelAnswer', cancelAnswerSchema) } },
    codes: { 404: ['payout_not_found'], 409: ['payout_terminal', 'cancel_refused', 'update_refused'] },
  },
  {
    method: 'post',
    path: '/v1/payouts/:id/resolve-nonce-conflict',
    operationId: 'resolveNonceConflict',
    summary: 'Resolve a nonce conflict as not paid',
    description:
      'A payout whose nonce another transaction from the treasury used waits in `processing` with attention ' +
      '`nonce_conflict` and its funds held. After checking the wallet, a person other than the creator resolves it as ' +
      'not paid: the payout ends failed (`nonce_conflict`) and releases its funds. If one of its own transactions turns ' +
      'up at final depth first, the chain decides instead.',
    tag: 'Payout actions',
    scope: 'payouts:approve',
    params: payoutIdParams,
    body: named('ResolveNonceConflictRequest', resolveNonceConflictBody),
    responses: { 200: { description: 'Resolved.', body: named('ResolveNonceConflictAnswer', resolveNonceConflictAnswerSchema) } },
    codes: { 403: ['own_payout'], 404: ['payout_not_found'], 409: ['payout_terminal', 'not_awaiting_resolution', 'update_refused'] },
  },
  {
    method: 'post',
    path: '/v1/payouts/:id/confirm-conversion',
    operationId: 'confirmPayoutConversion',
    summary: 'Confirm a conversion quote',
    description: 'Accepts the locked quote of a payout in `awaiting_conversion` before `quote_expires_at`.',
    tag: 'Payout actions',
    scope: 'payouts:approve',
    params: payoutIdParams,
    body: ActionBody,
    optionalBody: true,
    responses: { 200: { description: 'Confirmed.', body: named('ConfirmConversionAnswer', confirmConversionAnswerSchema) } },
    codes: { 404: ['payout_not_found'], 409: ['payout_terminal', 'not_awaiting_conversion', 'update_refused'] },
  },
];
