/**
 * Gathers what mass-match.ts judges: for a page of settled deliveries, their rows, items, attempts, ledger entries
 * and mined transactions (read now, by hash: one receipt and one transaction per delivery, whatever its size);
 * for a page of finished mass payouts, the items no delivery accounts for and the ledger's totals, as aggregates.
 */
import type { PublicClient } from 'viem';
import { massReservationKey, type MassPayoutItemStatus, type MassPayoutStatus } from '../../domain/mass-payout';
import type { NetworkRegistry } from '../../domain/networks';
import { decimalToBigint, type Db } from '../db';
import { mapConcurrent } from './concurrency';
import { EVIDENCE_LIST, type DeliveryFacts, type MassPayoutFacts } from './mass-match';
import { minedCall } from './scan';
import type { MinedCall } from './types';

const RPC_CONCURRENCY = 4;

export interface MassFactsContext {
  db: Db;
  client: PublicClient;
  registry: NetworkRegistry;
  network: string;
  /** Lowercase. */
  wallet: string;
  safeHead: bigint;
}

const lower = (value: string | null) => (value === null ? null : value.toLowerCase());

/** The positive side of each entry (what it moved), base units, by entry id. */
async function entryAmounts(db: Db, ids: readonly string[]): Promise<Map<string, { amount: bigint; txHash: string | null }>> {
  if (ids.length === 0) return new Map();
  const rows = await db.$queryRaw<{ id: string; tx_hash: string | null; units: string | null }[]>`
    SELECT e.id, e.tx_hash, SUM(p.amount) FILTER (WHERE p.amount > 0)::text AS units
    FROM journal_entries e JOIN postings p ON p.entry_id = e.id
    WHERE e.id = ANY(${[...ids]}::text[])
    GROUP BY e.id, e.tx_hash`;
  return new Map(rows.map((row) => [row.id, { amount: BigInt(row.units ?? '0'), txHash: lower(row.tx_hash) }]));
}

export async function loadDeliveryFacts(context: MassFactsContext, deliveryIds: readonly string[]): Promise<DeliveryFacts[]> {
  if (deliveryIds.length === 0) return [];
  const { db } = context;
  const ids = [...deliveryIds];
  const [deliveries, attempts, items, entries] = await Promise.all([
    db.massPayoutDelivery.findMany({
      where: { id: { in: ids } },
      include: { massPayout: { select: { accountId: true, network: true, asset: true } } },
      orderBy: [{ settledAt: 'asc' }, { id: 'asc' }],
    }),
    db.transactionAttempt.findMany({ where: { payoutId: { in: ids } }, orderBy: [{ payoutId: 'asc' }, { attempt: 'asc' }] }),
    db.$queryRaw<{ delivery_id: string; seq: number; address: string; amount: string; status: string; tx_hash: string | null }[]>`
      SELECT delivery_id, seq, lower(address) AS address, amount::text AS amount, status, lower(tx_hash) AS tx_hash
      FROM mass_payout_items WHERE delivery_id = ANY(${ids}::text[])
      ORDER BY delivery_id, seq`,
    entryAmounts(
      db,
      ids.flatMap((id) => [`delivery:${id}:settle`, `delivery:${id}:gas`]),
    ),
  ]);

  // A paid delivery is judged on its mined transaction; an unpaid one also on whether any of its attempts was mined.
  const hashes = new Set<string>();
  for (const delivery of deliveries) {
    if (delivery.txHash) hashes.add(delivery.txHash.toLowerCase());
    if (delivery.state !== 'completed')
      for (const attempt of attempts) if (attempt.payoutId === delivery.id) hashes.add(attempt.txHash.toLowerCase());
  }
  const onChain = new Map<string, MinedCall>();
  const found = await mapConcurrent([...hashes], RPC_CONCURRENCY, (hash) => minedCall(context.client, hash, context.wallet));
  for (const tx of found) if (tx) onChain.set(tx.hash, tx);

  const itemsOf = new Map<string, DeliveryFacts['items']>();
  for (const row of items) {
    const list = itemsOf.get(row.delivery_id) ?? [];
    list.push({
      seq: row.seq,
      address: row.address,
      amount: BigInt(row.amount),
      status: row.status as MassPayoutItemStatus,
      txHash: row.tx_hash,
    });
    itemsOf.set(row.delivery_id, list);
  }
  const batchContract = context.registry.network(context.network).batchTransferAddress?.toLowerCase() ?? null;

  return deliveries.map((delivery) => {
    const own = attempts.filter((attempt) => attempt.payoutId === delivery.id).map((a) => ({ hash: a.txHash.toLowerCase(), kind: a.kind }));
    const asset = context.registry.findAsset(delivery.massPayout.network, delivery.massPayout.asset);
    const relevant = [...own.map((a) => a.hash), ...(delivery.txHash ? [delivery.txHash.toLowerCase()] : [])];
    return {
      delivery: {
        id: delivery.id,
        massPayoutId: delivery.massPayoutId,
        accountId: delivery.massPayout.accountId,
        mode: delivery.mode as DeliveryFacts['delivery']['mode'],
        state: delivery.state as DeliveryFacts['delivery']['state'],
        itemCount: delivery.itemCount,
        totalAmount: decimalToBigint(delivery.totalAmount)!,
        txHash: lower(delivery.txHash),
        networkFee: decimalToBigint(delivery.networkFee),
      },
      asset: delivery.massPayout.asset,
      token: asset?.kind === 'erc20' ? asset.contractAddress!.toLowerCase() : null,
      batchContract,
      wallet: context.wallet,
      attempts: own as DeliveryFacts['attempts'],
      chain: new Map(relevant.flatMap((hash) => (onChain.has(hash) ? [[hash, onChain.get(hash)!] as const] : []))),
      items: itemsOf.get(delivery.id) ?? [],
      ledger: { settle: entries.get(`delivery:${delivery.id}:settle`) ?? null, gas: entries.get(`delivery:${delivery.id}:gas`) ?? null },
      safeHead: context.safeHead,
    };
  });
}

