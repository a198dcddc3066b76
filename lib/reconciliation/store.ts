/**
 * The reconciler's database side: its cursor per (network, wallet), its runs, and each step's commit,
 * which opens the step's exceptions (deduplicated), writes their outbox events, advances the cursor
 * and counts the work on the run, all in one transaction. The cursor is compared before it moves, so
 * two runs racing on one wallet cannot both commit the same step.
 */
import { newId } from '../../domain/ids';
import { MASS_PAYOUT_TERMINAL_STATUSES, massReservationKey } from '../../domain/mass-payout';
import { TERMINAL_STATUSES } from '../../domain/statuses';
import type { LowBalanceThreshold } from '../../domain/balance-alerts';
import type { Arrival } from '../../domain/ledger';
import { Prisma } from '../../generated/prisma/client';
import { postArrivals } from '../ledger/deposits';
import type { Db } from '../db';
import { dedupeKey, type Finding, type KnownAttempt } from './types';

/** A keyset position: (timestamp, id) of the last row checked. */
export type Position = { at: Date; id: string } | null;

export interface CursorState {
  network: string;
  /** Lowercase. */
  wallet: string;
  lastScannedBlock: bigint;
  /** (updated_at, id) of the last changed payout checked; null before any. */
  payoutsChecked: Position;
  /** (settled_at, id) of the last settled mass-payout delivery checked. */
  deliveriesChecked: Position;
  /** (status_changed_at, id) of the last finished mass payout checked. */
  massPayoutsChecked: Position;
}

const position = (at: Date | null, id: string | null): Position => (at && id !== null ? { at, id } : null);

const cursorOf = (row: {
  network: string;
  wallet: string;
  lastScannedBlock: bigint;
  payoutsCheckedAt: Date | null;
  payoutsCheckedId: string | null;
  deliveriesCheckedAt: Date | null;
  deliveriesCheckedId: string | null;
  massPayoutsCheckedAt: Date | null;
  massPayoutsCheckedId: string | null;
}): CursorState => ({
  network: row.network,
  wallet: row.wallet,
  lastScannedBlock: row.lastScannedBlock,
  payoutsChecked: position(row.payoutsCheckedAt, row.payoutsCheckedId),
  deliveriesChecked: position(row.deliveriesCheckedAt, row.deliveriesCheckedId),
  massPayoutsChecked: position(row.massPayoutsCheckedAt, row.massPayoutsCheckedId),
});

/** The wallet's cursor, created at `startBlock - 1` the first time. */
export async function ensureCursor(db: Db, network: string, wallet: string, startBlock: bigint): Promise<CursorState> {
  const row = await db.reconciliationCursor.upsert({
    where: { network_wallet: { network, wallet } },
    create: { network, wallet, lastScannedBlock: startBlock - 1n },
    update: {},
  });
  return cursorOf(row);
}

export async function readCursor(db: Db, network: string, wallet: string): Promise<CursorState> {
  return cursorOf(await db.reconciliationCursor.findUniqueOrThrow({ where: { network_wallet: { network, wallet } } }));
}

export interface RunIdentity {
  workflowId: string;
  network: string;
  wallet: string;
  trigger: 'schedule' | 'manual';
  requestedBy: string | null;
}

/** The run row of this workflow run and wallet: a retried or continued activity keeps adding to the same one. */
export async function startRun(db: Db, run: RunIdentity): Promise<string> {
  const row = await db.reconciliationRun.upsert({
    where: { workflowId_network_wallet: { workflowId: run.workflowId, network: run.network, wallet: run.wallet } },
    create: { id: newId('rxr'), ...run },
    update: { finishedAt: null },
  });
  return row.id;
}

export async function finishRun(db: Db, runId: string): Promise<void> {
  await db.reconciliationRun.update({ where: { id: runId }, data: { finishedAt: new Date() } });
}

