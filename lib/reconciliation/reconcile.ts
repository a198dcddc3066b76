/**
 * One reconciliation of one treasury wallet on one network, in steps. Each step reads the next block
 * range up to the safe head (the network's confirmations), matches what the wallet did there to the
 * engine's attempts, checks the payouts seen there, the next page of finished payouts that changed, of
 * mass-payout deliveries that settled and of mass payouts that finished, and commits all of it at once
 * (store.ts). Deliveries and mass payouts are checked once each, in keyset order: a 100,000-item batch
 * is read once, not on every run. A crash loses at most the step in flight; a long backlog
 * is worked off range by range, and the call returns when caught up or when its time budget is spent.
 */
import { getAddress, type Address } from 'viem';
import type { LowBalanceThreshold } from '../../domain/balance-alerts';
import type { Arrival } from '../../domain/ledger';
import { nativeAssetOf, type NetworkRegistry } from '../../domain/networks';
import type { RunTrigger } from '../../domain/reconciliation';
import { finalBlock, type ChainClients } from '../chain';
import type { Db } from '../db';
import { loadPayoutFacts } from './facts';
import { loadDeliveryFacts, loadMassPayoutFacts } from './mass-facts';
import { checkDelivery, checkMassPayout } from './mass-match';
import { checkPayout, matchChainActivity, type ChainActivityResult } from './match';
import { scanArrivals } from './arrivals';
import { scanWalletRange } from './scan';
import type { ReconciliationSettings } from './settings';
import {
  changedPayouts,
  commitStep,
  ensureCursor,
  finishedMassPayouts,
  finishRun,
  knownAttempts,
  readCursor,
  settledDeliveries,
  startRun,
  type Position,
} from './store';
import type { Finding } from './types';

/** Changed payouts checked per step: each costs a few chain reads. */
const PAYOUT_PAGE = 200;
/** Settled deliveries checked per step: each is two chain reads and up to a chunk of items (~500 rows). */
const DELIVERY_PAGE = 50;
/** Finished mass payouts checked per step: each is one pass over its items in SQL. */
const MASS_PAYOUT_PAGE = 20;
/** Exception ids carried in the summary (it goes into workflow history, which must stay small). */
const MAX_LISTED = 100;

export interface ReconcileDeps {
  db: Db;
  registry: NetworkRegistry;
  chains: ChainClients;
  settings: ReconciliationSettings;
  /** Deposits can bring free funds back above these: the balance.low alert re-arms. */
  lowBalanceThresholds?: readonly LowBalanceThreshold[];
  /** Called after every committed step (the activity heartbeats). */
  progress?: (detail: { lastScannedBlock: string; head: string }) => void;
}

export interface ReconcileRequest {
  network: string;
  wallet: string;
  workflowId: string;
  trigger: RunTrigger;
  requestedBy: string | null;
}

/** What one call did; block numbers as strings (it crosses into workflow history). */
export interface WalletRunSummary {
  runId: string;
  network: string;
  wallet: string;
  fromBlock: string | null;
  toBlock: string | null;
  lastScannedBlock: string;
  head: string;
  lagBlocks: number;
  transactionsMatched: number;
  payoutsChecked: number;
  /** Settled mass-payout deliveries and finished mass payouts checked. */
  deliveriesChecked: number;
  /** Deposits (and balance changes no transaction explains) posted to the ledger. */
  depositsPosted: number;
  exceptionsOpened: number;
  /** The first MAX_LISTED ids (all of them are in reconciliation_exceptions with this run's id). */
  openedExceptionIds: string[];
  caughtUp: boolean;
}

const NOTHING_SCANNED: ChainActivityResult = { matched: 0, payoutIds: [], findings: [] };

/** The keyset position after the rows checked in order, stopping before the first deferred one (seen again next step). */
function advance<T>(start: Position, rows: readonly T[], deferred: ReadonlySet<string>, key: (row: T) => { at: Date; id: string }) {
  let position = start;
  for (const row of rows) {
    const at = key(row);
    if (deferred.has(at.id)) return { position, stalled: true };
    position = at;
  }
  return { position, stalled: false };
}

