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
import { createPayout, priceRequest, type CreatePayoutDeps } from './create';
import { ApiError, validationError } from '../http/errors';
import { requireScope } from '../http/auth';
import { afterTimeId, listPage, timeIdCursor } from '../http/cursor';
import { parseOr400 } from '../http/field-errors';
import { respondIdempotently } from '../http/idempotency';
import { validateCreatePayoutRequest } from './callback';
import { PAYOUT_FIELD_ERRORS } from './request';
import { payoutView } from './view';
import { listPayoutsQuery, payoutActionBody, resolveNonceConflictBody } from './schemas';
import { caller, type Caller } from '../http/request-context';
import { workflowActions } from '../http/workflow-actions';

export interface PayoutRoutesDeps extends CreatePayoutDeps {
  idempotencyKeyTtlMs: number;
  log: (message: string, error?: unknown) => void;
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
    const { status, limit, cursor } = parseOr400(listPayoutsQuery, req.query, PAYOUT_FIELD_ERRORS);
    const rows = await db.payout.findMany({
      where: { accountId: who.accountId, ...(status ? { status: { in: status } } : {}), ...afterTimeId('createdAt', cursor) },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
    });
    res.json(
      listPage(
        rows,
        limit,
        (payout) => payoutView(payout, registry),
        (payout) => timeIdCursor(payout.createdAt, payout.id),
      ),
    );
  });

  const reason = (req: Request): string | undefined => parseOr400(payoutActionBody, req.body ?? {}, PAYOUT_FIELD_ERRORS).reason;

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
  const requiredReason = (req: Request): string => parseOr400(resolveNonceConflictBody, req.body ?? {}, PAYOUT_FIELD_ERRORS).reason;
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
