/**
 * A payout's compliance: its audit log (every screening and decision), and the decision on a compliance hold. Only a
 * key with `compliance:manage` decides. The decision is written here, under that key's actor, before the workflow is
 * told: the workflow reads it from the database, so nothing else (a Temporal Update from the UI) can decide.
 */
import { Router, type Request } from 'express';
import type { Payout } from '../../generated/prisma/client';
import type { Db } from '../../lib/db';
import { recordAudit } from '../../lib/audit/audit-log';
import { isTerminal, type PayoutStatus } from '../../domain/statuses';
import { complianceDecisionUpdate } from '../../workflows/definitions';
import type { Client } from '@temporalio/client';
import { requireScope } from '../http/auth';
import { ApiError } from '../http/errors';
import { parseOr400, type FieldErrorOptions } from '../http/field-errors';
import { caller, type Caller } from '../http/request-context';
import { workflowActions } from '../http/workflow-actions';
import { complianceDecisionBody } from './schemas';
import { screeningView } from './view';

export interface ComplianceRoutesDeps {
  db: Db;
  temporal: Client;
  idempotencyKeyTtlMs: number;
  log: (message: string, error?: unknown) => void;
}

const FIELD_ERRORS: FieldErrorOptions = { allowed: ['reason'] };

export function complianceRoutes(deps: ComplianceRoutesDeps): Router {
  const { db } = deps;
  const router = Router();

  async function findPayout(req: Request, who: Caller): Promise<Payout> {
    const payout = await db.payout.findFirst({ where: { id: String(req.params.id), accountId: who.accountId } });
    if (!payout) throw new ApiError(404, 'not_found', 'payout_not_found', `no payout ${req.params.id} in account ${who.accountId}`);
    return payout;
  }

  router.get('/v1/payouts/:id/compliance', requireScope('payouts:read'), async (req, res) => {
    const payout = await findPayout(req, caller(req));
    const rows = await db.complianceScreening.findMany({ where: { payoutId: payout.id }, orderBy: { id: 'asc' } });
    res.json({ object: 'list', data: rows.map(screeningView) });
  });

  const reason = (req: Request): string => parseOr400(complianceDecisionBody, req.body ?? {}, FIELD_ERRORS).reason;
  const { update, action } = workflowActions<Payout>({
    router,
    temporal: deps.temporal,
    idempotency: { db, ttlMs: deps.idempotencyKeyTtlMs, log: deps.log },
    noun: 'payout',
    isTerminal: (status) => isTerminal(status as PayoutStatus),
    find: findPayout,
    reason,
  });

  for (const [path, outcome] of [
    ['release', 'released'],
    ['refuse', 'refused'],
  ] as const) {
    action(`/v1/payouts/:id/compliance/${path}`, 'compliance:manage', async (payout, who, why) => {
      if (!isTerminal(payout.status as PayoutStatus) && payout.attention !== 'compliance_hold') {
        throw new ApiError(409, 'conflict', 'not_on_compliance_hold', `payout is ${payout.status} and not on compliance hold`);
      }
      const decision = await db.complianceScreening.create({
        data: {
          accountId: payout.accountId,
          payoutId: payout.id,
          stage: 'decision',
          network: payout.network,
          asset: payout.asset,
          address: payout.destination.toLowerCase(),
          outcome,
          actor: who.actor,
          reason: why!,
        },
        select: { id: true },
      });
      try {
        const answer = await update(payout, complianceDecisionUpdate, { decisionId: decision.id.toString() });
        // Logged once the workflow took it: the log is append-only, and a refused decision decided nothing.
        await recordAudit(db, {
          accountId: payout.accountId,
          actor: who.actor,
          action: `compliance.${outcome}`,
          subject: { type: 'payout', id: payout.id },
          before: { attention: payout.attention, status: payout.status },
          after: { decision: outcome, decision_id: decision.id.toString(), result: answer.result },
          reason: why!,
          requestId: who.requestId ?? null,
        });
        return { result: answer.result, decided_by: answer.decidedBy };
      } catch (error) {
        // Refused by the workflow (not on hold any more, already decided): the row decided nothing.
        await db.complianceScreening.delete({ where: { id: decision.id } }).catch(() => undefined);
        throw error;
      }
    });
  }

  return router;
}
