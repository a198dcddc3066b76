/**
 * The reconciler on a treasury wallet of its own, against the real chain, PostgreSQL and Temporal:
 * real payouts (USDC and ETH, one failed) reconcile to zero exceptions with no lag; then one mismatch
 * of each checkable category is injected for real (a transfer sent with the treasury key outside the
 * engine, payout rows altered in the database) and each is found once, with its evidence and outbox
 * event, and not again when a later run reads the same blocks and payouts; finance works them through
 * the API; the Temporal schedule starts runs on its own.
 */
import { erc20Abi, parseEther } from 'viem';
import { ensureReconciliationSchedule } from '../lib/reconciliation/schedule';
import {
  api,
  blockOnToken,
  mintUsdc,
  newTreasury,
  randomAddress,
  setEthBalance,
  startEngine,
  usdcAddress,
  waitForStatus,
  walletFor,
  type Engine,
} from './support/harness';
import { exceptionSchema, reconciliationStatusSchema, reconciliationWorkflowSchema } from '../api/reconciliation/schemas';

let engine: Engine;
const { key: treasuryKey, address: wallet } = newTreasury();
const owner = wallet.toLowerCase();
const account = `acct_recon_${Date.now().toString(36)}`;
const headers = { 'X-Account-Id': account, 'X-Actor-Id': 'controller' };
const SETTLE_MS = 500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const post = (path: string, body: unknown, extra: Record<string, string> = {}) =>
  api(engine, 'POST', path, { body, headers: { ...headers, ...extra } });
const get = (path: string, extra: Record<string, string> = {}) => api(engine, 'GET', path, { headers: { ...headers, ...extra } });

/** Waits until `block` has the network's confirmations, so the reconciler treats it as final. */
async function finalized(block: bigint): Promise<void> {
  const client = engine.chains.client('local');
  while ((await client.getBlockNumber()) < block + BigInt(engine.config.registry.network('local').confirmations)) await sleep(250);
}

/** Starts a run through the API and waits for its workflow to finish; returns the run's summary for `local`. */
async function reconcile() {
  // Changes younger than RECONCILE_SETTLE_MS wait for the next run.
  await sleep(SETTLE_MS * 2);
  const started = await post('/v1/reconciliation/runs', {});
  expect(started.status).toBe(202);
  expect(reconciliationWorkflowSchema.safeParse(started.body).error).toBeUndefined();
  const result = await engine.temporal.workflow.getHandle(started.body.id).result();
  const local = result.wallets.find((w: { network: string; wallet: string }) => w.network === 'local' && w.wallet === owner);
  expect(local).toBeDefined();
  const view = await get(`/v1/reconciliation/runs/${started.body.id}`);
  expect(view.status).toBe(200);
  expect(view.body).toMatchObject({ status: 'completed', id: started.body.id });
  return { summary: local!, view: view.body, workflowId: started.body.id as string };
}

/** This wallet's exceptions, by category and subject (exceptions of one step share their opened_at). */
const exceptionsOfWallet = async () =>
  (await engine.db.reconciliationException.findMany({ where: { wallet: owner, network: 'local' } })).sort((a, b) =>
    a.dedupeKey.localeCompare(b.dedupeKey),
  );

const ids: Record<string, string> = {};
const payoutRows: Record<string, { txHash: string | null }> = {};

beforeAll(async () => {
  engine = await startEngine({ TREASURY_PRIVATE_KEY: treasuryKey, RECONCILE_SETTLE_MS: String(SETTLE_MS) });
  await setEthBalance(engine, 'local', wallet, '50');
  await mintUsdc(engine, wallet, 10_000_000_000n);
});
afterAll(async () => {
  await engine?.stop();
});

