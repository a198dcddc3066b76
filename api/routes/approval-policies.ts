/** /v1/approval-policies: versioned approval rules per account and program. */
import { Router } from 'express';
import { checkApprovalRules } from '../../domain/approval-policy';
import type { NetworkRegistry } from '../../domain/networks';
import type { Db } from '../../lib/db';
import { createPolicyVersion, policyView } from '../approval-policies';
import { validationError } from '../errors';
import { requireScope } from '../auth';
import { respondIdempotently } from '../idempotency';
import { zodFieldErrors } from '../payout-request';
import { caller } from '../request-context';
import { createApprovalPolicyBody, listApprovalPoliciesQuery } from '../schemas/approval-policies';

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
    const parsed = createApprovalPolicyBody.safeParse(req.body);
    if (!parsed.success) throw validationError(zodFieldErrors(parsed.error));
    const problems = checkApprovalRules(parsed.data.rules, decimalsOf);
    if (problems.length) throw validationError(problems.map(([field, message]) => ({ field, message })));
    await respondIdempotently(req, res, { db: deps.db, ttlMs: deps.idempotencyKeyTtlMs, log: deps.log }, async () => ({
      status: 201,
      body: policyView(await createPolicyVersion(deps.db, who.accountId, parsed.data.program ?? '', parsed.data.rules, who.actor)),
    }));
  });

  router.get('/v1/approval-policies', requireScope('payouts:read'), async (req, res) => {
    const who = caller(req);
    const parsed = listApprovalPoliciesQuery.safeParse(req.query);
    if (!parsed.success) throw validationError(zodFieldErrors(parsed.error));
    const rows = await deps.db.approvalPolicy.findMany({
      where: { accountId: who.accountId, ...(parsed.data.program !== undefined ? { program: parsed.data.program } : {}) },
      orderBy: [{ program: 'asc' }, { version: 'desc' }],
    });
    res.json({ object: 'list', data: rows.map(policyView) });
  });

  return router;
}
