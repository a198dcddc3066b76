/**
 * Issue 13, case 8: a payout waiting for funds re-checks on a timer; over a long wait (24 h at one check per 30 s,
 * twice) its history would pass Temporal's 51,200-event limit and the server would terminate it while it holds
 * funds. The wait must continue-as-new before its history grows past WORKFLOW_HISTORY_LIMIT, keeping its status,
 * attention, deadline and actions. Here the checks run every 20 ms and the limit is 150 events, so a few seconds of
 * waiting stand for days.
 */
import { type Address } from 'viem';
import { recordHistory } from './support/histories';
import {
  api,
  balances,
  mintUsdc,
  newTreasury,
  randomAddress,
  setEthBalance,
  startEngine,
  waitForStatus,
  type Engine,
} from './support/harness';

const { key, address: wallet } = newTreasury();
const headers = { 'X-Account-Id': `acct_history_${Date.now().toString(36)}`, 'X-Actor-Id': 'clerk' };
const LIMIT = 150;
let engine: Engine;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  engine = await startEngine({
    TREASURY_PRIVATE_KEY: key,
    CHAIN_POLL_INTERVAL_MS: '200',
    FUNDING_RETRY_MS: '20',
    WORKFLOW_HISTORY_LIMIT: String(LIMIT),
  });
});
afterAll(async () => {
  await engine?.stop();
});

/** Every run of the workflow id, newest first, with its history length. */
async function runsOf(workflowId: string): Promise<{ runId: string; status: string; events: number }[]> {
  const runs: { runId: string; status: string; events: number }[] = [];
  for await (const execution of engine.temporal.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    runs.push({ runId: execution.runId, status: execution.status.name, events: execution.historyLength });
  }
  return runs;
}

async function waitForRuns(workflowId: string, count: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let runs = await runsOf(workflowId);
  while (runs.length < count && Date.now() < deadline) {
    await sleep(500);
    runs = await runsOf(workflowId);
  }
  return runs;
}

it('a long wait for gas (funds reserved) continues-as-new under the history limit, then pays once funded', async () => {
  const recipient = randomAddress();
  // USDC to pay, no ETH for gas: the reservation holds, signing waits.
  await mintUsdc(engine, wallet, 50_000_000n);
  const created = await api(engine, 'POST', '/v1/payouts', {
    headers,
    body: { amount: '5', asset: 'USDC', network: 'local', destination: recipient, purpose: 'long funding wait' },
  });
  expect(created.status).toBe(201);
  const waiting = await waitForStatus(engine, created.body.id, ['in_progress'], 30_000, headers);
  const workflowId: string = waiting.workflow_id;

  const runs = await waitForRuns(workflowId, 2, 60_000);
  expect(runs.length).toBeGreaterThanOrEqual(2);
  // Each run ended well before the limit: it stops at the limit, plus the few events of continuing.
  for (const run of runs) expect(run.events).toBeLessThan(LIMIT + 20);
  expect(runs.filter((run) => run.status === 'RUNNING')).toHaveLength(1);

  const stillWaiting = await waitForStatus(engine, created.body.id, ['in_progress'], 5_000, headers);
  expect(stillWaiting.attention).toEqual({ code: 'insufficient_gas', type: 'action_required' });

  expect((await engine.db.fundReservation.findUniqueOrThrow({ where: { payoutId: created.body.id } })).state).toBe('held');

  await setEthBalance(engine, 'local', wallet, '2');
  const done = await waitForStatus(engine, created.body.id, ['completed', 'failed', 'canceled'], 60_000, headers);
  expect(done.status).toBe('completed');
  expect(done.attention).toBeNull();
  expect((await balances(engine, 'local', recipient as Address)).usdc).toBe(5_000_000n);
  // The status history is whole across runs: one change per seq, in order, no gap and no repeat.
  const history = await engine.db.payoutEvent.findMany({ where: { payoutId: created.body.id }, orderBy: { seq: 'asc' } });
  expect(history.map((change) => change.seq)).toEqual(history.map((_, index) => index + 1));
  expect(history.map((change) => change.toStatus)).toEqual(['in_progress', 'processing', 'completed']);
  const all = await runsOf(workflowId);
  await recordHistory(engine.temporal, workflowId, 'funding-continued-as-new', all[all.length - 1]!.runId);
  await recordHistory(engine.temporal, workflowId, 'funding-resumed-after-continue-as-new');
}, 180_000);

