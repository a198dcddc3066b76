/**
 * Posts what came into a treasury wallet, as the reconciler found it at final depth (lib/reconciliation/arrivals.ts):
 * one journal entry per arrival, with the arrival's deterministic id, so a re-scan, a second run or a raced step
 * never posts one twice. Funds a payout already saw in the balance (`unidentified`) are not credited again.
 */
import { depositEntry, type Arrival, type WalletAsset } from '../../domain/ledger';
import type { LowBalanceThreshold } from '../../domain/balance-alerts';
import type { Prisma } from '../../generated/prisma/client';
import { evaluateBalanceAlert } from './balance-alerts';
import { lockWalletAsset, postEntry } from './post';

type Tx = Prisma.TransactionClient;

/** Funds credited early and not identified yet: minus the `unidentified` account's balance. */
async function unidentifiedUnits(tx: Tx, at: WalletAsset): Promise<bigint> {
  const rows = await tx.$queryRaw<{ balance: string }[]>`
    SELECT balance::text AS balance FROM ledger_accounts
    WHERE kind = 'unidentified' AND owner = ${at.wallet.toLowerCase()} AND network = ${at.network} AND asset = ${at.asset}`;
  return -BigInt(rows[0]?.balance ?? '0');
}

/** Posts the arrivals inside the caller's transaction; returns how many were new. */
export async function postArrivals(
  tx: Tx,
  where: { network: string; wallet: string },
  arrivals: readonly Arrival[],
  thresholds: readonly LowBalanceThreshold[],
): Promise<number> {
  let posted = 0;
  // Assets in a fixed order: two transactions locking several of them cannot deadlock.
  for (const asset of [...new Set(arrivals.map((arrival) => arrival.asset))].sort()) {
    const at = { wallet: where.wallet.toLowerCase(), network: where.network, asset };
    await lockWalletAsset(tx, at);
    let unidentified = await unidentifiedUnits(tx, at);
    let postedHere = 0;
    const ofAsset = arrivals.filter((arrival) => arrival.asset === asset).sort((a, b) => (a.blockNumber < b.blockNumber ? -1 : 1));
    for (const arrival of ofAsset) {
      const entry = depositEntry(at, arrival, unidentified);
      if (!(await postEntry(tx, entry))) continue;
      postedHere += 1;
      unidentified -= entry.postings.find((posting) => posting.account.kind === 'unidentified')?.amount ?? 0n;
    }
    // A deposit can bring free funds back above a threshold: the alert re-arms.
    if (postedHere > 0) await evaluateBalanceAlert(tx, at, thresholds);
    posted += postedHere;
  }
  return posted;
}
