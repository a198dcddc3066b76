/** /v1/mass-payouts as documented: one declaration per route in api/mass-payouts/routes.ts. */
import { payoutActionBody } from '../payouts/schemas';
import {
  createMassPayoutBody,
  createMassPayoutQuery,
  createMassPayoutUpload,
  listMassPayoutItemsQuery,
  listMassPayoutsQuery,
  massApproveAnswerSchema,
  massCancelAnswerSchema,
  massPayoutCsvBody,
  massPayoutDetailSchema,
  massPayoutIdParams,
  massPayoutItemListSchema,
  massPayoutListSchema,
  massRejectAnswerSchema,
} from './schemas';
import { named, type Operation } from '../openapi/operation';

const MassPayout = named('MassPayoutDetail', massPayoutDetailSchema);
// The same request as the payouts' actions: one name for one schema.
const ActionBody = named('PayoutActionRequest', payoutActionBody);

export const massPayoutOperations: Operation[] = [
  {
    method: 'post',
    path: '/v1/mass-payouts',
    operationId: 'createMassPayout',
    summary: 'Create a mass payout',
    description:
      'One asset and network, many recipients: JSON `items`, a CSV file in the multipart part `file`, or the CSV as a ' +
      '`text/csv` body with the other fields as query parameters (format: docs/mass-payout-csv.md). Every item is checked ' +
      'before anything is created; any bad item refuses the whole batch with 400 `invalid_request`, whose `fields` list every ' +
      'bad item (`items[3].amount`) or row (`field` = `file`, with `line`, `column` and `code`). More than ' +
      '`MASS_PAYOUT_MAX_ITEMS` items (default 100,000) or a body over `MASS_PAYOUT_MAX_BODY_BYTES` (default 64 MB) is 413. ' +
      'The same `external_id` within 30 days is 409 `external_id_taken`, naming the original. The total is judged under the ' +
      'account’s approval policy: the batch starts `pending_approval` (one approval for all items) or `in_progress`.',
    tag: 'Mass payouts',
    scope: 'mass_payouts:create',
    query: createMassPayoutQuery,
    body: named('CreateMassPayoutRequest', createMassPayoutBody),
    alternativeBodies: {
      'multipart/form-data': named('CreateMassPayoutUpload', createMassPayoutUpload),
      'text/csv': named('MassPayoutCsv', massPayoutCsvBody),
    },
    responses: { 201: { description: 'Created (or the replay of the first answer to this Idempotency-Key).', body: MassPayout } },
    codes: {
      400: ['malformed_multipart'],
      409: ['external_id_taken'],
      413: ['too_many_items'],
      415: ['unsupported_media_type'],
    },
  },
  {
    method: 'get',
    path: '/v1/mass-payouts/:id',
    operationId: 'getMassPayout',
    summary: 'Retrieve a mass payout',
    description: 'With its items counted per status (count and amount), the amount paid, transactions sent and gas paid.',
    tag: 'Mass payouts',
    scope: 'payouts:read',
    params: massPayoutIdParams,
    responses: { 200: { description: 'The mass payout.', body: MassPayout } },
    codes: { 404: ['mass_payout_not_found'] },
  },
  {
    method: 'get',
    path: '/v1/mass-payouts',
    operationId: 'listMassPayouts',
    summary: 'List mass payouts',
    description: 'Newest first, with cursor pagination; without the per-status counts (retrieve one for those).',
    tag: 'Mass payouts',
    scope: 'payouts:read',
    query: listMassPayoutsQuery,
    responses: { 200: { description: 'One page.', body: named('MassPayoutList', massPayoutListSchema) } },
  },
  {
    method: 'get',
    path: '/v1/mass-payouts/:id/items',
    operationId: 'listMassPayoutItems',
    summary: 'List the items of a mass payout',
    description: 'In request order (`seq`), with cursor pagination; filter by status or find one item by its reference.',
    tag: 'Mass payouts',
    scope: 'payouts:read',
    params: massPayoutIdParams,
    query: listMassPayoutItemsQuery,
    responses: { 200: { description: 'One page.', body: named('MassPayoutItemList', massPayoutItemListSchema) } },
    codes: { 404: ['mass_payout_not_found'] },
  },
  {
    method: 'post',
    path: '/v1/mass-payouts/:id/approve',
    operationId: 'approveMassPayout',
    summary: 'Approve a mass payout',
    description: 'One approval covers every item. The approver is the API key’s actor; the creator cannot approve (403 `own_payout`).',
    tag: 'Mass payouts',
    scope: 'payouts:approve',
    params: massPayoutIdParams,
    body: ActionBody,
    optionalBody: true,
    responses: { 200: { description: 'Recorded.', body: named('MassApproveAnswer', massApproveAnswerSchema) } },
    codes: {
      403: ['own_payout'],
      404: ['mass_payout_not_found'],
      409: ['mass_payout_terminal', 'payout_terminal', 'already_approved', 'not_awaiting_approval', 'update_refused'],
    },
  },
  {
    method: 'post',
    path: '/v1/mass-payouts/:id/reject',
    operationId: 'rejectMassPayout',
    summary: 'Reject a mass payout',
    tag: 'Mass payouts',
    scope: 'payouts:approve',
    params: massPayoutIdParams,
    body: ActionBody,
    optionalBody: true,
    responses: {
      200: { description: 'Rejected: nothing is sent.', body: named('MassRejectAnswer', massRejectAnswerSchema) },
    },
    codes: {
      403: ['own_payout'],
      404: ['mass_payout_not_found'],
      409: ['mass_payout_terminal', 'not_awaiting_approval', 'update_refused'],
    },
  },
  {
    method: 'post',
    path: '/v1/mass-payouts/:id/cancel',
    operationId: 'cancelMassPayout',
    summary: 'Cancel a mass payout',
    description: 'Before delivery nothing is sent; during delivery, running chunks finish what they signed and the rest is canceled.',
    tag: 'Mass payouts',
    scope: 'payouts:cancel',
    params: massPayoutIdParams,
    body: ActionBody,
    optionalBody: true,
    responses: { 200: { description: 'Canceled or cancellation requested.', body: named('MassCancelAnswer', massCancelAnswerSchema) } },
    codes: { 404: ['mass_payout_not_found'], 409: ['mass_payout_terminal', 'payout_terminal', 'cancel_refused', 'update_refused'] },
  },
];
