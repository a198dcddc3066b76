/**
 * The Prometheus endpoints during a real payout and a real mass payout: the API's /metrics (requests by route and
 * status, latency) and the worker's (transitions, time in status, create→completed, the database gauges). The series
 * must move as the payouts move: counters rise, histograms get observations, the wallet's in-flight gauge goes up while
 * a transfer waits for confirmations and back to 0 once it is final.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startWorker } from '../bench/engine-processes';
import { freePort } from '../scripts/stack/process';
import {
  api,
  mintUsdc,
  newTreasury,
  randomAddress,
  setEthBalance,
  startEngine,
  waitForMassPayout,
  waitForStatus,
  type Engine,
} from './support/harness';

jest.setTimeout(180_000);

const { key, address: treasury } = newTreasury();
let engine: Engine;

const scrape = async (url: string) => {
  const response = await fetch(url, { headers: { authorization: 'Bearer metrics-test-token' } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
};
const apiMetrics = () => scrape(`${engine.apiUrl}/metrics`);
const workerMetrics = () => scrape(engine.workerMetricsUrl);

/** The sum of a metric's samples whose labels include `labels` (0 when there is none). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const set = match[2] ?? '';
    if (Object.entries(labels).every(([label, value]) => set.includes(`${label}="${value}"`))) sum += Number(match[3]);
  }
  return sum;
}

/** The treasury's ledger balance series for one asset and account kind. */
const ledgerSeries = (asset: string, account: string) =>
  new RegExp(
    `^wallet_ledger_balance\\{network="local",wallet="${treasury.toLowerCase()}",asset="${asset}",account="${account}",process="worker"\\} \\S+$`,
    'm',
  );

beforeAll(async () => {
  engine = await startEngine({ TREASURY_PRIVATE_KEY: key, METRICS_TOKEN: 'metrics-test-token', CONFIRMATIONS: '3' });
  await setEthBalance(engine, 'local', treasury, '10');
  await mintUsdc(engine, treasury, 1_000_000_000n);
});
afterAll(async () => {
  await engine?.stop();
});

it('refuses a scrape without the token when METRICS_TOKEN is set', async () => {
  for (const url of [`${engine.apiUrl}/metrics`, engine.workerMetricsUrl]) {
    const response = await fetch(url);
    expect(response.status).toBe(401);
    expect(await response.text()).toMatch(/Authorization: Bearer <METRICS_TOKEN>/);
  }
});

