/** A mass payout and its items as the API shows them: amounts as decimal strings, snake_case fields. */
import { controlsView } from '../payouts/view';
import {
  MASS_PAYOUT_ITEM_STATUSES,
  MASS_PAYOUT_STATUS_DESCRIPTIONS,
  type MassPayoutItemStatus,
  type MassPayoutStatus,
} from '../../domain/mass-payout';
import { formatAmount } from '../../domain/money';
import type { NetworkRegistry } from '../../domain/networks';
import type { MassPayout, MassPayoutItem } from '../../generated/prisma/client';
import { decimalToBigint, type Db } from '../../lib/db';

/** What a person may try in each status (the workflow has the last word). */
const ACTIONS: Record<MassPayoutStatus, ('approve' | 'reject' | 'cancel')[]> = {
  pending_approval: ['approve', 'reject', 'cancel'],
  in_progress: ['cancel'],
  completed: [],
  partially_completed: [],
  failed: [],
  canceled: [],
  expired: [],
};

const decimalsOf = (registry: NetworkRegistry, network: string, asset: string) => registry.findAsset(network, asset)?.decimals ?? 0;

export function massPayoutView(row: MassPayout, registry: NetworkRegistry) {
  const totalUnits = decimalToBigint(row.totalAmount)!;
  const status = row.status as MassPayoutStatus;
  return {
    id: row.id,
    object: 'mass_payout' as const,
    account_id: row.accountId,
    external_id: row.externalId,
    network: row.network,
    asset: row.asset,
    purpose: row.purpose,
    source: row.source,
    status: row.status,
    status_description: MASS_PAYOUT_STATUS_DESCRIPTIONS[status] ?? row.status,
    status_changed_at: row.statusChangedAt.toISOString(),
    available_actions: ACTIONS[status] ?? [],
    item_count: row.itemCount,
    total_amount: formatAmount(totalUnits, decimalsOf(registry, row.network, row.asset)),
    total_amount_units: totalUnits.toString(),
    created_by: row.createdBy,
    approvals_required: row.approvalsRequired,
    approved_by: row.approvedBy,
    controls: controlsView(row.controls),
    delivery_mode: row.deliveryMode,
    chunk_count: row.chunkCount,
    attention: row.attention ? { code: row.attention, type: 'action_required' as const } : null,
    failure: row.failureCode ? { code: row.failureCode, reason: row.failureReason } : null,
    workflow_id: row.workflowId,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    completed_at: row.completedAt?.toISOString() ?? null,
  };
}

export interface MassPayoutTotals {
  /** Items and base units per item status. */
  byStatus: { status: string; count: number; units: bigint }[];
  transactions: number;
  /** Wei. */
  networkFeeUnits: bigint;
}

/** The view with its items counted per status (one GROUP BY on the (mass_payout_id, status, seq) index) and its gas. */
export function massPayoutDetailView(row: MassPayout, registry: NetworkRegistry, totals: MassPayoutTotals) {
  const decimals = decimalsOf(registry, row.network, row.asset);
  const counts = Object.fromEntries(MASS_PAYOUT_ITEM_STATUSES.map((status) => [status, { count: 0, amount: '0' }])) as Record<
    MassPayoutItemStatus,
    { count: number; amount: string }
  >;
  let paidUnits = 0n;
  for (const { status, count, units } of totals.byStatus) {
    counts[status as MassPayoutItemStatus] = { count, amount: formatAmount(units, decimals) };
    if (status === 'completed') paidUnits = units;
  }
  return {
    ...massPayoutView(row, registry),
    counts,
    paid_amount: formatAmount(paidUnits, decimals),
    transactions: totals.transactions,
    network_fee_total: formatAmount(totals.networkFeeUnits, registry.feeUnit(row.network).decimals),
    network_fee_asset: registry.feeUnit(row.network).symbol,
  };
}

export async function massPayoutTotals(db: Db, massPayoutId: string): Promise<MassPayoutTotals> {
  const [byStatus, deliveries] = await Promise.all([
    db.$queryRaw<{ status: string; count: number; units: string }[]>`
      SELECT status, count(*)::int AS count, sum(amount)::text AS units
      FROM mass_payout_items WHERE mass_payout_id = ${massPayoutId}
      GROUP BY status`,
    db.$queryRaw<{ transactions: number; fee: string }[]>`
      SELECT count(*) FILTER (WHERE tx_hash IS NOT NULL)::int AS transactions, coalesce(sum(network_fee), 0)::text AS fee
      FROM mass_payout_deliveries WHERE mass_payout_id = ${massPayoutId}`,
  ]);
  return {
    byStatus: byStatus.map((row) => ({ status: row.status, count: row.count, units: BigInt(row.units) })),
    transactions: deliveries[0]?.transactions ?? 0,
    networkFeeUnits: BigInt(deliveries[0]?.fee ?? '0'),
  };
}

export async function massPayoutDetail(db: Db, row: MassPayout, registry: NetworkRegistry) {
  return massPayoutDetailView(row, registry, await massPayoutTotals(db, row.id));
}

export function massPayoutItemView(item: MassPayoutItem, decimals: number) {
  const units = decimalToBigint(item.amount)!;
  return {
    seq: item.seq,
    address: item.address,
    amount: formatAmount(units, decimals),
    amount_units: units.toString(),
    reference: item.reference,
    memo: item.memo,
    status: item.status,
    tx_hash: item.txHash,
    delivery_id: item.deliveryId,
    chunk_index: item.chunkIndex,
    failure: item.failureCode ? { code: item.failureCode, reason: item.failureReason } : null,
    updated_at: item.updatedAt.toISOString(),
  };
}
