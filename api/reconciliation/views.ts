/** The JSON the reconciliation routes answer with (shapes in api/reconciliation/schemas.ts). */
import type { ReconciliationException, ReconciliationRun } from '../../generated/prisma/client';

const iso = (date: Date | null) => date?.toISOString() ?? null;
const blocks = (value: bigint | null) => value?.toString() ?? null;

export function runView(run: ReconciliationRun) {
  return {
    id: run.id,
    workflow_id: run.workflowId,
    network: run.network,
    wallet: run.wallet,
    trigger: run.trigger as 'schedule' | 'manual',
    requested_by: run.requestedBy,
    from_block: blocks(run.fromBlock),
    to_block: blocks(run.toBlock),
    head_block: blocks(run.headBlock),
    transactions_matched: run.transactionsMatched,
    payouts_checked: run.payoutsChecked,
    deliveries_checked: run.deliveriesChecked,
    exceptions_opened: run.exceptionsOpened,
    started_at: run.startedAt.toISOString(),
    finished_at: iso(run.finishedAt),
  };
}

export function exceptionView(row: ReconciliationException) {
  return {
    object: 'reconciliation_exception' as const,
    id: row.id,
    category: row.category,
    state: row.state,
    owner: row.owner,
    note: row.note,
    network: row.network,
    wallet: row.wallet,
    payout_id: row.payoutId,
    tx_hash: row.txHash,
    summary: row.summary,
    evidence: row.evidence as Record<string, unknown>,
    history: Array.isArray(row.history) ? row.history : [],
    opened_by_run: row.openedByRun,
    last_seen_run: row.lastSeenRun,
    last_seen_at: row.lastSeenAt.toISOString(),
    opened_at: row.openedAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    resolved_at: iso(row.resolvedAt),
  };
}
