/**
 * /v1/mass-payouts: create (JSON items, a multipart CSV upload or a text/csv body; idempotent), read with counts
 * per item status, list, page through items, and the actions approve, reject, cancel (the workflow's Updates).
 */
import { Router, type Request } from 'express';
import { newId } from '../../domain/ids';
import { isMassPayoutTerminal, type MassPayoutStatus } from '../../domain/mass-payout';
import type { MassPayout } from '../../generated/prisma/client';
import { massApproveUpdate, massCancelUpdate, massRejectUpdate } from '../../workflows/mass-payout-definitions';
import { requireScope } from '../http/auth';
import { createMassPayout, type CreateMassPayoutDeps } from './create';
import { decodeCursor, encodeCursor, afterTimeId, listPage, timeIdCursor } from '../http/cursor';
import { ApiError } from '../http/errors';
import { parseOr400, type FieldErrorOptions } from '../http/field-errors';
import { respondIdempotently } from '../http/idempotency';
import { readMassPayoutBody } from './body';
import { validateMassPayoutRequest } from './request';
import { listedAddresses } from '../../lib/compliance/sanctions-list';
import { massPayoutDetail, massPayoutItemView, massPayoutView } from './view';
import { caller, type Caller } from '../http/request-context';
import { workflowActions } from '../http/workflow-actions';
import { payoutActionBody } from '../payouts/schemas';
import { listMassPayoutItemsQuery, listMassPayoutsQuery } from './schemas';

export interface MassPayoutRoutesDeps extends CreateMassPayoutDeps {
  idempotencyKeyTtlMs: number;
  log: (message: string, error?: unknown) => void;
}

export const MASS_PAYOUTS_PATH = '/v1/mass-payouts';

/**
 * POST /v1/mass-payouts reads its own body, up to MASS_PAYOUT_MAX_BODY_BYTES and after authentication: the app's
 * global 1 MB JSON parser must leave it alone. Matched as express matches routes (any case, optional trailing slash).
 */
export const readsOwnBody = (req: { method: string; path: string }): boolean =>
  req.method === 'POST' && /^\/v1\/mass-payouts\/?$/i.test(req.path);

const newMassPayoutId = () => newId('mp');

/** An unknown query parameter is named with the ones the list takes; zod's message otherwise, a missing one included. */
const queryErrors = (schema: { shape: object }): FieldErrorOptions => ({
  allowed: Object.keys(schema.shape),
  unknown: 'query parameter',
  sayRequired: false,
});

/** [seq] of the last item of a page: an int4. */
const isItemCursor = (value: unknown): value is [number] =>
  Array.isArray(value) && value.length === 1 && Number.isInteger(value[0]) && value[0] >= 0 && value[0] <= 2 ** 31 - 1;

