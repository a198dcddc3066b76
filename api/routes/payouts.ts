/** /v1/payouts: create (idempotent), read, list, approve and cancel. */
import { WorkflowExecutionAlreadyStartedError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { approvalsRequiredFor } from '../../domain/approval';
import { approximateWholeUnits, formatAmount } from '../../domain/money';
import { newPayoutId } from '../../domain/ids';
import type { NetworkRegistry } from '../../domain/networks';
import { payoutWorkflowId, type PayoutWorkflowInput } from '../../domain/payout';
import { isTerminal, PAYOUT_STATUSES, type PayoutStatus } from '../../domain/statuses';
import { Prisma } from '../../generated/prisma/client';
import type { Payout } from '../../generated/prisma/client';
import type { Db } from '../../lib/db';
import { approveUpdate, cancelUpdate } from '../../workflows/definitions';
import type { payoutWorkflow } from '../../workflows/payout';
import { accountIdKey, assetKey, networkKey, payoutAmountKey, payoutStatusKey } from '../../workflows/search-attributes';
import { ApiError, validationError } from '../errors';
import { checkIdempotencyKey, runIdempotent, type StoredResponse } from '../idempotency';
import { validatePayoutRequest, zodFieldErrors, type ValidPayoutRequest } from '../payout-request';
import { payoutView } from '../payout-view';
import { caller, type Caller } from '../request-context';

export interface PayoutRoutesDeps {
  db: Db;
  temporal: Client;
  registry: NetworkRegistry;
  taskQueue: string;
  approvalTimeoutMs: number;
  idempotencyKeyTtlMs: number;
}

const listQuery = z.strictObject({
  status: z
    .string()
    .transform((value) => value.split(','))
    .pipe(z.array(z.enum(PAYOUT_STATUSES, { error: `status must be one of: ${PAYOUT_STATUSES.join(', ')}` })))
    .optional(),
  limit: z.coerce.number().int('limit must be an integer').min(1, 'limit must be at least 1').max(100, 'limit must be at most 100').default(25),
  cursor: z.string().optional(),
});

interface Cursor {
  createdAt: Date;
  id: string;
}

const encodeCursor = (payout: Payout) => Buffer.from(JSON.stringify([payout.createdAt.toISOString(), payout.id])).toString('base64url');

function decodeCursor(cursor: string): Cursor {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(createdAt);
    if (typeof id !== 'string' || Number.isNaN(date.getTime())) throw new Error('bad cursor');
    return { createdAt: date, id };
  } catch {
    throw validationError([{ field: 'cursor', message: 'cursor is not one this API returned; pass next_cursor from the previous page' }]);
  }
}