/**
 * The engine's signed attempts among these hashes (lowercase), by hash. Every signed transaction, a payout's or
 * a mass-payout delivery's (its id owns the nonce: chunk, single item or token allowance), has its attempts in
 * transaction_attempts; the delivery table says which owners are deliveries.
 */
export async function knownAttempts(db: Db, hashes: readonly string[]): Promise<Map<string, KnownAttempt>> {
  if (hashes.length === 0) return new Map();
  const rows = await db.transactionAttempt.findMany({
    where: { txHash: { in: [...new Set(hashes)] } },
    select: { txHash: true, payoutId: true, kind: true },
  });
  const owners = [...new Set(rows.map((row) => row.payoutId))];
  const deliveries = new Set(
    owners.length === 0
      ? []
      : (await db.massPayoutDelivery.findMany({ where: { id: { in: owners } }, select: { id: true } })).map((row) => row.id),
  );
  return new Map(
    rows.map((row) => [
      row.txHash.toLowerCase(),
      { payoutId: row.payoutId, kind: row.kind as KnownAttempt['kind'], owner: deliveries.has(row.payoutId) ? 'delivery' : 'payout' },
    ]),
  );
}

/**
 * Finished payouts of this wallet changed after the cursor's position, oldest change first. A payout's
 * wallet is the one that signed its transaction, or (never signed) the one that reserved its funds.
 * Changes younger than `settleMs` wait: a write still in flight would otherwise land behind the cursor.
 */
export async function changedPayouts(
  db: Db,
  input: { network: string; wallet: string; after: Position; settleMs: number; limit: number },
): Promise<{ id: string; updatedAt: Date }[]> {
  const after = input.after ?? { at: new Date(0), id: '' };
  const rows = await db.$queryRaw<{ id: string; updated_at: Date }[]>`
    SELECT p.id, p.updated_at FROM payouts p
    LEFT JOIN chain_transactions ct ON ct.payout_id = p.id
    LEFT JOIN fund_reservations fr ON fr.payout_id = p.id
    WHERE p.network = ${input.network}
      AND p.status = ANY(${[...TERMINAL_STATUSES]}::text[])
      AND lower(COALESCE(ct.from_address, fr.wallet)) = ${input.wallet}
      AND p.updated_at < now() - (${input.settleMs}::float8 * interval '1 millisecond')
      AND (p.updated_at, p.id) > (${after.at}, ${after.id})
    ORDER BY p.updated_at, p.id
    LIMIT ${input.limit}`;
  return rows.map((row) => ({ id: row.id, updatedAt: row.updated_at }));
}

/**
 * Mass-payout deliveries of this wallet (the signer of their transaction) settled after the cursor's position,
 * oldest first: each is checked once against the chain, its items and the ledger. Younger than `settleMs` waits,
 * as for payouts.
 */
export async function settledDeliveries(
  db: Db,
  input: { network: string; wallet: string; after: Position; settleMs: number; limit: number },
): Promise<{ id: string; settledAt: Date }[]> {
  const after = input.after ?? { at: new Date(0), id: '' };
  const rows = await db.$queryRaw<{ id: string; settled_at: Date }[]>`
    SELECT d.id, d.settled_at FROM mass_payout_deliveries d
    JOIN mass_payouts m ON m.id = d.mass_payout_id
    JOIN chain_transactions ct ON ct.payout_id = d.id
    WHERE m.network = ${input.network}
      AND lower(ct.from_address) = ${input.wallet}
      AND d.settled_at IS NOT NULL
      AND d.settled_at < now() - (${input.settleMs}::float8 * interval '1 millisecond')
      AND (d.settled_at, d.id) > (${after.at}, ${after.id})
    ORDER BY d.settled_at, d.id
    LIMIT ${input.limit}`;
  return rows.map((row) => ({ id: row.id, settledAt: row.settled_at }));
}

/**
 * Mass payouts of this wallet (the one holding their reservation) that reached a final status after the cursor's
 * position, oldest first. A final status never changes again, so each is checked once.
 */
