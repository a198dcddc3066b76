/**
 * The ledger's invariants, checked against PostgreSQL and the chain:
 * 1. every journal entry balances (its postings sum to zero);
 * 2. every account's balance equals the sum of its postings;
 * 3. for every treasury wallet and asset, the ledger's view (treasury + reserved + fees +
 *    conversion) equals the on-chain balance, once payouts in flight are settled: money a
 *    broadcast transaction moved is only posted when the payout ends, so while payouts are in
 *    `processing` a difference is reported as in flight, not as a violation.
 */
import type { Address } from 'viem';
import { IN_WALLET_KINDS } from '../../domain/ledger';
import type { NetworkRegistry } from '../../domain/networks';
import { onChainBalance, type ChainClients } from '../chain';
import type { Db } from '../db';

export interface WalletCheck {
  network: string;
  wallet: string;
  asset: string;
  ledger: bigint;
  onChain: bigint;
  /** ledger - onChain */
  difference: bigint;
  /** Payouts from this wallet whose transaction may have moved money not yet posted. */
  payoutsInFlight: number;
  ok: boolean;
}

export interface LedgerCheck {
  entries: number;
  unbalancedEntries: { entryId: string; sum: bigint }[];
  accountMismatches: { accountId: string; balance: bigint; sumOfPostings: bigint }[];
  wallets: WalletCheck[];
  ok: boolean;
}

export async function checkLedger(db: Db, chains: ChainClients, registry: NetworkRegistry): Promise<LedgerCheck> {
  const counted = await db.$queryRaw<{ entries: bigint }[]>`SELECT COUNT(*) AS entries FROM journal_entries`;
  const unbalanced = await db.$queryRaw<{ entry_id: string; sum: string }[]>`
    SELECT e.id AS entry_id, COALESCE(SUM(p.amount), 0)::text AS sum
    FROM journal_entries e LEFT JOIN postings p ON p.entry_id = e.id
    GROUP BY e.id HAVING COALESCE(SUM(p.amount), 0) <> 0 OR COUNT(p.id) < 2`;
  const mismatched = await db.$queryRaw<{ account_id: string; balance: string; sum: string }[]>`
    SELECT a.id AS account_id, a.balance::text AS balance, COALESCE(SUM(p.amount), 0)::text AS sum
    FROM ledger_accounts a LEFT JOIN postings p ON p.account_id = a.id
    GROUP BY a.id, a.balance HAVING a.balance <> COALESCE(SUM(p.amount), 0)`;
  const views = await db.$queryRaw<{ owner: string; network: string; asset: string; total: string }[]>`
    SELECT owner, network, asset, SUM(balance)::text AS total FROM ledger_accounts
    WHERE kind = ANY(${[...IN_WALLET_KINDS]})
    GROUP BY owner, network, asset ORDER BY network, owner, asset`;

  const wallets: WalletCheck[] = [];
  for (const view of views) {
    const asset = registry.findAsset(view.network, view.asset);
    if (!asset) continue; // an asset no longer configured cannot be read on chain
    const onChain = await onChainBalance(chains, view.network, asset, view.owner as Address);
    // Signed (so possibly mined) but not yet settled: only these can explain a difference.
    const [inFlight] = await db.$queryRaw<{ count: bigint }[]>`
      SELECT (SELECT COUNT(*) FROM fund_reservations r JOIN chain_transactions t ON t.payout_id = r.payout_id
              WHERE r.state = 'held' AND r.network = ${view.network} AND lower(r.wallet) = ${view.owner})
           + (SELECT COUNT(*) FROM mass_payout_deliveries d JOIN chain_transactions t ON t.payout_id = d.id
              WHERE d.state = 'signed' AND t.network = ${view.network} AND lower(t.from_address) = ${view.owner}) AS count`;
    const payoutsInFlight = Number(inFlight?.count ?? 0);
    const ledger = BigInt(view.total);
    const difference = ledger - onChain;
    wallets.push({
      network: view.network,
      wallet: view.owner,
      asset: view.asset,
      ledger,
      onChain,
      difference,
      payoutsInFlight,
      ok: difference === 0n || payoutsInFlight > 0,
    });
  }

  const unbalancedEntries = unbalanced.map((row) => ({ entryId: row.entry_id, sum: BigInt(row.sum) }));
  const accountMismatches = mismatched.map((row) => ({
    accountId: row.account_id,
    balance: BigInt(row.balance),
    sumOfPostings: BigInt(row.sum),
  }));
  return {
    entries: Number(counted[0]?.entries ?? 0),
    unbalancedEntries,
    accountMismatches,
    wallets,
    ok: unbalancedEntries.length === 0 && accountMismatches.length === 0 && wallets.every((wallet) => wallet.ok),
  };
}
