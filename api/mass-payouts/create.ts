/**
 * Creating a mass payout: judge its total under the account's approval policy, write the batch row and every item
 * in one database transaction, then start its workflow. Safe to run twice for one id (a retry finishing a crashed
 * first attempt): the rows are reused and the start is deduplicated.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { approvalsRequiredBy } from '../../domain/approval-policy';
import {
  massPayoutWorkflowId,
  type MassPayoutItemStatus,
  type MassPayoutStatus,
  type MassPayoutWorkflowInput,
} from '../../domain/mass-payout';
import type { MassPayoutItem } from '../../domain/mass-payout-items';
import { approximateWholeUnits, formatAmount } from '../../domain/money';
import type { NetworkRegistry } from '../../domain/networks';
import type { MassPayout } from '../../generated/prisma/client';
import type { MassPayoutSettings } from '../../lib/config';
import type { Db } from '../../lib/db';
import {
  accountIdKey,
  assetKey,
  batchIdKey,
  networkKey,
  payoutAmountKey,
  payoutStatusKey,
  statusChangedAtKey,
} from '../../workflows/search-attributes';
import { currentPolicy } from '../approval-policies/policies';
import { ApiError } from '../http/errors';
import type { StoredResponse } from '../http/idempotency';
import type { ValidMassPayoutRequest } from './request';
import { massPayoutDetail } from './view';
import type { Caller } from '../http/request-context';

export interface CreateMassPayoutDeps {
  db: Db;
  temporal: Client;
  registry: NetworkRegistry;
  taskQueue: string;
  approvalTimeoutMs: number;
  fundingTimeoutMs: number;
  fundingRetryMs: number;
  historyLimit: number;
  massPayouts: MassPayoutSettings;
}

/** The same external_id within this window is refused and points at the original. */
export const EXTERNAL_ID_WINDOW_DAYS = 30;

/** Rows per INSERT: 10,000 items are 6 arrays of 10,000, well inside one statement's parameters and memory. */
const INSERT_SLICE = 10_000;

/** 100,000 items take seconds to insert; Prisma's default of 5 s for an interactive transaction is too short. */
const TRANSACTION_TIMEOUT_MS = 300_000;

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

export async function createMassPayout(
  deps: CreateMassPayoutDeps,
  who: Caller,
  key: string,
  request: ValidMassPayoutRequest,
  massPayoutId: string,
): Promise<StoredResponse> {
  const { db } = deps;
  let row = await db.massPayout.findUnique({ where: { id: massPayoutId } });
  if (!row) {
    const policy = await currentPolicy(db, who.accountId, '');
    const approvalsRequired = approvalsRequiredBy(policy.rules, request.asset.symbol, request.asset.decimals, request.totalUnits);
    const status: MassPayoutStatus & MassPayoutItemStatus = approvalsRequired > 0 ? 'pending_approval' : 'in_progress';
    const created = await db.$transaction(
      async (tx) => {
        if (request.externalId !== undefined) {
          const original = await originalWithExternalId(tx, who.accountId, request.externalId);
          if (original) return { conflict: original };
        }
        const inserted = await tx.massPayout.create({
          data: {
            id: massPayoutId,
            accountId: who.accountId,
            externalId: request.externalId ?? null,
            idempotencyKey: key,
            workflowId: massPayoutWorkflowId(massPayoutId),
            network: request.network,
            asset: request.asset.symbol,
            purpose: request.purpose,
            createdBy: who.actor,
            source: request.source,
            status,
            itemCount: request.items.length,
            totalAmount: request.totalUnits.toString(),
            approvalsRequired,
          },
        });
        await insertItems(tx, massPayoutId, status, request.items);
        return { inserted };
      },
      { timeout: TRANSACTION_TIMEOUT_MS, maxWait: 30_000 },
    );
    if ('conflict' in created) {
      const original = created.conflict;
      const conflict = new ApiError(
        409,
        'conflict',
        'external_id_taken',
        `external_id "${request.externalId}" is already used by mass payout ${original} (created in the last ${EXTERNAL_ID_WINDOW_DAYS} days)`,
        [{ field: 'external_id', message: `already used by mass payout ${original}` }],
      );
      return { status: 409, body: conflict.body('') };
    }
    row = created.inserted;
  }
  await startMassPayoutWorkflow(deps, row);
  return { status: 201, body: await massPayoutDetail(db, row, deps.registry) };
}

/**
 * The mass payout of this account that used `externalId` in the window, if any. A transaction-scoped advisory lock
 * on (account, external_id) serializes concurrent creations with one external_id, so exactly one of them wins.
 */
