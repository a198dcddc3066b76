/**
 * Writes journal entries. Posting is idempotent: the entry id is the key, and an entry that
 * already exists is skipped whole (postings and balance updates happen only with the insert).
 */
import { accountCode, assertBalanced, IN_WALLET_KINDS, type JournalEntry, type WalletAsset } from '../../domain/ledger';
import type { Prisma } from '../../generated/prisma/client';
import { keyedTurns } from '../keyed-turns';

type Tx = Prisma.TransactionClient;

export interface PostContext {
  workflowRunId?: string;
}

/** Posts `entry` inside the caller's transaction; true when it was new. */
export async function postEntry(tx: Tx, entry: JournalEntry, context: PostContext = {}): Promise<boolean> {
  assertBalanced(entry);
  const inserted = await tx.$executeRaw`
    INSERT INTO journal_entries (id, kind, network, asset, payout_id, workflow_run_id, tx_hash, memo)
    VALUES (${entry.id}, ${entry.kind}, ${entry.network}, ${entry.asset}, ${entry.payoutId ?? null},
            ${context.workflowRunId ?? null}, ${entry.txHash ?? null}, ${entry.memo})
    ON CONFLICT (id) DO NOTHING`;
  if (inserted === 0) return false;
  // Accounts in a fixed order, so two entries touching the same accounts cannot deadlock.
  const postings = [...entry.postings].sort((a, b) => accountCode(a.account).localeCompare(accountCode(b.account)));
  for (const posting of postings) {
    const id = accountCode(posting.account);
    const amount = posting.amount.toString();
    await tx.$executeRaw`
      INSERT INTO ledger_accounts (id, kind, owner, network, asset, balance)
      VALUES (${id}, ${posting.account.kind}, ${posting.account.owner}, ${posting.account.network}, ${posting.account.asset}, ${amount}::numeric)
      ON CONFLICT (id) DO UPDATE SET balance = ledger_accounts.balance + ${amount}::numeric, updated_at = now()`;
    await tx.$executeRaw`INSERT INTO postings (entry_id, account_id, amount) VALUES (${entry.id}, ${id}, ${amount}::numeric)`;
  }
  return true;
}

/**
 * Serializes everything that reads and then moves one wallet's funds in one asset (reservations, funds seen in
 * the balance, deposits found by the reconciler) until the caller's transaction ends.
 */
export async function lockWalletAsset(tx: Tx, at: WalletAsset): Promise<void> {
  await tx.$queryRaw`SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtext(${walletAssetKey(at)}))`;
}

const walletAssetKey = (at: WalletAsset) => `funds:${at.network}:${at.wallet.toLowerCase()}:${at.asset}`;
// Two per key: one in the lock and one already in its transaction, so the lock passes on without a round trip.
const walletAssetTurns = keyedTurns(2);

/**
 * Runs `open` (which opens the transaction that takes `lockWalletAsset` for `ats`) once it is this process's turn for
 * them. The advisory lock serializes those transactions anyway; waiting here holds no database connection, waiting on
 * the lock holds one. In the chaos run a thousand payouts reserving at once held the whole pool on the lock, and every
 * other write (status records, the wallet owner's) timed out waiting for a connection.
 */
export function inWalletAssetTurn<T>(ats: readonly WalletAsset[], open: () => Promise<T>): Promise<T> {
  return walletAssetTurns.run(ats.map(walletAssetKey), open);
}

/** Sum of the in-wallet accounts (treasury + reserved + fees + conversion) for one wallet and asset. */
export async function walletView(tx: Tx, wallet: string, network: string, asset: string): Promise<bigint> {
  const rows = await tx.$queryRaw<{ total: string | null }[]>`
    SELECT SUM(balance)::text AS total FROM ledger_accounts
    WHERE owner = ${wallet.toLowerCase()} AND network = ${network} AND asset = ${asset}
      AND kind = ANY(${[...IN_WALLET_KINDS]})`;
  return BigInt(rows[0]?.total ?? '0');
}