export async function loadMassPayoutFacts(context: Pick<MassFactsContext, 'db' | 'wallet'>, massPayoutIds: readonly string[]) {
  if (massPayoutIds.length === 0) return [];
  const { db } = context;
  const ids = [...massPayoutIds];
  const [masses, orphans, ledger] = await Promise.all([
    db.massPayout.findMany({ where: { id: { in: ids } }, orderBy: [{ statusChangedAt: 'asc' }, { id: 'asc' }] }),
    // One pass over each batch's items: those completed or unfinished that no existing delivery accounts for, a few
    // of each kind with the full count.
    db.$queryRaw<
      { mass_payout_id: string; seq: number; address: string; amount: string; status: string; delivery_id: string | null; total: bigint }[]
    >`
      SELECT mass_payout_id, seq, address, amount, status, delivery_id, total FROM (
        SELECT i.mass_payout_id, i.seq, lower(i.address) AS address, i.amount::text AS amount, i.status, i.delivery_id,
               ROW_NUMBER() OVER (PARTITION BY i.mass_payout_id, i.status = 'completed' ORDER BY i.seq) AS n,
               COUNT(*) OVER (PARTITION BY i.mass_payout_id, i.status = 'completed') AS total
        FROM mass_payout_items i LEFT JOIN mass_payout_deliveries d ON d.id = i.delivery_id
        WHERE i.mass_payout_id = ANY(${ids}::text[]) AND d.id IS NULL
          AND i.status IN ('completed', 'pending_approval', 'in_progress', 'processing')
      ) found WHERE n <= ${EVIDENCE_LIST}
      ORDER BY mass_payout_id, seq`,
    db.$queryRaw<{ payout_id: string; id: string; kind: string; units: string | null }[]>`
      SELECT e.payout_id, e.id, e.kind, SUM(p.amount) FILTER (WHERE p.amount > 0)::text AS units
      FROM journal_entries e JOIN postings p ON p.entry_id = e.id
      WHERE e.payout_id = ANY(${ids}::text[]) AND e.kind IN ('reservation', 'settlement', 'release')
      GROUP BY e.payout_id, e.id, e.kind`,
  ]);

  return masses.map((mass): MassPayoutFacts => {
    const mine = orphans.filter((row) => row.mass_payout_id === mass.id);
    const completed = mine.filter((row) => row.status === 'completed');
    const unfinished = mine.filter((row) => row.status !== 'completed');
    const entries = ledger.filter((row) => row.payout_id === mass.id);
    const units = (id: string) => {
      const entry = entries.find((row) => row.id === id);
      return entry ? BigInt(entry.units ?? '0') : null;
    };
    const settles = entries.filter((row) => row.kind === 'settlement');
    return {
      mass: {
        id: mass.id,
        accountId: mass.accountId,
        status: mass.status as MassPayoutStatus,
        asset: mass.asset,
        totalAmount: decimalToBigint(mass.totalAmount)!,
      },
      wallet: context.wallet,
      completedWithoutDelivery: {
        count: Number(completed[0]?.total ?? 0n),
        sample: completed.map((row) => ({ seq: row.seq, address: row.address, amount: BigInt(row.amount), deliveryId: row.delivery_id })),
      },
      unfinishedWithoutDelivery: {
        count: Number(unfinished[0]?.total ?? 0n),
        sample: unfinished.map((row) => ({ seq: row.seq, status: row.status as MassPayoutItemStatus })),
      },
      ledger: {
        reserved: units(`${massReservationKey(mass.id)}:reserve`),
        settled: settles.reduce((sum, row) => sum + BigInt(row.units ?? '0'), 0n),
        settleEntries: settles.length,
        released: units(`${massReservationKey(mass.id)}:release`),
      },
    };
  });
}
