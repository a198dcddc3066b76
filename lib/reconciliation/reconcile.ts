/**
 * One reconciliation of one treasury wallet on one network, in steps. Each step reads the next block
 * range up to the safe head (the network's confirmations), matches what the wallet did there to the
 * engine's attempts, checks the payouts seen there and the next page of finished payouts that changed,
 * and commits all of it at once (store.ts). A crash loses at most the step in flight; a long backlog
 * is worked off range by range, and the call returns when caught up or when its time budget is spent.
 */
import { getAddress, type Address } from 'viem';
import type { NetworkRegistry } from '../../domain/networks';
import type { RunTrigger } from '../../domain/reconciliation';
import type { ChainClients } from '../chain';
import type { Db } from '../db';
import { loadPayoutFacts } from './facts';
import { checkPayout, matchChainActivity, type ChainActivityResult } from './match';
import { safeHead, scanWalletRange } from './scan';
import type { ReconciliationSettings } from './settings';
import { changedPayouts, commitStep, ensureCursor, finishRun, knownAttempts, readCursor, startRun } from './store';
import type { Finding } from './types';

/** Changed payouts checked per step: each costs a few chain reads. */
const PAYOUT_PAGE = 200;
/** Exception ids carried in the summary (it goes into workflow history, which must stay small). */
const MAX_LISTED = 100;

export interface ReconcileDeps {
  db: Db;
  registry: NetworkRegistry;
  chains: ChainClients;
  settings: ReconciliationSettings;
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
  exceptionsOpened: number;
  /** The first MAX_LISTED ids (all of them are in reconciliation_exceptions with this run's id). */
  openedExceptionIds: string[];
  caughtUp: boolean;
}

const NOTHING_SCANNED: ChainActivityResult = { matched: 0, payoutIds: [], findings: [] };

export async function reconcileWallet(deps: ReconcileDeps, request: ReconcileRequest, budgetMs: number): Promise<WalletRunSummary> {
  const { db, settings } = deps;
  const network = deps.registry.network(request.network);
  const client = deps.chains.client(network.id);
  const wallet = request.wallet.toLowerCase();
  const tokens = network.assets.filter((asset) => asset.kind === 'erc20').map((asset) => asset.contractAddress!);
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
  const target = safeHead(head, network.confirmations);

  let fromBlock: bigint | null = null;
  let toBlock: bigint | null = null;
  let matched = 0;
  let checked = 0;
  const opened: string[] = [];
  let caughtUp = false;

  for (;;) {
    const cursor = await readCursor(db, network.id, wallet);
    head = await client.getBlockNumber();
    const safe = safeHead(head, network.confirmations);
    const from = cursor.lastScannedBlock + 1n;
    const rangeEnd = from + BigInt(settings.blockRange) - 1n;
    const to = rangeEnd < target ? rangeEnd : target;
    const scanned = from <= to ? { from, to } : null;

    let activity = NOTHING_SCANNED;
    if (scanned) {
      const found = await scanWalletRange(client, { wallet: getAddress(wallet) as Address, tokens, from, to });
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
    let payoutsChecked = cursor.payoutsChecked;
    let stalled = false;
    for (const payout of changed) {
      if (deferred.has(payout.id)) {
        stalled = true;
        break;
      }
      payoutsChecked = { at: payout.updatedAt, id: payout.id };
    }

    const commit = await commitStep(db, {
      runId,
      from: cursor,
      lastScannedBlock: scanned ? scanned.to : cursor.lastScannedBlock,
      payoutsChecked,
      head,
      scanned,
      transactionsMatched: activity.matched,
      payoutsCheckedCount: facts.length - deferred.size,
      findings,
    });
    if (!commit.raced) {
      if (scanned) {
        fromBlock ??= scanned.from;
        toBlock = scanned.to;
      }
      matched += activity.matched;
      checked += facts.length - deferred.size;
      opened.push(...commit.opened);
      deps.progress?.({ lastScannedBlock: (scanned ? scanned.to : cursor.lastScannedBlock).toString(), head: head.toString() });
      const moreBlocks = scanned !== null && scanned.to < target;
      const morePayouts = changed.length === PAYOUT_PAGE && !stalled;
      if (!moreBlocks && !morePayouts) {
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
    exceptionsOpened: opened.length,
    openedExceptionIds: opened.slice(0, MAX_LISTED),
    caughtUp,
  };
}