it('moves with a payout: API requests, transitions, time in status, create→completed, and the wallet in flight', async () => {
  const [apiBefore, workerBefore] = await Promise.all([apiMetrics(), workerMetrics()]);
  const wallet = { network: 'local', wallet: treasury.toLowerCase() };
  const created = await api(engine, 'POST', '/v1/payouts', {
    body: { amount: '12.5', asset: 'USDC', network: 'local', destination: randomAddress(), purpose: 'metrics' },
  });
  expect(created.status).toBe(201);

  // While the transfer waits for its confirmations, the wallet has it in flight.
  let inFlightSeen = 0;
  for (let i = 0; i < 200 && inFlightSeen === 0; i++) {
    inFlightSeen = sample(await workerMetrics(), 'wallet_in_flight_transactions', wallet);
    if (inFlightSeen === 0) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(inFlightSeen).toBe(1);
  const during = await workerMetrics();
  expect(sample(during, 'wallet_oldest_unconfirmed_seconds', wallet)).toBeGreaterThanOrEqual(0);
  // Signed, not yet final: the payout is in_progress or processing, and the stuck-payout gauge has it.
  expect(during).toMatch(/^payouts_oldest_in_status_seconds\{status="(in_progress|processing)",process="worker"\} \d/m);

  const done = await waitForStatus(engine, created.body.id, ['completed', 'failed']);
  expect(done.status).toBe('completed');
  const [apiAfter, workerAfter] = await Promise.all([apiMetrics(), workerMetrics()]);

  const rise = (before: string, after: string, name: string, labels: Record<string, string> = {}) =>
    sample(after, name, labels) - sample(before, name, labels);
  const created201 = { method: 'POST', route: '/v1/payouts', status: '201' };
  expect(rise(apiBefore, apiAfter, 'payout_api_requests_total', created201)).toBe(1);
  expect(rise(apiBefore, apiAfter, 'payout_api_request_duration_seconds_count', { method: 'POST', route: '/v1/payouts' })).toBe(1);
  // waitForStatus polls GET /v1/payouts/:id: the template is the label, never the id.
  expect(sample(apiAfter, 'payout_api_requests_total', { route: '/v1/payouts/:id', status: '200' })).toBeGreaterThan(0);
  expect(apiAfter).not.toContain(created.body.id);

  expect(rise(workerBefore, workerAfter, 'payout_transitions_total', { to: 'completed' })).toBe(1);
  expect(rise(workerBefore, workerAfter, 'payout_transitions_total', { from: 'processing', to: 'completed' })).toBe(1);
  expect(rise(workerBefore, workerAfter, 'payout_create_to_completed_seconds_count')).toBe(1);
  expect(rise(workerBefore, workerAfter, 'payout_create_to_completed_seconds_sum')).toBeGreaterThan(0);
  expect(rise(workerBefore, workerAfter, 'payout_status_duration_seconds_count', { status: 'processing' })).toBe(1);
  expect(rise(workerBefore, workerAfter, 'payouts', { status: 'completed' })).toBeGreaterThanOrEqual(1);
  // Final: nothing of this wallet is in flight any more.
  expect(sample(workerAfter, 'wallet_in_flight_transactions', wallet)).toBe(0);
  expect(workerAfter).not.toContain(created.body.id);
  // The wallet's owner reports what it saw: nonce lag (a count) and how fresh that look is.
  expect(workerAfter).toMatch(
    new RegExp(`^wallet_nonce_lag\\{network="local",wallet="${treasury.toLowerCase()}",process="worker"\\} \\d+$`, 'm'),
  );
  expect(sample(workerAfter, 'wallet_owner_status_age_seconds', wallet)).toBeLessThan(60);
  // The ledger's view of the wallet: gas paid for the transfer, nothing reserved once it is final, and the free USDC
  // in whole units, as GET /v1/balances shows it.
  expect(sample(workerAfter, 'wallet_gas_spent_wei', wallet)).toBeGreaterThan(0);
  expect(workerAfter).toMatch(ledgerSeries('USDC', 'reserved'));
  expect(sample(workerAfter, 'wallet_ledger_balance', { ...wallet, account: 'reserved' })).toBe(0);
  expect(workerAfter).toMatch(ledgerSeries('USDC', 'treasury'));
  const balances = await api(engine, 'GET', '/v1/balances');
  const usdc = balances.body.data.find(
    (row: { network: string; wallet: string; asset: string }) => row.wallet === wallet.wallet && row.asset === 'USDC',
  );
  expect(sample(workerAfter, 'wallet_ledger_balance', { ...wallet, asset: 'USDC', account: 'treasury' })).toBe(Number(usdc.available));
  // Every database gauge was read: none failed its query.
  expect(sample(workerAfter, 'payout_metrics_collect_errors_total')).toBe(0);
  // The process's own series, labelled with its role.
  expect(sample(workerAfter, 'payout_process_resident_memory_bytes', { process: 'worker' })).toBeGreaterThan(0);
  expect(sample(apiAfter, 'payout_process_resident_memory_bytes', { process: 'api' })).toBeGreaterThan(0);
});

it('moves with a mass payout: its items are counted by status', async () => {
  const before = await workerMetrics();
  const items = Array.from({ length: 5 }, () => ({ address: randomAddress(), amount: '1' }));
  const created = await api(engine, 'POST', '/v1/mass-payouts', {
    body: { network: 'local', asset: 'USDC', purpose: 'metrics batch', items },
  });
  expect(created.status).toBe(201);
  if (created.body.status === 'pending_approval') {
    const approved = await api(engine, 'POST', `/v1/mass-payouts/${created.body.id}/approve`, { headers: { 'X-Actor-Id': 'approver-1' } });
    expect(approved.status).toBe(200);
  }
  const mass = await waitForMassPayout(engine, created.body.id);
  expect(mass.status).toBe('completed');
  const after = await workerMetrics();
  expect(sample(after, 'mass_payout_items', { status: 'completed' }) - sample(before, 'mass_payout_items', { status: 'completed' })).toBe(
    5,
  );
  expect(sample(after, 'wallet_in_flight_transactions', { network: 'local', wallet: treasury.toLowerCase() })).toBe(0);
});

it("a worker process serves its metrics and the Temporal SDK's, with the series the alert rules use", async () => {
  const runDir = mkdtempSync(path.join(tmpdir(), 'worker-metrics-'));
  const temporalPort = await freePort();
  // Its own task queue: the process works only the reconciliation run it starts with.
  const child = await startWorker(
    {
      ...process.env,
      TEMPORAL_TASK_QUEUE: `metrics-${Date.now().toString(36)}`,
      TEMPORAL_METRICS_PORT: String(temporalPort),
      // A wallet of its own: its owner loops must not take another test's.
      TREASURY_PRIVATE_KEY: newTreasury().key,
    },
    runDir,
  );
  try {
    const log = readFileSync(path.join(runDir, 'worker.log'), 'utf8');
    const url = /"msg":"metrics at (http:\/\/[^\s"]+)/.exec(log)?.[1];
    expect(url).toBeDefined();
    const own = await (await fetch(url!)).text();
    expect(own).toMatch(/^payouts\{.*process="worker"\} \d+/m);
    // The SDK's series appear once its worker polls and the first activity ran (the reconciliation run at start).
    let sdk = '';
    for (let i = 0; i < 60 && !sdk.includes('temporal_activity_schedule_to_start_latency_bucket'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      sdk = await (await fetch(`http://127.0.0.1:${temporalPort}/metrics`)).text();
    }
    expect(sdk).toMatch(/^temporal_worker_task_slots_available\{.*worker_type="ActivityWorker".*\} \d+/m);
    expect(sdk).toMatch(/^temporal_activity_schedule_to_start_latency_bucket\{.*le="\+Inf".*\} \d+/m);
  } finally {
    await child.stop();
  }
});