describe('reconciliation', () => {
  it('finds nothing after real payouts (USDC, ETH, one failed) and is caught up with the chain head', async () => {
    const blocked = randomAddress();
    await blockOnToken(engine, blocked);
    const payout = (body: Record<string, string>) =>
      post('/v1/payouts', { network: 'local', destination: randomAddress(), purpose: 'reconciliation test', ...body });
    const created = await Promise.all([
      payout({ amount: '10', asset: 'USDC' }),
      payout({ amount: '11', asset: 'USDC' }),
      payout({ amount: '12', asset: 'USDC' }),
      payout({ amount: '0.01', asset: 'ETH' }),
      payout({ amount: '0.02', asset: 'ETH' }),
      payout({ amount: '7', asset: 'USDC', destination: blocked }),
    ]);
    for (const response of created) expect(response.status).toBe(201);
    [ids.amount, ids.status, ids.missing, ids.fee, ids.clean, ids.failed] = created.map((r) => r.body.id);
    const finals = await Promise.all(Object.values(ids).map((id) => waitForStatus(engine, id, ['completed', 'failed'], 120_000, headers)));
    expect(finals.map((p) => p.status)).toEqual(['completed', 'completed', 'completed', 'completed', 'completed', 'failed']);
    for (const final of finals) payoutRows[final.id] = { txHash: final.transaction?.hash ?? null };
    await finalized(BigInt(Math.max(...finals.filter((p) => p.transaction).map((p) => Number(p.transaction.block_number)))));

    const { summary, view } = await reconcile();
    expect(summary).toMatchObject({ exceptionsOpened: 0, openedExceptionIds: [], transactionsMatched: 5, caughtUp: true, fromBlock: '0' });
    expect(summary.payoutsChecked).toBeGreaterThanOrEqual(6);
    // Final blocks only (2 confirmations): 1 block behind at best, a few more as blocks arrive (1 s) during the run.
    expect(summary.lagBlocks).toBeLessThanOrEqual(5);
    expect(view.runs.find((run: { network: string }) => run.network === 'local')).toMatchObject({
      trigger: 'manual',
      requested_by: 'controller',
      wallet: owner,
      from_block: '0',
      transactions_matched: 5,
      exceptions_opened: 0,
    });
    expect(await exceptionsOfWallet()).toEqual([]);

    // The lag is visible: blocks behind the head now, at the end of the last run, and seconds since it.
    const status = await get('/v1/reconciliation');
    expect(status.status).toBe(200);
    expect(reconciliationStatusSchema.safeParse(status.body).error).toBeUndefined();
    const mine = status.body.wallets.find((w: { network: string; wallet: string }) => w.network === 'local' && w.wallet === owner);
    expect(mine.lag_blocks_at_last_run).toBeLessThanOrEqual(5);
    expect(mine.lag_blocks).toBeLessThanOrEqual(15);
    expect(mine.seconds_since_last_run).toBeLessThan(30);
    expect(BigInt(mine.chain_head) - BigInt(mine.last_scanned_block)).toBe(BigInt(mine.lag_blocks));
    expect(mine.last_run).toMatchObject({ trigger: 'manual', exceptions_opened: 0 });
    expect(status.body.wallets.some((w: { network: string; wallet: string }) => w.network === 'local-l2' && w.wallet === owner)).toBe(true);
  });

  it('detects one injected mismatch of each category, once, with evidence and an outbox event', async () => {
    // unknown_onchain_transfer: the treasury key used outside the engine, for ETH and for USDC.
    const { wallet: treasury, client } = walletFor(engine, 'local', treasuryKey);
    const stranger = randomAddress();
    const ethTx = await treasury.sendTransaction({ to: stranger, value: parseEther('0.001') });
    const usdcTx = await treasury.writeContract({
      address: usdcAddress(engine),
      abi: erc20Abi,
      functionName: 'transfer',
      args: [stranger, 1_000_000n],
    });
    const receipts = await Promise.all([ethTx, usdcTx].map((hash) => client.waitForTransactionReceipt({ hash })));

    // The others: completed payouts altered in the database.
    const row = (id: string) => engine.db.payout.findUniqueOrThrow({ where: { id } });
    const amountRow = await row(ids.amount!);
    await engine.db.payout.update({ where: { id: ids.amount! }, data: { amount: amountRow.amount.plus(1) } });
    const feeRow = await row(ids.fee!);
    await engine.db.payout.update({ where: { id: ids.fee! }, data: { networkFee: feeRow.networkFee!.plus(1) } });
    await engine.db.payout.update({
      where: { id: ids.status! },
      data: { status: 'failed', failureCode: 'injected', failureReason: 'test' },
    });
    const fakeHash = `0x${'ab'.repeat(32)}`;
    await engine.db.payout.update({ where: { id: ids.missing! }, data: { txHash: fakeHash } });
    await finalized(receipts[1]!.blockNumber);

    const { summary } = await reconcile();
    expect(summary.exceptionsOpened).toBe(6);
    const found = await exceptionsOfWallet();
    expect(found.map((e) => e.id).sort()).toEqual([...summary.openedExceptionIds].sort());
    expect(found.map((e) => `${e.category} ${e.payoutId ?? e.txHash}`).sort()).toEqual(
      [
        `amount_mismatch ${ids.amount}`,
        `fee_mismatch ${ids.fee}`,
        `missing_onchain_transfer ${ids.missing}`,
        `status_mismatch ${ids.status}`,
        `unknown_onchain_transfer ${ethTx}`,
        `unknown_onchain_transfer ${usdcTx}`,
      ].sort(),
    );
    const by = (category: string, subject?: string) => found.find((e) => e.category === category && (!subject || e.txHash === subject))!;
    expect(by('amount_mismatch').evidence).toMatchObject({
      problems: [`10000000 units of USDC moved, the payout's amount is 10000001`],
      expected: { asset: 'USDC', amount_units: '10000001' },
    });
    expect(by('fee_mismatch').evidence).toMatchObject({
      receipt_fee_wei: feeRow.networkFee!.toFixed(),
      mined_tx_hash: payoutRows[ids.fee!]!.txHash,
    });
    expect(by('status_mismatch').summary).toContain(`the chain has the payout's transfer ${payoutRows[ids.status!]!.txHash}`);
    expect(by('missing_onchain_transfer').summary).toContain(`transaction ${fakeHash} is not on chain`);
    expect(by('unknown_onchain_transfer', ethTx).evidence).toMatchObject({
      transaction: { to: stranger.toLowerCase(), value_wei: '1000000000000000' },
    });
    expect(by('unknown_onchain_transfer', usdcTx).evidence).toMatchObject({
      transaction: { token_transfers: [{ asset: 'USDC', to: stranger.toLowerCase(), amount_units: '1000000' }] },
    });
    for (const exception of found) {
      expect(exception).toMatchObject({ state: 'open', owner: null, openedByRun: summary.runId });
      expect(exception.accountId).toBe(exception.payoutId ? account : null);
      const event = await engine.db.outboxEvent.findUniqueOrThrow({ where: { id: `evt_${exception.id}` } });
      expect(event).toMatchObject({ eventType: 'reconciliation.exception', accountId: exception.accountId, aggregateId: exception.id });
      expect(event.payload).toMatchObject({ exception_id: exception.id, category: exception.category, summary: exception.summary });
    }

    // Visible through the API: the account's own and the platform-wide ones, and its events.
    const listed = await get('/v1/reconciliation/exceptions?state=open&limit=100');
    expect(listed.status).toBe(200);
    for (const exception of found) expect(listed.body.data.map((e: { id: string }) => e.id)).toContain(exception.id);
    const one = await get(`/v1/reconciliation/exceptions/${by('fee_mismatch').id}`);
    expect(exceptionSchema.safeParse(one.body).error).toBeUndefined();
    expect(one.body).toMatchObject({ category: 'fee_mismatch', payout_id: ids.fee, state: 'open', wallet: owner });
    const filtered = await get('/v1/reconciliation/exceptions?category=unknown_onchain_transfer,missing_onchain_transfer&limit=100');
    const filteredMine = filtered.body.data.filter((e: { wallet: string }) => e.wallet === owner);
    expect(filteredMine.map((e: { category: string }) => e.category).sort()).toEqual([
      'missing_onchain_transfer',
      'unknown_onchain_transfer',
      'unknown_onchain_transfer',
    ]);
    const events = await get('/v1/events?type=reconciliation.exception&limit=100');
    expect(events.body.data.map((e: { id: string }) => e.id).sort()).toEqual(
      found
        .filter((e) => e.accountId === account)
        .map((e) => `evt_${e.id}`)
        .sort(),
    );
    // Another account sees the platform-wide ones but not this account's payouts.
    const intruder = { 'X-Account-Id': `acct_other_${Date.now().toString(36)}` };
    expect((await get(`/v1/reconciliation/exceptions/${by('fee_mismatch').id}`, intruder)).status).toBe(404);
    expect((await get(`/v1/reconciliation/exceptions/${by('unknown_onchain_transfer', ethTx).id}`, intruder)).status).toBe(200);

    const status = await get('/v1/reconciliation');
    expect(status.body.exceptions.open).toBeGreaterThanOrEqual(6);
  });

  it('does not open a mismatch twice when a later run reads the same blocks and payouts again', async () => {
    const before = await exceptionsOfWallet();
    // Nothing new: the next run opens nothing.
    expect((await reconcile()).summary.exceptionsOpened).toBe(0);
    // Make a run re-read everything: without its cursor the wallet is read again from block 0, and all its payouts checked again.
    await engine.db.reconciliationCursor.delete({ where: { network_wallet: { network: 'local', wallet: owner } } });
    const again = await reconcile();
    expect(again.summary).toMatchObject({ fromBlock: '0', exceptionsOpened: 0, transactionsMatched: 5 });
    expect(again.summary.payoutsChecked).toBeGreaterThanOrEqual(6);
    const after = await exceptionsOfWallet();
    expect(after.map((e) => e.id)).toEqual(before.map((e) => e.id));
    // Found again by the later run, still one exception (and one event) each.
    for (const exception of after) expect(exception.lastSeenRun).toBe(again.summary.runId);
    expect(await engine.db.outboxEvent.count({ where: { id: { in: after.map((e) => `evt_${e.id}`) } } })).toBe(after.length);
  });

  it('lets finance take, hand over and resolve an exception through the API; refuses invalid transitions', async () => {
    const [exception] = await engine.db.reconciliationException.findMany({ where: { wallet: owner, category: 'amount_mismatch' } });
    const path = `/v1/reconciliation/exceptions/${exception!.id}`;
    const refused = async (body: unknown, code: string) => {
      const response = await post(path, body);
      expect({ status: response.status, code: response.body.error?.code }).toEqual({ status: 409, code });
      return response;
    };

    expect((await refused({ state: 'resolved', note: 'skip' }, 'invalid_state_transition')).body.error.message).toContain(
      'can move only to investigating',
    );
    await refused({ state: 'investigating' }, 'owner_required');
    const taken = await post(path, { state: 'investigating', owner: 'finance-ops' });
    expect(taken.status).toBe(200);
    expect(taken.body).toMatchObject({ state: 'investigating', owner: 'finance-ops', resolved_at: null });
    await refused({ state: 'resolved' }, 'note_required');
    const handedOver = await post(path, { owner: 'treasury-team', note: 'over to treasury' });
    expect(handedOver.body).toMatchObject({ state: 'investigating', owner: 'treasury-team', note: 'over to treasury' });

    const key = { 'Idempotency-Key': `resolve-${exception!.id}` };
    const resolved = await post(path, { state: 'resolved', note: 'amount edited by hand in the database; restored' }, key);
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ state: 'resolved', note: 'amount edited by hand in the database; restored' });
    expect(resolved.body.resolved_at).not.toBeNull();
    expect(resolved.body.history.map((h: { from: string; to: string; by: string }) => [h.from, h.to, h.by])).toEqual([
      ['open', 'investigating', 'controller'],
      ['investigating', 'investigating', 'controller'],
      ['investigating', 'resolved', 'controller'],
    ]);
    const replay = await post(path, { state: 'resolved', note: 'amount edited by hand in the database; restored' }, key);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.history).toHaveLength(3);
    await refused({ state: 'investigating', owner: 'x' }, 'invalid_state_transition');

    const resolvedList = await get('/v1/reconciliation/exceptions?state=resolved&limit=100');
    expect(resolvedList.body.data.map((e: { id: string }) => e.id)).toContain(exception!.id);
    expect((await get('/v1/reconciliation/exceptions?state=open&limit=100')).body.data.map((e: { id: string }) => e.id)).not.toContain(
      exception!.id,
    );
    // Another account cannot touch it.
    const intruder = await post(path, { state: 'open', note: 'mine now' }, { 'X-Account-Id': `acct_other_${Date.now().toString(36)}` });
    expect(intruder.status).toBe(404);
  });

  it('runs on its Temporal schedule, which is created idempotently', async () => {
    const scheduleId = `reconciliation-test-${Date.now().toString(36)}`;
    const options = { taskQueue: engine.config.taskQueue, scheduleId };
    await ensureReconciliationSchedule(engine.temporal, { ...options, intervalMs: 3_600_000 });
    // Again with another interval: the same schedule, updated.
    await ensureReconciliationSchedule(engine.temporal, { ...options, intervalMs: 2_000 });
    const handle = engine.temporal.schedule.getHandle(scheduleId);
    try {
      const description = await handle.describe();
      expect(description.spec.intervals).toEqual([{ every: 2_000 }]);
      const since = new Date();
      let scheduled = null;
      for (let i = 0; i < 60 && !scheduled; i++) {
        scheduled = await engine.db.reconciliationRun.findFirst({
          where: { network: 'local', wallet: owner, trigger: 'schedule', startedAt: { gte: since }, finishedAt: { not: null } },
        });
        if (!scheduled) await sleep(500);
      }
      expect(scheduled).not.toBeNull();
      expect(scheduled!.workflowId.startsWith(scheduleId)).toBe(true);
      const status = await get('/v1/reconciliation');
      const mine = status.body.wallets.find((w: { network: string; wallet: string }) => w.network === 'local' && w.wallet === owner);
      expect(mine.lag_blocks_at_last_run).toBeLessThanOrEqual(5);
    } finally {
      await handle.delete();
    }
  });
});