export async function reconcileWallet(deps: ReconcileDeps, request: ReconcileRequest, budgetMs: number): Promise<WalletRunSummary> {
  const { db, settings } = deps;
  const network = deps.registry.network(request.network);
  const client = deps.chains.client(network.id);
  const wallet = request.wallet.toLowerCase();
  const tokens = network.assets.filter((asset) => asset.kind === 'erc20').map((asset) => asset.contractAddress!);
  const native = nativeAssetOf(network);
  const tokenAssets = network.assets
    .filter((asset) => asset.kind === 'erc20')
    .map((asset) => ({ address: asset.contractAddress! as Address, symbol: asset.symbol }));
  const tokenSymbols = new Map(
    network.assets.filter((asset) => asset.kind === 'erc20').map((asset) => [asset.contractAddress!.toLowerCase(), asset.symbol]),
  );

  await ensureCursor(db, network.id, wallet, settings.startBlock);
  const runId = await startRun(db, {
    workflowId: request.workflowId,
    network: network.id,
    wallet,
    trigger: request.trigger,
    requestedBy: request.requestedBy,
  });
  const deadline = Date.now() + budgetMs;
  let head = await client.getBlockNumber();
  // Blocks mined while this call runs are left to the next one, so it ends.
  const target = await finalBlock(client, network, head);

  let fromBlock: bigint | null = null;
  let toBlock: bigint | null = null;
  let matched = 0;
  let checked = 0;
  let deliveriesChecked = 0;
  let depositsPosted = 0;
  const opened: string[] = [];
  let caughtUp = false;

  for (;;) {
    const cursor = await readCursor(db, network.id, wallet);
    head = await client.getBlockNumber();
    const safe = await finalBlock(client, network, head);
    const from = cursor.lastScannedBlock + 1n;
    const rangeEnd = from + BigInt(settings.blockRange) - 1n;
    const to = rangeEnd < target ? rangeEnd : target;
    const scanned = from <= to ? { from, to } : null;

    let activity = NOTHING_SCANNED;
    let arrivals: Arrival[] = [];
    if (scanned) {
      const found = await scanWalletRange(client, { wallet: getAddress(wallet) as Address, tokens, from, to });
      arrivals = await scanArrivals(client, {
        network: network.id,
        wallet,
        nativeSymbol: native.symbol,
        tokens: tokenAssets,
        from,
        to,
        sent: found.transactions,
      });
      const hashes = [...found.transactions.map((tx) => tx.hash), ...found.tokenLogs.map((log) => log.txHash)];
      activity = matchChainActivity({ wallet, scanned: found, known: await knownAttempts(db, hashes), tokenSymbols });
    }

    const changed = await changedPayouts(db, {
      network: network.id,
      wallet,
      after: cursor.payoutsChecked,
      settleMs: settings.settleMs,
      limit: PAYOUT_PAGE,
    });
    const ids = [...new Set([...activity.payoutIds, ...changed.map((payout) => payout.id)])];
    const facts = await loadPayoutFacts(
      { db, client, registry: deps.registry, network: network.id, wallet, head, safeHead: safe, tokenSymbols },
      ids,
    );
    const findings: Finding[] = [...activity.findings];
    const deferred = new Set<string>();
    for (const fact of facts) {
      const result = checkPayout(fact);
      if (result.kind === 'defer') deferred.add(fact.payout.id);
      else findings.push(...result.findings);
    }
    // The changed-payouts position stops before a payout whose block is not final, so the next step sees it again.
    const payouts = advance(cursor.payoutsChecked, changed, deferred, (payout) => ({ at: payout.updatedAt, id: payout.id }));

    // Mass payouts: each settled delivery once (chain, items, ledger), then each finished batch once (as a whole).
    const page = { network: network.id, wallet, settleMs: settings.settleMs };
    const settled = await settledDeliveries(db, { ...page, after: cursor.deliveriesChecked, limit: DELIVERY_PAGE });
    const deliveryFacts = await loadDeliveryFacts(
      { db, client, registry: deps.registry, network: network.id, wallet, safeHead: safe },
      settled.map((delivery) => delivery.id),
    );
    const deferredDeliveries = new Set<string>();
    for (const fact of deliveryFacts) {
      const result = checkDelivery(fact);
      if (result.kind === 'defer') deferredDeliveries.add(fact.delivery.id);
      else findings.push(...result.findings);
    }
    const deliveries = advance(cursor.deliveriesChecked, settled, deferredDeliveries, (d) => ({ at: d.settledAt, id: d.id }));
    const finished = await finishedMassPayouts(db, { ...page, after: cursor.massPayoutsChecked, limit: MASS_PAYOUT_PAGE });
    for (const fact of await loadMassPayoutFacts(
      { db, wallet },
      finished.map((mass) => mass.id),
    ))
      findings.push(...checkMassPayout(fact));
    const massPayoutsChecked = finished.length
      ? { at: finished.at(-1)!.statusChangedAt, id: finished.at(-1)!.id }
      : cursor.massPayoutsChecked;
    const stepDeliveries = deliveryFacts.length - deferredDeliveries.size + finished.length;

    const commit = await commitStep(db, {
      runId,
      from: cursor,
      lastScannedBlock: scanned ? scanned.to : cursor.lastScannedBlock,
      payoutsChecked: payouts.position,
      deliveriesChecked: deliveries.position,
      massPayoutsChecked,
      head,
      scanned,
      transactionsMatched: activity.matched,
      payoutsCheckedCount: facts.length - deferred.size,
      deliveriesCheckedCount: stepDeliveries,
      findings,
      arrivals,
      lowBalanceThresholds: deps.lowBalanceThresholds ?? [],
    });
    if (!commit.raced) {
      depositsPosted += commit.depositsPosted;
      if (scanned) {
        fromBlock ??= scanned.from;
        toBlock = scanned.to;
      }
      matched += activity.matched;
      checked += facts.length - deferred.size;
      deliveriesChecked += stepDeliveries;
      opened.push(...commit.opened);
      deps.progress?.({ lastScannedBlock: (scanned ? scanned.to : cursor.lastScannedBlock).toString(), head: head.toString() });
      const moreBlocks = scanned !== null && scanned.to < target;
      const morePayouts = changed.length === PAYOUT_PAGE && !payouts.stalled;
      const moreMass = (settled.length === DELIVERY_PAGE && !deliveries.stalled) || finished.length === MASS_PAYOUT_PAGE;
      if (!moreBlocks && !morePayouts && !moreMass) {
        caughtUp = true;
        break;
      }
    }
    // Raced: another run committed this step; read its cursor and go on from there.
    if (Date.now() > deadline) break;
  }
  await finishRun(db, runId);
  const lastScanned = (await readCursor(db, network.id, wallet)).lastScannedBlock;
  return {
    runId,
    network: network.id,
    wallet,
    fromBlock: fromBlock?.toString() ?? null,
    toBlock: toBlock?.toString() ?? null,
    lastScannedBlock: lastScanned.toString(),
    head: head.toString(),
    lagBlocks: Number(head - lastScanned),
    transactionsMatched: matched,
    payoutsChecked: checked,
    deliveriesChecked,
    depositsPosted,
    exceptionsOpened: opened.length,
    openedExceptionIds: opened.slice(0, MAX_LISTED),
    caughtUp,
  };
}