export async function finishedMassPayouts(
  db: Db,
  input: { network: string; wallet: string; after: Position; settleMs: number; limit: number },
): Promise<{ id: string; statusChangedAt: Date }[]> {
  const after = input.after ?? { at: new Date(0), id: '' };
  const rows = await db.$queryRaw<{ id: string; status_changed_at: Date }[]>`
    SELECT m.id, m.status_changed_at FROM mass_payouts m
    JOIN fund_reservations fr ON fr.payout_id = ${massReservationKey('')} || m.id -- the reservation key is 'mass:' || id
    WHERE m.network = ${input.network}
      AND lower(fr.wallet) = ${input.wallet}
      AND m.status = ANY(${[...MASS_PAYOUT_TERMINAL_STATUSES]}::text[])
      AND m.status_changed_at < now() - (${input.settleMs}::float8 * interval '1 millisecond')
      AND (m.status_changed_at, m.id) > (${after.at}, ${after.id})
    ORDER BY m.status_changed_at, m.id
    LIMIT ${input.limit}`;
  return rows.map((row) => ({ id: row.id, statusChangedAt: row.status_changed_at }));
}

export interface StepCommit {
  runId: string;
  /** The cursor the step started from: the commit is refused if another run moved it meanwhile. */
  from: CursorState;
  lastScannedBlock: bigint;
  payoutsChecked: Position;
  deliveriesChecked: Position;
  massPayoutsChecked: Position;
  head: bigint;
  /** Blocks scanned in this step, if any. */
  scanned: { from: bigint; to: bigint } | null;
  transactionsMatched: number;
  payoutsCheckedCount: number;
  /** Deliveries and mass payouts checked in this step. */
  deliveriesCheckedCount: number;
  findings: Finding[];
  /** What came into the wallet in the scanned blocks, posted to the ledger with the step. */
  arrivals: readonly Arrival[];
  lowBalanceThresholds: readonly LowBalanceThreshold[];
}

export type CommitResult = { raced: true } | { raced: false; opened: string[]; depositsPosted: number };

const samePosition = (a: Position, b: Position) =>
  (a?.at.getTime() ?? null) === (b?.at.getTime() ?? null) && (a?.id ?? null) === (b?.id ?? null);

const sameCursor = (a: CursorState, b: CursorState) =>
  a.lastScannedBlock === b.lastScannedBlock &&
  samePosition(a.payoutsChecked, b.payoutsChecked) &&
  samePosition(a.deliveriesChecked, b.deliveriesChecked) &&
  samePosition(a.massPayoutsChecked, b.massPayoutsChecked);

type Tx = Prisma.TransactionClient;

/** Inserts the exception unless its dedupe key exists (then only marks it seen again); returns its id when new. */
async function openException(tx: Tx, network: string, wallet: string, runId: string, finding: Finding): Promise<string | null> {
  const id = newId('rex');
  const rows = await tx.$queryRaw<{ id: string; opened_at: Date; inserted: boolean }[]>`
    INSERT INTO reconciliation_exceptions
      (id, dedupe_key, category, network, wallet, account_id, payout_id, tx_hash, summary, evidence, opened_by_run, last_seen_run)
    VALUES (${id}, ${dedupeKey(network, finding)}, ${finding.category}, ${network}, ${wallet}, ${finding.accountId}, ${finding.payoutId},
            ${finding.txHash}, ${finding.summary}, ${JSON.stringify(finding.evidence)}::jsonb, ${runId}, ${runId})
    ON CONFLICT (dedupe_key) DO UPDATE SET last_seen_at = now(), last_seen_run = EXCLUDED.last_seen_run
    RETURNING id, opened_at, (xmax = 0) AS inserted`;
  const row = rows[0]!;
  if (!row.inserted) return null;
  // Same transaction as the exception: the event exists exactly when the exception does.
  await tx.outboxEvent.create({
    data: {
      id: `evt_${row.id}`,
      accountId: finding.accountId,
      aggregateType: 'reconciliation_exception',
      aggregateId: row.id,
      eventType: 'reconciliation.exception',
      payload: {
        exception_id: row.id,
        category: finding.category,
        state: 'open',
        network,
        wallet,
        payout_id: finding.payoutId,
        tx_hash: finding.txHash,
        summary: finding.summary,
        evidence: finding.evidence as Prisma.InputJsonObject,
        opened_at: row.opened_at.toISOString(),
      },
    },
  });
  return row.id;
}

