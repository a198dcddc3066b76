/** /v1/payouts: create (idempotent), read, list, and the actions approve, reject, cancel, confirm-conversion. */
import { Router, type Request } from 'express';
import { newPayoutId } from '../../domain/ids';
import { isTerminal, type PayoutStatus } from '../../domain/statuses';
import type { Payout } from '../../generated/prisma/client';
import {
  approveUpdate,
  cancelUpdate,
  confirmConversionUpdate,
  rejectUpdate,
  resolveNonceConflictUpdate,
} from '../../workflows/definitions';
import { createPayout, priceRequest, type CreatePayoutDeps } from '../create-payout';
import { ApiError, validationError } from '../errors';
import { requireScope } from '../auth';
import { respondIdempotently } from '../idempotency';
import { validateCreatePayoutRequest } from '../payout-callback';
import { zodFieldErrors } from '../payout-request';
import { payoutView } from '../payout-view';
import { listPayoutsQuery, payoutActionBody, resolveNonceConflictBody } from '../schemas/payouts';
import { caller, type Caller } from '../request-context';
import { workflowActions } from '../workflow-actions';

export interface PayoutRoutesDeps extends CreatePayoutDeps {
  idempotencyKeyTtlMs: number;
  log: (message: string, error?: unknown) => void;
}

const encodeCursor = (payout: Payout) => Buffer.from(JSON.stringify([payout.createdAt.toISOString(), payout.id])).toString('base64url');

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(createdAt);
    // Never issued, and PostgreSQL fails on a NUL in the id or a date before 4713 BC: a 500 instead of this 400.
    const year = date.getUTCFullYear();
    if (typeof id !== 'string' || id.includes('\0') || Number.isNaN(year) || year < 1 || year > 9999) throw new Error('bad cursor');
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

  const idempotency = { db, ttlMs: deps.idempotencyKeyTtlMs, log: deps.log };

  router.post('/v1/payouts', requireScope('payouts:create'), async (req, res) => {
    const who = caller(req);
    const validated = await validateCreatePayoutRequest(req.body, who.accountId, deps);
    if (!validated.ok) throw validationError(validated.errors);
    const quote = await priceRequest(deps.rates, validated.value, deps.conversion);
    const key = req.header('Idempotency-Key')!;
    await respondIdempotently(req, res, { ...idempotency, newResourceId: newPayoutId }, (payoutId) =>
      createPayout(deps, who, key, validated.value, quote, payoutId),
    );
  });

  router.get('/v1/payouts/:id', requireScope('payouts:read'), async (req, res) => {
    res.json(payoutView(await findPayout(req, caller(req)), registry));
  });

  router.get('/v1/payouts', requireScope('payouts:read'), async (req, res) => {
    const who = caller(req);
    const parsed = listPayoutsQuery.safeParse(req.query);
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

  function reason(req: Request): string | undefined {
    const parsed = payoutActionBody.safeParse(req.body ?? {});
    if (!parsed.success) throw validationError(zodFieldErrors(parsed.error));
    return parsed.data.reason;
  }

  const { update, action } = workflowActions<Payout>({
    router,
    temporal,
    idempotency,
    noun: 'payout',
    isTerminal: (status) => isTerminal(status as PayoutStatus),
    find: findPayout,
    reason,
  });

  action('/v1/payouts/:id/approve', 'payouts:approve', async (payout, who) => {
    const answer = await update(payout, approveUpdate, { approver: who.actor });
    return { result: answer.result, approved_by: answer.approvedBy, remaining: 'remaining' in answer ? answer.remaining : 0 };
  });

  action('/v1/payouts/:id/reject', 'payouts:approve', async (payout, who, why) => {
    const answer = await update(payout, rejectUpdate, { approver: who.actor, reason: why });
    return { result: answer.result };
  });

  action('/v1/payouts/:id/cancel', 'payouts:cancel', async (payout, who, why) => {
    const answer = await update(payout, cancelUpdate, { requestedBy: who.actor, reason: why });
    return { result: answer.result, ...('replacementTxHash' in answer ? { replacement_tx_hash: answer.replacementTxHash } : {}) };
  });

  // Its reason is required: what the wallet showed.
  const requiredReason = (req: Request): string => {
    const parsed = resolveNonceConflictBody.safeParse(req.body ?? {});
    if (!parsed.success) throw validationError(zodFieldErrors(parsed.error));
    return parsed.data.reason;
  };
  action(
    '/v1/payouts/:id/resolve-nonce-conflict',
    'payouts:approve',
    async (payout, who, why) => {
      const answer = await update(payout, resolveNonceConflictUpdate, { resolvedBy: who.actor, reason: why! });
      return { result: answer.result };
    },
    requiredReason,
  );

  action('/v1/payouts/:id/confirm-conversion', 'payouts:approve', async (payout, who) => {
    const answer = await update(payout, confirmConversionUpdate, { confirmedBy: who.actor });
    return { result: answer.result };
  });

  return router;
}
