/**
 * Actions on a resource run by a workflow (a payout, a mass payout): each is one of the
 * workflow's Updates, run under the Idempotency-Key contract, with the workflow's refusals
 * turned into specific 4xx answers. Shared by the payout and mass-payout routes.
 */
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError, type UpdateDefinition } from '@temporalio/common';
import type { Request, Router } from 'express';
import type { Scope } from '../../lib/api-keys';
import { requireScope } from './auth';
import { ApiError } from './errors';
import { respondIdempotently, type IdempotentRouteOptions } from './idempotency';
import { caller, type Caller } from './request-context';

/** Refusal types the workflows raise (workflows/definitions.ts RefusalCode) and their HTTP status; the rest are 409. */
const REFUSAL_STATUS: Record<string, number> = { invalid_payload: 400, own_payout: 403 };

export interface WorkflowResource {
  id: string;
  workflowId: string;
  status: string;
}

export function workflowActions<Row extends WorkflowResource>(options: {
  router: Router;
  temporal: Client;
  idempotency: IdempotentRouteOptions;
  /** "payout", "mass payout": in messages, and (snake_case) in the answer's id field and the terminal code. */
  noun: string;
  isTerminal: (status: string) => boolean;
  /** The resource in the caller's account, or a 404. */
  find: (req: Request, who: Caller) => Promise<Row>;
  /** The action body's optional reason, or a 400. */
  reason: (req: Request) => string | undefined;
}) {
  const name = options.noun.replaceAll(' ', '_');
  const terminal = (message: string) => new ApiError(409, 'conflict', `${name}_terminal`, message);

  /** Runs one of the workflow's Updates and turns its refusals into specific 4xx answers. */
  async function update<Ret, Arg>(row: Row, definition: UpdateDefinition<Ret, [Arg]>, arg: Arg): Promise<Ret> {
    if (options.isTerminal(row.status)) {
      throw terminal(`${options.noun} is already ${row.status}; a finished ${options.noun} never changes`);
    }
    try {
      return await options.temporal.workflow.getHandle(row.workflowId).executeUpdate(definition, { args: [arg] });
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError) {
        const cause = error.cause instanceof ApplicationFailure ? error.cause : undefined;
        const code = cause?.type ?? 'update_refused';
        throw new ApiError(
          REFUSAL_STATUS[code] ?? 409,
          code === 'invalid_payload' ? 'validation' : 'conflict',
          code,
          cause?.message ?? error.message,
        );
      }
      if (error instanceof WorkflowNotFoundError || (error instanceof Error && /already completed/i.test(error.message))) {
        throw terminal(`${options.noun} has already finished; a finished ${options.noun} never changes`);
      }
      throw error;
    }
  }

  /** An action on one resource: found in the caller's account, run under the idempotency contract. `reason`: its own body rule. */
  function action(
    path: string,
    scope: Scope,
    run: (row: Row, who: Caller, reason: string | undefined) => Promise<object>,
    reason: (req: Request) => string | undefined = options.reason,
  ) {
    options.router.post(path, requireScope(scope), async (req, res) => {
      const who = caller(req);
      const why = reason(req);
      await respondIdempotently(req, res, options.idempotency, async () => {
        const row = await options.find(req, who);
        return { status: 200, body: { [`${name}_id`]: row.id, ...(await run(row, who, why)) } };
      });
    });
  }

  return { update, action };
}
