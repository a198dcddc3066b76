/**
 * /v1/reconciliation: the reconciler's status and lag per network and treasury wallet, runs on demand,
 * and the exceptions it found, which finance takes (owner, investigating) and resolves.
 * Reading needs exports:read (finance's scope); starting runs and working exceptions needs
 * reconciliation:manage.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { Router } from 'express';
import { newId } from '../../domain/ids';
import type { NetworkRegistry } from '../../domain/networks';
import { EXCEPTION_STATES, RECONCILIATION_WORKFLOW } from '../../domain/reconciliation';
import type { ChainClients } from '../../lib/chain';
import type { Db } from '../../lib/db';
import { changeException, visibleTo } from '../../lib/reconciliation/exceptions';
import type { ReconciliationSettings } from '../../lib/reconciliation/settings';
import { requireScope } from '../http/auth';
import { afterTimeId, listPage, timeIdCursor } from '../http/cursor';
import { ApiError } from '../http/errors';
import { parseJsonObject, parseOr400 } from '../http/field-errors';
import { respondIdempotently } from '../http/idempotency';
import { exceptionView, runView } from './views';
import { caller } from '../http/request-context';
import { listExceptionsQuery, startRunBody, updateExceptionBody, workflowStatuses } from './schemas';

export interface ReconciliationRoutesDeps {
  db: Db;
  temporal: Client;
  registry: NetworkRegistry;
  chains: ChainClients;
  taskQueue: string;
  reconciliation: ReconciliationSettings;
  idempotencyKeyTtlMs: number;
  log: (message: string, error?: unknown) => void;
}

const READ = requireScope('exports:read');
const MANAGE = requireScope('reconciliation:manage');
/** Workflow ids this API makes or the schedule makes; anything else cannot be a run. */
const WORKFLOW_ID = /^[A-Za-z0-9_.:@+-]{1,200}$/;

const statusName = (name: string | undefined): (typeof workflowStatuses)[number] => {
  const lower = (name ?? 'unknown').toLowerCase().replace('cancelled', 'canceled');
  return (workflowStatuses as readonly string[]).includes(lower) ? (lower as (typeof workflowStatuses)[number]) : 'unknown';
};