it('a payout that continued-as-new still takes a cancel, and releases what it held', async () => {
  const empty = newTreasury();
  const other = await startEngine({
    TREASURY_PRIVATE_KEY: empty.key,
    FUNDING_RETRY_MS: '20',
    WORKFLOW_HISTORY_LIMIT: String(LIMIT),
  });
  try {
    const created = await api(other, 'POST', '/v1/payouts', {
      headers,
      body: { amount: '0.5', asset: 'ETH', network: 'local', destination: randomAddress(), purpose: 'canceled after a long wait' },
    });
    expect(created.status).toBe(201);
    const runs = await waitForRuns(created.body.workflow_id, 2, 60_000);
    expect(runs.length).toBeGreaterThanOrEqual(2);
    const cancel = await api(other, 'POST', `/v1/payouts/${created.body.id}/cancel`, { headers, body: { reason: 'never funded' } });
    expect(cancel.status).toBe(200);
    expect(cancel.body.result).toBe('canceled');
    const done = await waitForStatus(other, created.body.id, ['canceled', 'completed', 'failed'], 30_000, headers);
    expect(done.status).toBe('canceled');
    const reservation = await other.db.fundReservation.findUnique({ where: { payoutId: created.body.id } });
    expect(reservation === null || reservation.state === 'released').toBe(true);
  } finally {
    await other.stop();
  }
}, 180_000);

it('a mass payout waiting for its reservation continues-as-new too, and pays every item once funded', async () => {
  const empty = newTreasury();
  const other = await startEngine({
    TREASURY_PRIVATE_KEY: empty.key,
    FUNDING_RETRY_MS: '20',
    WORKFLOW_HISTORY_LIMIT: String(LIMIT),
  });
  try {
    const recipients = [randomAddress(), randomAddress(), randomAddress()];
    const created = await api(other, 'POST', '/v1/mass-payouts', {
      headers,
      body: {
        network: 'local',
        asset: 'USDC',
        purpose: 'mass payout after a long wait',
        items: recipients.map((address, index) => ({ address, amount: '1.5', reference: `r${index}` })),
      },
    });
    expect(created.status).toBe(201);
    const runs = await waitForRuns(created.body.workflow_id, 2, 60_000);
    expect(runs.length).toBeGreaterThanOrEqual(2);
    for (const run of runs) expect(run.events).toBeLessThan(LIMIT + 20);

    await mintUsdc(other, empty.address, 10_000_000n);
    await setEthBalance(other, 'local', empty.address, '2');
    const deadline = Date.now() + 120_000;
    let batch = (await api(other, 'GET', `/v1/mass-payouts/${created.body.id}`, { headers })).body;
    while (!['completed', 'partially_completed', 'failed', 'canceled', 'expired'].includes(batch.status) && Date.now() < deadline) {
      await sleep(500);
      batch = (await api(other, 'GET', `/v1/mass-payouts/${created.body.id}`, { headers })).body;
    }
    expect(batch.status).toBe('completed');
    for (const recipient of recipients) expect((await balances(other, 'local', recipient)).usdc).toBe(1_500_000n);
    const all = await runsOf(created.body.workflow_id);
    await recordHistory(other.temporal, created.body.workflow_id, 'mass-payout-funding-continued-as-new', all[all.length - 1]!.runId);
    await recordHistory(other.temporal, created.body.workflow_id, 'mass-payout-resumed-after-continue-as-new');
  } finally {
    await other.stop();
  }
}, 240_000);