async function originalWithExternalId(tx: Tx, accountId: string, externalId: string): Promise<string | undefined> {
  await tx.$queryRaw`SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtextextended(${`mass_payouts.external_id:${accountId}:${externalId}`}, 0))`;
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM mass_payouts
    WHERE account_id = ${accountId} AND external_id = ${externalId}
      AND created_at > now() - make_interval(days => ${EXTERNAL_ID_WINDOW_DAYS}::int)
    ORDER BY created_at DESC
    LIMIT 1`;
  return rows[0]?.id;
}

/**
 * A PostgreSQL array literal: every value quoted (backslash and quote escaped), null as NULL. One text parameter per
 * column instead of a JS array of 10,000 parameters' worth: Prisma takes about twice as long to pass those.
 */
export function arrayLiteral(values: readonly (string | null)[]): string {
  return `{${values.map((value) => (value === null ? 'NULL' : `"${value.replace(/[\\"]/g, '\\$&')}"`)).join(',')}}`;
}

/** Every item, in slices of one INSERT ... SELECT FROM unnest(...) each: one round trip per 10,000 rows. */
async function insertItems(tx: Tx, massPayoutId: string, status: MassPayoutItemStatus, items: readonly MassPayoutItem[]): Promise<void> {
  for (let start = 0; start < items.length; start += INSERT_SLICE) {
    const slice = items.slice(start, start + INSERT_SLICE);
    const seqs = arrayLiteral(slice.map((item) => String(item.index)));
    const addresses = arrayLiteral(slice.map((item) => item.destination));
    // Base units as decimal integer strings: exact, no number ever holds an amount.
    const amounts = arrayLiteral(slice.map((item) => item.amountUnits.toString()));
    const references = arrayLiteral(slice.map((item) => item.reference ?? null));
    const memos = arrayLiteral(slice.map((item) => item.memo ?? null));
    await tx.$executeRaw`
      INSERT INTO mass_payout_items (mass_payout_id, seq, address, amount, reference, memo, status)
      SELECT ${massPayoutId}, seq, address, amount, reference, memo, ${status}
      FROM unnest(${seqs}::int[], ${addresses}::text[], ${amounts}::numeric[], ${references}::text[], ${memos}::text[])
        AS item(seq, address, amount, reference, memo)`;
  }
}

/** Starts the mass payout's workflow from its row; an already running one is fine (a retry). */
export async function startMassPayoutWorkflow(deps: CreateMassPayoutDeps, row: MassPayout): Promise<void> {
  const asset = deps.registry.asset(row.network, row.asset);
  const totalUnits = BigInt(row.totalAmount.toFixed());
  const total = `${formatAmount(totalUnits, asset.decimals)} ${row.asset}`;
  const input: MassPayoutWorkflowInput = {
    massPayoutId: row.id,
    accountId: row.accountId,
    network: row.network,
    asset: row.asset,
    assetDecimals: asset.decimals,
    itemCount: row.itemCount,
    totalAmount: totalUnits.toString(),
    createdBy: row.createdBy,
    ...(row.externalId === null ? {} : { externalId: row.externalId }),
    approvalsRequired: row.approvalsRequired,
    approvalTimeoutMs: deps.approvalTimeoutMs,
    fundingTimeoutMs: deps.fundingTimeoutMs,
    fundingRetryMs: deps.fundingRetryMs,
    historyLimit: deps.historyLimit,
    chunkConcurrency: deps.massPayouts.chunkConcurrency,
  };
  try {
    // By name: the workflow lives in the worker's bundle, the API only needs its input type.
    await deps.temporal.workflow.start('massPayoutWorkflow', {
      workflowId: row.workflowId,
      taskQueue: deps.taskQueue,
      args: [input],
      typedSearchAttributes: [
        { key: payoutStatusKey, value: row.status },
        { key: statusChangedAtKey, value: row.createdAt },
        { key: networkKey, value: row.network },
        { key: assetKey, value: row.asset },
        { key: accountIdKey, value: row.accountId },
        { key: batchIdKey, value: row.id },
        { key: payoutAmountKey, value: approximateWholeUnits(totalUnits, asset.decimals) },
      ],
      staticSummary: `Mass payout of ${row.itemCount.toLocaleString('en-US')} items, ${total} on ${row.network}`,
      staticDetails: [
        `mass payout ${row.id} · account ${row.accountId} · from ${row.source === 'csv' ? 'a CSV file' : 'JSON items'}`,
        `created by ${row.createdBy}${row.externalId ? ` · external id ${row.externalId}` : ''}`,
        `purpose: ${row.purpose}`,
        `approvals required: ${row.approvalsRequired}`,
      ].join('\n'),
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}