export function reconciliationRoutes(deps: ReconciliationRoutesDeps): Router {
  const { db } = deps;
  const router = Router();
  const idempotency = { db, ttlMs: deps.idempotencyKeyTtlMs, log: deps.log };

  async function chainHead(network: string): Promise<bigint | null> {
    if (!deps.registry.findNetwork(network)) return null;
    return deps.chains
      .client(network)
      .getBlockNumber()
      .catch(() => null);
  }

  router.get('/v1/reconciliation', READ, async (req, res) => {
    const who = caller(req);
    const cursors = await db.reconciliationCursor.findMany({ orderBy: [{ network: 'asc' }, { wallet: 'asc' }] });
    const networks = [...new Set(cursors.map((cursor) => cursor.network))];
    const heads = new Map(await Promise.all(networks.map(async (network) => [network, await chainHead(network)] as const)));
    const now = Date.now();
    const wallets = await Promise.all(
      cursors.map(async (cursor) => {
        const lastRun = await db.reconciliationRun.findFirst({
          where: { network: cursor.network, wallet: cursor.wallet },
          orderBy: [{ startedAt: 'desc' }, { id: 'desc' }],
        });
        const head = heads.get(cursor.network) ?? null;
        const scanned = cursor.lastScannedBlock;
        const lastRunAt = lastRun ? (lastRun.finishedAt ?? lastRun.startedAt) : null;
        return {
          network: cursor.network,
          wallet: cursor.wallet,
          chain_head: head?.toString() ?? null,
          last_scanned_block: scanned >= 0n ? scanned.toString() : null,
          lag_blocks: head === null ? null : Number(head - scanned),
          lag_blocks_at_last_run: cursor.headBlockAtLastRun === null ? null : Number(cursor.headBlockAtLastRun - scanned),
          last_run_at: lastRunAt?.toISOString() ?? null,
          seconds_since_last_run: lastRunAt ? Math.round((now - lastRunAt.getTime()) / 100) / 10 : null,
          last_run: lastRun ? runView(lastRun) : null,
        };
      }),
    );
    const counts = await db.reconciliationException.groupBy({ by: ['state'], where: visibleTo(who.accountId), _count: { _all: true } });
    const exceptions = Object.fromEntries(
      EXCEPTION_STATES.map((state) => [state, counts.find((c) => c.state === state)?._count._all ?? 0]),
    );
    res.json({ object: 'reconciliation_status', interval_ms: deps.reconciliation.intervalMs, wallets, exceptions });
  });

  async function workflowView(id: string) {
    if (!WORKFLOW_ID.test(id)) return null;
    let description;
    try {
      description = await deps.temporal.workflow.getHandle(id).describe();
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return null;
      throw error;
    }
    if (description.type !== RECONCILIATION_WORKFLOW) return null;
    const runs = await db.reconciliationRun.findMany({ where: { workflowId: id }, orderBy: [{ network: 'asc' }, { wallet: 'asc' }] });
    return {
      object: 'reconciliation_workflow' as const,
      id,
      status: statusName(description.status.name),
      started_at: description.startTime?.toISOString() ?? null,
      closed_at: description.closeTime?.toISOString() ?? null,
      runs: runs.map(runView),
    };
  }

  router.post('/v1/reconciliation/runs', MANAGE, async (req, res) => {
    const who = caller(req);
    parseJsonObject(startRunBody, req.body ?? {});
    await respondIdempotently(req, res, { ...idempotency, newResourceId: () => newId('rcn') }, async (workflowId) => {
      try {
        await deps.temporal.workflow.start(RECONCILIATION_WORKFLOW, {
          workflowId,
          taskQueue: deps.taskQueue,
          args: [{ trigger: 'manual', requestedBy: who.actor }],
          // The id is this request's: a retry that finishes a crashed first attempt must not run it twice.
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          staticSummary: `Reconciliation requested by ${who.actor} (account ${who.accountId})`,
        });
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      }
      return { status: 202, body: (await workflowView(workflowId))! };
    });
  });

  router.get('/v1/reconciliation/runs/:id', READ, async (req, res) => {
    const view = await workflowView(String(req.params.id));
    if (!view) throw new ApiError(404, 'not_found', 'reconciliation_run_not_found', `no reconciliation run ${req.params.id}`);
    res.json(view);
  });

  router.get('/v1/reconciliation/exceptions', READ, async (req, res) => {
    const who = caller(req);
    const query = parseOr400(listExceptionsQuery, req.query, { allowed: ['state', 'category', 'payout_id', 'limit', 'cursor'] });
    const rows = await db.reconciliationException.findMany({
      where: {
        AND: [
          visibleTo(who.accountId),
          query.state ? { state: { in: query.state } } : {},
          query.category ? { category: { in: query.category } } : {},
          query.payout_id ? { payoutId: query.payout_id } : {},
          afterTimeId('openedAt', query.cursor),
        ],
      },
      orderBy: [{ openedAt: 'desc' }, { id: 'desc' }],
      take: query.limit + 1,
    });
    res.json(listPage(rows, query.limit, exceptionView, (row) => timeIdCursor(row.openedAt, row.id)));
  });

  const notFound = (id: string) =>
    new ApiError(404, 'not_found', 'reconciliation_exception_not_found', `no reconciliation exception ${id}`);

  router.get('/v1/reconciliation/exceptions/:id', READ, async (req, res) => {
    const who = caller(req);
    const id = String(req.params.id);
    const row = await db.reconciliationException.findFirst({ where: { AND: [{ id }, visibleTo(who.accountId)] } });
    if (!row) throw notFound(id);
    res.json(exceptionView(row));
  });

  router.post('/v1/reconciliation/exceptions/:id', MANAGE, async (req, res) => {
    const who = caller(req);
    const id = String(req.params.id);
    const body = parseJsonObject(updateExceptionBody, req.body, { allowed: ['state', 'owner', 'note'] });
    await respondIdempotently(req, res, idempotency, async () => {
      const result = await changeException(db, who.accountId, id, { ...body, actor: who.actor });
      if (result.ok) return { status: 200, body: exceptionView(result.exception) };
      if (result.code === 'not_found') throw notFound(id);
      const field = result.code === 'owner_required' ? 'owner' : result.code === 'note_required' ? 'note' : 'state';
      const code = result.code === 'invalid_transition' ? 'invalid_state_transition' : result.code;
      throw new ApiError(409, 'conflict', code, `exception ${id} is ${result.state}: ${result.message}`, [
        { field, message: result.message },
      ]);
    });
  });

  return router;
}
