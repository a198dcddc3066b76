/** A mass-payout item as an export row, and rows as RFC 4180 CSV (the payouts export's escaping). */
import type { MassPayoutItemStatus } from '../../domain/mass-payout';
import { divide, formatAmount } from '../../domain/money';
import type { NetworkRegistry } from '../../domain/networks';
import type { MassPayout } from '../../generated/prisma/client';
import { MASS_PAYOUT_ITEM_EXPORT_COLUMNS, type MassPayoutItemExportRow } from './schemas';
import { csvField } from './payout-rows';

export interface ItemExportSource {
  seq: number;
  address: string;
  /** Base units, integer string. */
  amount: string;
  reference: string | null;
  memo: string | null;
  status: string;
  failure_code: string | null;
  failure_reason: string | null;
  tx_hash: string | null;
  delivery_id: string | null;
  updated_at: Date;
}

/** What an item row needs of its delivery: how it was sent, when it settled, and its gas to share among its items. */
export interface DeliveryShare {
  mode: 'batch' | 'single';
  settledAt: Date | null;
  /** Wei; null until the chain decided the delivery (or if it never reached the chain). */
  networkFee: bigint | null;
  /** Items that name this delivery, and the lowest of their seqs (it carries the rounding remainder). */
  items: number;
  firstSeq: number;
}

/**
 * An item's share of its delivery's fee, rounded down; the delivery's lowest seq also takes the remainder
 * (less than one wei per item), so a delivery's shares sum exactly to the fee the receipt charged.
 */
export function feeShare(fee: bigint, delivery: Pick<DeliveryShare, 'items' | 'firstSeq'>, seq: number): bigint {
  const share = divide(fee, BigInt(delivery.items), 'down');
  return seq === delivery.firstSeq ? fee - share * BigInt(delivery.items - 1) : share;
}

export function massPayoutItemExportRow(
  item: ItemExportSource,
  mass: MassPayout,
  delivery: DeliveryShare | undefined,
  registry: NetworkRegistry,
): MassPayoutItemExportRow {
  const decimals = registry.findAsset(mass.network, mass.asset)?.decimals ?? 0;
  const feeUnit = registry.feeUnit(mass.network);
  const units = BigInt(item.amount);
  const fee = delivery?.networkFee ?? null;
  return {
    batch_id: mass.id,
    batch_external_id: mass.externalId,
    seq: item.seq,
    reference: item.reference,
    memo: item.memo,
    address: item.address,
    amount: formatAmount(units, decimals),
    amount_units: units.toString(),
    asset: mass.asset,
    network: mass.network,
    status: item.status as MassPayoutItemStatus,
    failure_code: item.failure_code,
    failure_reason: item.failure_reason,
    tx_hash: item.tx_hash,
    delivery_id: item.delivery_id,
    delivery_mode: delivery?.mode ?? null,
    network_fee: fee === null || !delivery ? null : formatAmount(feeShare(fee, delivery, item.seq), feeUnit.decimals),
    network_fee_asset: feeUnit.symbol,
    purpose: mass.purpose,
    created_by: mass.createdBy,
    approved_by: mass.approvedBy.join(';'),
    created_at: mass.createdAt.toISOString(),
    status_changed_at: item.updated_at.toISOString(),
    settled_at: delivery?.settledAt?.toISOString() ?? null,
  };
}

export const massPayoutItemCsvHeader = () => `${MASS_PAYOUT_ITEM_EXPORT_COLUMNS.join(',')}\r\n`;

export const massPayoutItemCsvLine = (row: MassPayoutItemExportRow) =>
  `${MASS_PAYOUT_ITEM_EXPORT_COLUMNS.map((column) => csvField(row[column])).join(',')}\r\n`;
