/** /v1/reconciliation as documented: one declaration per route in api/reconciliation/routes.ts. */
import {
  exceptionIdParams,
  exceptionListSchema,
  exceptionSchema,
  listExceptionsQuery,
  reconciliationStatusSchema,
  reconciliationWorkflowSchema,
  runIdParams,
  startRunBody,
  updateExceptionBody,
} from './schemas';
import { named, type Operation } from '../openapi/operation';

const Exception = named('ReconciliationException', exceptionSchema);
const Workflow = named('ReconciliationWorkflow', reconciliationWorkflowSchema);

export const reconciliationOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/reconciliation',
    operationId: 'getReconciliationStatus',
    summary: 'Reconciler status and lag',
    description:
      'Per network and treasury wallet: the chain head now, the last block reconciled, the lag in blocks and the seconds since ' +
      'the last run, and that run. The reconciler reads only blocks with the network’s confirmations, so a lag of ' +
      'confirmations - 1 blocks is caught up. Plus the counts of the exceptions this account can see.',
    tag: 'Reconciliation',
    scope: 'exports:read',
    responses: { 200: { description: 'The status.', body: named('ReconciliationStatus', reconciliationStatusSchema) } },
  },
  {
    method: 'post',
    path: '/v1/reconciliation/runs',
    operationId: 'startReconciliationRun',
    summary: 'Start a reconciliation run now',
    description:
      'Starts a reconciliation workflow (the same one the schedule starts every RECONCILE_INTERVAL_MS) over every network. ' +
      'It runs in the background: follow it with GET /v1/reconciliation/runs/{id}.',
    tag: 'Reconciliation',
    scope: 'reconciliation:manage',
    body: named('StartReconciliationRunRequest', startRunBody),
    optionalBody: true,
    responses: { 202: { description: 'Started.', body: Workflow } },
  },
  {
    method: 'get',
    path: '/v1/reconciliation/runs/:id',
    operationId: 'getReconciliationRun',
    summary: 'Retrieve a reconciliation run',
    description: 'The workflow’s status and, per network and wallet, the blocks it read and what it found.',
    tag: 'Reconciliation',
    scope: 'exports:read',
    params: runIdParams,
    responses: { 200: { description: 'The run.', body: Workflow } },
    codes: { 404: ['reconciliation_run_not_found'] },
  },
  {
    method: 'get',
    path: '/v1/reconciliation/exceptions',
    operationId: 'listReconciliationExceptions',
    summary: 'List reconciliation exceptions',
    description:
      'Mismatches between the chain, the payouts and the ledger, newest first, with cursor pagination. An account sees the ' +
      'exceptions about its own payouts and the platform-wide ones (transfers from the shared treasury that no payout explains).',
    tag: 'Reconciliation',
    scope: 'exports:read',
    query: listExceptionsQuery,
    responses: { 200: { description: 'One page.', body: named('ReconciliationExceptionList', exceptionListSchema) } },
  },
  {
    method: 'get',
    path: '/v1/reconciliation/exceptions/:id',
    operationId: 'getReconciliationException',
    summary: 'Retrieve a reconciliation exception',
    tag: 'Reconciliation',
    scope: 'exports:read',
    params: exceptionIdParams,
    responses: { 200: { description: 'The exception with its evidence and history.', body: Exception } },
    codes: { 404: ['reconciliation_exception_not_found'] },
  },
  {
    method: 'post',
    path: '/v1/reconciliation/exceptions/:id',
    operationId: 'updateReconciliationException',
    summary: 'Set an exception’s owner, state or note',
    description:
      'open -> investigating (needs an owner) -> resolved (needs a note); investigating -> open hands it back; resolved -> open ' +
      'reopens it (needs a note). Any other change of state is refused with 409 `invalid_state_transition`; a missing owner or ' +
      'note with 409 `owner_required` / `note_required`. Each change is kept in `history` under the key’s actor.',
    tag: 'Reconciliation',
    scope: 'reconciliation:manage',
    params: exceptionIdParams,
    body: named('UpdateReconciliationExceptionRequest', updateExceptionBody),
    responses: { 200: { description: 'The exception after the change.', body: Exception } },
    codes: { 404: ['reconciliation_exception_not_found'], 409: ['invalid_state_transition', 'owner_required', 'note_required'] },
  },
];