export async function commitStep(db: Db, step: StepCommit): Promise<CommitResult> {
  const { network, wallet } = step.from;
  return db.$transaction(
    async (tx) => {
      const locked = await tx.$queryRaw<
        {
          last_scanned_block: bigint;
          payouts_checked_at: Date | null;
          payouts_checked_id: string | null;
          deliveries_checked_at: Date | null;
          deliveries_checked_id: string | null;
          mass_payouts_checked_at: Date | null;
          mass_payouts_checked_id: string | null;
        }[]
      >`
        SELECT last_scanned_block, payouts_checked_at, payouts_checked_id, deliveries_checked_at, deliveries_checked_id,
               mass_payouts_checked_at, mass_payouts_checked_id
        FROM reconciliation_cursors
        WHERE network = ${network} AND wallet = ${wallet} FOR UPDATE`;
      const current = locked[0];
      if (
        !current ||
        !sameCursor(
          step.from,
          cursorOf({
            network,
            wallet,
            lastScannedBlock: current.last_scanned_block,
            payoutsCheckedAt: current.payouts_checked_at,
            payoutsCheckedId: current.payouts_checked_id,
            deliveriesCheckedAt: current.deliveries_checked_at,
            deliveriesCheckedId: current.deliveries_checked_id,
            massPayoutsCheckedAt: current.mass_payouts_checked_at,
            massPayoutsCheckedId: current.mass_payouts_checked_id,
          }),
        )
      ) {
        return { raced: true } as const;
      }
      const opened: string[] = [];
      for (const finding of step.findings) {
        const id = await openException(tx, network, wallet, step.runId, finding);
        if (id) opened.push(id);
      }
      const depositsPosted = await postArrivals(tx, { network, wallet }, step.arrivals, step.lowBalanceThresholds);
      await tx.reconciliationCursor.update({
        where: { network_wallet: { network, wallet } },
        data: {
          lastScannedBlock: step.lastScannedBlock,
          headBlockAtLastRun: step.head,
          payoutsCheckedAt: step.payoutsChecked?.at ?? null,
          payoutsCheckedId: step.payoutsChecked?.id ?? null,
          deliveriesCheckedAt: step.deliveriesChecked?.at ?? null,
          deliveriesCheckedId: step.deliveriesChecked?.id ?? null,
          massPayoutsCheckedAt: step.massPayoutsChecked?.at ?? null,
          massPayoutsCheckedId: step.massPayoutsChecked?.id ?? null,
        },
      });
      const run = await tx.reconciliationRun.findUniqueOrThrow({ where: { id: step.runId }, select: { fromBlock: true } });
      await tx.reconciliationRun.update({
        where: { id: step.runId },
        data: {
          ...(step.scanned ? { fromBlock: run.fromBlock ?? step.scanned.from, toBlock: step.scanned.to } : {}),
          headBlock: step.head,
          transactionsMatched: { increment: step.transactionsMatched },
          payoutsChecked: { increment: step.payoutsCheckedCount },
          deliveriesChecked: { increment: step.deliveriesCheckedCount },
          exceptionsOpened: { increment: opened.length },
        },
      });
      return { raced: false, opened, depositsPosted } as const;
    },
    { timeout: 30_000, maxWait: 30_000 },
  );
}