export function massPayoutRoutes(deps: MassPayoutRoutesDeps): Router {
  const { db, temporal, registry } = deps;
  const router = Router();
  const idempotency = { db, ttlMs: deps.idempotencyKeyTtlMs, log: deps.log };

  async function findMassPayout(req: Request, who: Caller): Promise<MassPayout> {
    const row = await db.massPayout.findFirst({ where: { id: String(req.params.id), accountId: who.accountId } });
    if (!row) throw new ApiError(404, 'not_found', 'mass_payout_not_found', `no mass payout ${req.params.id} in account ${who.accountId}`);
    return row;
  }

  router.post(MASS_PAYOUTS_PATH, requireScope('mass_payouts:create'), async (req, res) => {
    const who = caller(req);
    const body = await readMassPayoutBody(req, res, deps.massPayouts.maxBodyBytes);
    // Rows are screened against the sanctions list at creation: a listed row is reported with the other bad rows.
    const listed = await listedAddresses(db);
    const request = validateMassPayoutRequest(body, req.query as Record<string, unknown>, {
      registry,
      maxItems: deps.massPayouts.maxItems,
      isRefused: (address) => {
        const source = listed.get(address.toLowerCase());
        return source ? `on the sanctions list (${source}); a payout to it would be held for compliance` : undefined;
      },
    });
    // The Idempotency-Key contract compares the request by its fields and a digest of its validated items.
    req.body = request.fingerprint;
    const key = req.header('Idempotency-Key')!;
    await respondIdempotently(req, res, { ...idempotency, newResourceId: newMassPayoutId }, (id) =>
      createMassPayout(deps, who, key, request, id),
    );
  });

  router.get('/v1/mass-payouts/:id', requireScope('payouts:read'), async (req, res) => {
    res.json(await massPayoutDetail(db, await findMassPayout(req, caller(req)), registry));
  });

  router.get(MASS_PAYOUTS_PATH, requireScope('payouts:read'), async (req, res) => {
    const who = caller(req);
    const { status, limit, cursor } = parseOr400(listMassPayoutsQuery, req.query, queryErrors(listMassPayoutsQuery));
    const rows = await db.massPayout.findMany({
      where: { accountId: who.accountId, ...(status ? { status: { in: status } } : {}), ...afterTimeId('createdAt', cursor) },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
    });
    res.json(
      listPage(
        rows,
        limit,
        (row) => massPayoutView(row, registry),
        (row) => timeIdCursor(row.createdAt, row.id),
      ),
    );
  });

  router.get('/v1/mass-payouts/:id/items', requireScope('payouts:read'), async (req, res) => {
    const who = caller(req);
    const { status, reference, limit, cursor } = parseOr400(listMassPayoutItemsQuery, req.query, queryErrors(listMassPayoutItemsQuery));
    const after = cursor ? decodeCursor(cursor, isItemCursor)[0] : undefined;
    const massPayout = await findMassPayout(req, who);
    // Keyset by seq: each page is one range scan of the primary key, or of (mass_payout_id, status, seq).
    const rows = await db.massPayoutItem.findMany({
      where: {
        massPayoutId: massPayout.id,
        ...(status ? { status: { in: status } } : {}),
        ...(reference !== undefined ? { reference } : {}),
        ...(after !== undefined ? { seq: { gt: after } } : {}),
      },
      orderBy: { seq: 'asc' },
      take: limit + 1,
    });
    const decimals = registry.findAsset(massPayout.network, massPayout.asset)?.decimals ?? 0;
    res.json(
      listPage(
        rows,
        limit,
        (item) => massPayoutItemView(item, decimals),
        (item) => encodeCursor([item.seq]),
      ),
    );
  });

  const reason = (req: Request): string | undefined =>
    parseOr400(payoutActionBody, req.body ?? {}, { allowed: ['reason'], sayRequired: false }).reason;

  const { update, action } = workflowActions<MassPayout>({
    router,
    temporal,
    idempotency,
    noun: 'mass payout',
    isTerminal: (status) => isMassPayoutTerminal(status as MassPayoutStatus),
    find: findMassPayout,
    reason,
  });

  action('/v1/mass-payouts/:id/approve', 'payouts:approve', async (row, who) => {
    const answer = await update(row, massApproveUpdate, { approver: who.actor });
    return { result: answer.result, approved_by: answer.approvedBy, remaining: 'remaining' in answer ? answer.remaining : 0 };
  });

  action('/v1/mass-payouts/:id/reject', 'payouts:approve', async (row, who, why) => {
    const answer = await update(row, massRejectUpdate, { approver: who.actor, reason: why });
    return { result: answer.result };
  });

  action('/v1/mass-payouts/:id/cancel', 'payouts:cancel', async (row, who, why) => {
    const answer = await update(row, massCancelUpdate, { requestedBy: who.actor, reason: why });
    return { result: answer.result, ...('chunksInFlight' in answer ? { chunks_in_flight: answer.chunksInFlight } : {}) };
  });

  return router;
}
