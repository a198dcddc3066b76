/** /v1/approval-policies: versioned approval rules per account and program. */
import { Router } from 'express';
import { checkApprovalRules } from '../../domain/approval-policy';
import type { NetworkRegistry } from '../../domain/networks';
import type { Db } from '../../lib/db';
import { createPolicyVersion, policyView } from './policies';
import { validationError } from '../http/errors';
import { requireScope } from '../http/auth';
import { parseOr400 } from '../http/field-errors';
import { respondIdempotently } from '../http/idempotency';
import { PAYOUT_FIELD_ERRORS } from '../payouts/request';
import { caller } from '../http/request-context';
import { createApprovalPolicyBody, listApprovalPoliciesQuery } from './schemas';

export function approvalPolicyRoutes(deps: {
  db: Db;
  registry: NetworkRegistry;
  idempotencyKeyTtlMs: number;
  log: (message: string, error?: unknown) => void;
}): Router {
  const router = Router();
  const decimalsOf = (asset: string) =>
    deps.registry.networks.flatMap((network) => network.assets).find((a) => a.symbol === asset)?.decimals;

  router.post('/v1/approval-policies', requireScope('approval_policies:manage'), async (req, res) => {
    const who = caller(req);
    const body = parseOr400(createApprovalPolicyBody, req.body, PAYOUT_FIELD_ERRORS);
    const problems = checkApprovalRules(body.rules, decimalsOf);
    if (problems.length) throw validationError(problems.map(([field, message]) => ({ field, message })));
    await respondIdempotently(req, res, { db: deps.db, ttlMs: deps.idempotencyKeyTtlMs, log: deps.log }, async () => ({
      status: 201,
      body: policyView(await createPolicyVersion(deps.db, who.accountId, body.program ?? '', body.rules, who.actor, who.requestId)),
    }));
  });

  router.get('/v1/approval-policies', requireScope('payouts:read'), async (req, res) => {
    const who = caller(req);
    const query = parseOr400(listApprovalPoliciesQuery, req.query, PAYOUT_FIELD_ERRORS);
    const rows = await deps.db.approvalPolicy.findMany({
      where: { accountId: who.accountId, ...(query.program !== undefined ? { program: query.program } : {}) },
      orderBy: [{ program: 'asc' }, { version: 'desc' }],
    });
    res.json({ object: 'list', data: rows.map(policyView) });
  });

  return router;
}