export function payoutRoutes(deps: PayoutRoutesDeps): Router {
  const { db, temporal, registry } = deps;
  const router = Router();

  async function findPayout(req: Request, who: Caller): Promise<Payout> {
    const payout = await db.payout.findFirst({ where: { id: String(req.params.id), accountId: who.accountId } });
    if (!payout) throw new ApiError(404, 'not_found', 'payout_not_found', `no payout ${req.params.id} in account ${who.accountId}`);
    return payout;
  }

  async function createPayout(who: Caller, key: string, request: ValidPayoutRequest, payoutId: string): Promise<StoredResponse> {
    const approvalsRequired = approvalsRequiredFor(request.amountUnits, request.asset);
    const initialStatus: PayoutStatus = approvalsRequired > 0 ? 'pending_approval' : 'in_progress';
    const workflowId = payoutWorkflowId(payoutId);
    let payout = await db.payout.findUnique({ where: { id: payoutId } });
    if (!payout) {
      try {
        payout = await db.payout.create({
          data: {
            id: payoutId,
            accountId: who.accountId,
            externalId: request.externalId ?? null,
            idempotencyKey: key,
            workflowId,
            amount: request.amountUnits.toString(),
            asset: request.asset.symbol,
            network: request.network,
            destination: request.destination,
            purpose: request.purpose,
            createdBy: who.actor,
            status: initialStatus,
            approvalsRequired,
          },
        });
      } catch (error) {
        if (!(error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') || !request.externalId) throw error;
        const existing = await db.payout.findFirst({ where: { accountId: who.accountId, externalId: request.externalId } });
        if (!existing) throw error;
        const conflict = new ApiError(409, 'conflict', 'external_id_taken', `external_id "${request.externalId}" is already used by payout ${existing.id}`, [
          { field: 'external_id', message: `already used by payout ${existing.id}` },
        ]);
        return { status: 409, body: conflict.body('') };
      }
    }
    const input: PayoutWorkflowInput = {
      payoutId,
      accountId: payout.accountId,
      amount: payout.amount.toFixed(),
      asset: payout.asset,
      assetDecimals: request.asset.decimals,
      network: payout.network,
      destination: payout.destination,
      purpose: payout.purpose,
      createdBy: payout.createdBy,
      externalId: payout.externalId ?? undefined,
      approvalsRequired: payout.approvalsRequired,
      approvalTimeoutMs: deps.approvalTimeoutMs,
    };
    const shown = `${formatAmount(request.amountUnits, request.asset.decimals)} ${payout.asset}`;
    try {
      await temporal.workflow.start<typeof payoutWorkflow>('payoutWorkflow', {
        workflowId,
        taskQueue: deps.taskQueue,
        args: [input],
        typedSearchAttributes: [
          { key: payoutStatusKey, value: initialStatus },
          { key: networkKey, value: payout.network },
          { key: assetKey, value: payout.asset },
          { key: accountIdKey, value: payout.accountId },
          { key: payoutAmountKey, value: approximateWholeUnits(request.amountUnits, request.asset.decimals) },
        ],
        staticSummary: `Payout ${shown} on ${payout.network} to ${payout.destination}`,
        staticDetails:
          `payout ${payoutId} · account ${payout.accountId} · created by ${payout.createdBy}` +
          (payout.externalId ? ` · external id ${payout.externalId}` : '') +
          ` · purpose: ${payout.purpose} · approvals required: ${approvalsRequired}`,
      });
    } catch (error) {
      // A retry that finishes a crashed first attempt finds the workflow already running: fine.
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
    return { status: 201, body: payoutView(payout, registry) };
  }

  router.post('/v1/payouts', async (req, res) => {
    const who = caller(req);
    const key = checkIdempotencyKey(req.header('Idempotency-Key'));
    const validated = validatePayoutRequest(req.body, registry);
    if (!validated.ok) throw validationError(validated.errors);
    const result = await runIdempotent(
      db,
      { accountId: who.accountId, key, method: 'POST', path: '/v1/payouts', body: req.body, ttlMs: deps.idempotencyKeyTtlMs, newResourceId: newPayoutId },
      (payoutId) => createPayout(who, key, validated.value, payoutId),
    );
    if (result.replayed) res.setHeader('Idempotent-Replayed', 'true');
    res.status(result.status).json(fillRequestId(result.body, String(res.getHeader('X-Request-Id'))));
  });

  router.get('/v1/payouts/:id', async (req, res) => {
    res.json(payoutView(await findPayout(req, caller(req)), registry));
  });

  router.get('/v1/payouts', async (req, res) => {
    const who = caller(req);
    const parsed = listQuery.safeParse(req.query);
    if (!parsed.success) throw validationError(zodFieldErrors(parsed.error));
    const { status, limit, cursor } = parsed.data;
    const after = cursor ? decodeCursor(cursor) : undefined;
    const rows = await db.payout.findMany({
      where: {
        accountId: who.accountId,
        ...(status ? { status: { in: status } } : {}),
        ...(after ? { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] } : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
    });
    const page = rows.slice(0, limit);
    const hasMore = rows.length > limit;
    res.json({
      object: 'list',
      data: page.map((payout) => payoutView(payout, registry)),
      has_more: hasMore,
      next_cursor: hasMore ? encodeCursor(page[page.length - 1]!) : null,
    });
  });

  /** Runs an Update and turns the workflow's refusals into specific 4xx answers. */
  async function update<T>(payout: Payout, run: () => Promise<T>): Promise<T> {
    if (isTerminal(payout.status as PayoutStatus)) {
      throw new ApiError(409, 'conflict', 'payout_terminal', `payout is already ${payout.status}; a finished payout never changes`);
    }
    try {
      return await run();
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError) {
        const cause = error.cause instanceof ApplicationFailure ? error.cause : undefined;
        const code = cause?.type ?? 'update_refused';
        throw new ApiError(code === 'own_payout' ? 403 : 409, 'conflict', code, cause?.message ?? error.message);
      }
      if (error instanceof WorkflowNotFoundError || (error instanceof Error && /already completed/i.test(error.message))) {
        throw new ApiError(409, 'conflict', 'payout_terminal', 'payout has already finished; a finished payout never changes');
      }
      throw error;
    }
  }

  router.post('/v1/payouts/:id/approve', async (req, res) => {
    const who = caller(req);
    const payout = await findPayout(req, who);
    const handle = temporal.workflow.getHandle(payout.workflowId);
    const answer = await update(payout, () => handle.executeUpdate(approveUpdate, { args: [{ approver: who.actor }] }));
    res.json({ result: answer.result, approved_by: answer.approvedBy, remaining: 'remaining' in answer ? answer.remaining : 0, payout_id: payout.id });
  });

  router.post('/v1/payouts/:id/cancel', async (req, res) => {
    const who = caller(req);
    const payout = await findPayout(req, who);
    const reason = typeof req.body?.reason === 'string' ? req.body.reason.slice(0, 200) : undefined;
    const handle = temporal.workflow.getHandle(payout.workflowId);
    const answer = await update(payout, () => handle.executeUpdate(cancelUpdate, { args: [{ requestedBy: who.actor, reason }] }));
    res.json({ result: answer.result, payout_id: payout.id });
  });

  return router;
}

/** Stored error bodies carry the request id of the request that made them; a replay shows its own. */
function fillRequestId(body: unknown, requestId: string): unknown {
  const error = (body as { error?: { request_id?: string } })?.error;
  if (error && typeof error === 'object') return { ...body as object, error: { ...error, request_id: requestId } };
  return body;
}
