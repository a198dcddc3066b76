/**
 * Benchmark: N single payouts end to end through the real API, on a throwaway stack, and what each one costs.
 *
 *   npm run bench:payouts                                  # 1,000 payouts, half ETH half USDC, 50 at a time
 *   npm run bench:payouts -- --payouts 300 --concurrency 50
 *
 * Like `npm test` it needs nothing running: it starts its own PostgreSQL, Temporal dev server and anvil chains
 * (scripts/stack/test-servers.ts: 1 s blocks, 2 confirmations) and runs the worker and the API as child processes.
 * The worker reaches anvil through a counting RPC proxy (test/support/rpc-proxy.ts, no faults), so RPC calls are
 * counted per method. It prints:
 * - payouts/s from the first POST to the last payout completed, and p50/p99 from created to completed;
 * - history events, activity tasks and workflow tasks per payout (every payout's history);
 * - RPC calls per payout (the worker's, through the proxy) and database transactions per payout
 *   (pg_stat_database xact_commit + xact_rollback over the run: every statement outside a transaction is one);
 * - worker and API peak RSS (VmRSS of each process tree, sampled every 0.5 s);
 * - then, on the same Temporal server, the rate of a bare workflow with the same number of activity tasks at the
 *   same concurrency (bench/bare-workflow.ts, in-process worker), and the payouts' rate as a ratio of it, a figure
 *   that holds on any machine.
 * Data and logs go to .data/bench-payouts-*, removed at the end unless the run fails or --keep-data is given.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { Pool } from 'pg';
import { parseEther } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { createApiKey, SCOPES } from '../lib/api-keys';
import { createDb } from '../lib/db';
import { treasurySigner } from '../lib/runtime';
import { freePort } from '../scripts/stack/process';
import { startTestServers } from '../scripts/stack/test-servers';
import { startRpcProxy } from '../test/support/rpc-proxy';
import type { BareActivities } from './bare-workflow';
import { chainClients, noApprovalPolicy, startApi, startWorker } from './engine-processes';
import { TreeMemorySampler } from './process-memory';

const ROOT = path.join(__dirname, '..');
const ACCOUNT = 'acct_bench_payouts';
/** The warm-up's payouts (the worker's first workflow tasks, caches, connection pools) are not measured. */
const WARM_UP_ACCOUNT = 'acct_bench_warm_up';
const WARM_UP_PAYOUTS = 20;
const TERMINAL = ['completed', 'failed', 'canceled', 'expired'];
const log = (message: string) => console.log(`[bench] ${message}`);

function options() {
  const { values } = parseArgs({
    options: {
      payouts: { type: 'string', default: '1000' },
      concurrency: { type: 'string', default: '50' },
      'keep-data': { type: 'boolean', default: process.env.BENCH_KEEP_DATA === '1' },
    },
  });
  const payouts = Number(values.payouts);
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(payouts) || payouts < 1) throw new Error(`--payouts must be a positive integer, got ${values.payouts}`);
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new Error(`--concurrency must be a positive integer, got ${values.concurrency}`);
  return { payouts, concurrency, keepData: values['keep-data'] };
}

/** Creates `count` payouts (ETH and USDC by turns) through the API, `concurrency` at a time; their ids. */
function createPayouts(apiUrl: string, token: string, count: number, concurrency: number, firstRecipient: number): Promise<string[]> {
  return pool(count, concurrency, async (index) => {
    const eth = index % 2 === 0;
    const destination = privateKeyToAccount(`0x${(firstRecipient + index + 1).toString(16).padStart(64, '7')}`).address;
    const response = await fetch(`${apiUrl}/v1/payouts`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() },
      body: JSON.stringify({
        amount: eth ? '0.001' : '1',
        asset: eth ? 'ETH' : 'USDC',
        network: 'local',
        destination,
        purpose: `bench ${index}`,
      }),
    });
    const body = (await response.json()) as { id?: string };
    if (response.status !== 201 || !body.id) throw new Error(`POST /v1/payouts answered ${response.status}: ${JSON.stringify(body)}`);
    return body.id;
  });
}

/** Waits until every payout of `account` has ended, printing the counts by status every second. */
async function untilAllEnded(pg: Pool, account: string, total: number, started: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const { rows } = await pg.query<{ status: string; n: string }>(
      'SELECT status, count(*)::text AS n FROM payouts WHERE account_id = $1 GROUP BY status ORDER BY status',
      [account],
    );
    const done = rows.filter((row) => TERMINAL.includes(row.status)).reduce((sum, row) => sum + Number(row.n), 0);
    const line = rows.map((row) => `${row.status} ${row.n}`).join(', ');
    if (line !== last) log(`${fixed((Date.now() - started) / 1000)} s: ${line}`);
    last = line;
    if (done >= total) return;
    if (Date.now() > deadline) throw new Error(`not every payout ended within ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

/** Runs `total` jobs, at most `concurrency` at once. */
async function pool<T>(total: number, concurrency: number, job: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(total);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, total) }, async () => {
      while (next < total) {
        const index = next++;
        results[index] = await job(index);
      }
    }),
  );
  return results;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const fixed = (value: number, digits = 1) => value.toFixed(digits);
const mb = (kb: number) => `${Math.round(kb / 1024)} MB`;

async function databaseTransactions(pg: Pool): Promise<number> {
  const { rows } = await pg.query<{ n: string }>(
    'SELECT (xact_commit + xact_rollback)::text AS n FROM pg_stat_database WHERE datname = current_database()',
  );
  return Number(rows[0]?.n ?? 0);
}

/** Events, activity tasks and workflow tasks in one workflow's history. */
async function historyCost(client: Client, workflowId: string) {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  return {
    events: events.length,
    activityTasks: events.filter((event) => event.activityTaskScheduledEventAttributes).length,
    workflowTasks: events.filter((event) => event.workflowTaskScheduledEventAttributes).length,
  };
}

/** The bare baseline: `runs` workflows of `activities` no-op activities each, at `concurrency`; workflows/s. */
async function bareRate(address: string, runs: number, activities: number, concurrency: number): Promise<number> {
  const taskQueue = `bench-bare-${randomUUID().slice(0, 8)}`;
  const connection = await NativeConnection.connect({ address });
  const activitiesImpl: BareActivities = { noop: async () => undefined };
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowsPath: require.resolve('./bare-workflow'),
    activities: activitiesImpl,
  });
  const running = worker.run();
  const clientConnection = await Connection.connect({ address });
  const client = new Client({ connection: clientConnection });
  try {
    const started = Date.now();
    await pool(runs, concurrency, (index) =>
      client.workflow.execute('bareWorkflow', { taskQueue, workflowId: `${taskQueue}-${index}`, args: [activities] }),
    );
    return runs / ((Date.now() - started) / 1000);
  } finally {
    worker.shutdown();
    await running.catch(() => undefined);
    await clientConnection.close();
    await connection.close();
  }
}

async function main(): Promise<number> {
  const { payouts, concurrency, keepData } = options();
  const benchStarted = Date.now();
  fs.mkdirSync(path.join(ROOT, '.data'), { recursive: true });
  const runDir = fs.mkdtempSync(path.join(ROOT, '.data', 'bench-payouts-'));
  let keep = keepData;
  const running: { stop(): Promise<unknown> }[] = [];
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      for (const server of running.reverse()) await server.stop().catch(() => undefined);
    })());
  const interrupted = (signal: string, code: number) => {
    log(`${signal}: stopping the worker, the API and the servers`);
    void stopAll().then(() => process.exit(code));
  };
  process.on('SIGINT', () => interrupted('interrupted', 130));
  process.on('SIGTERM', () => interrupted('terminated', 143));
  Runtime.install({ logger: new DefaultLogger('ERROR') });

  try {
    log(`${os.cpus().length} cpu, node ${process.version}; ${payouts} payouts (half ETH, half USDC), ${concurrency} at a time`);
    const servers = await startTestServers({ runDir, log });
    running.push(servers);
    const rpcUrl = servers.env.ANVIL_RPC_URL!;
    const proxy = await startRpcProxy({ upstream: rpcUrl, seed: 1 });
    running.push(proxy);
    const apiPort = await freePort();
    const env: NodeJS.ProcessEnv = { ...servers.env, API_PORT: String(apiPort), API_HOST: '127.0.0.1' };
    const workerEnv: NodeJS.ProcessEnv = { ...env, LOCAL_RPC_URLS: proxy.url };

    log('starting the worker (through the counting RPC proxy) and the API as child processes');
    const [worker, api] = await Promise.all([startWorker(workerEnv, runDir), startApi(env, runDir, apiPort)]);
    running.push(api, worker);
    const workerMemory = new TreeMemorySampler(worker.pid).start();
    const apiMemory = new TreeMemorySampler(api.pid).start();
    running.push({ stop: async () => (workerMemory.stop(), apiMemory.stop()) });

    const db = createDb(env.DATABASE_URL!, { maxConnections: 1 });
    const [key, warmUpKey] = await Promise.all(
      [ACCOUNT, WARM_UP_ACCOUNT].map((accountId) =>
        createApiKey(db, { accountId, actor: 'bench', scopes: SCOPES, rateLimitPerMinute: 1_000_000 }),
      ),
    ).finally(() => db.$disconnect());
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    await Promise.all([noApprovalPolicy(apiUrl, key!.token), noApprovalPolicy(apiUrl, warmUpKey!.token)]);
    const chain = chainClients(rpcUrl);
    const treasury = (await treasurySigner(env)).address;
    await chain.testClient.setBalance({ address: treasury, value: parseEther('1000') + BigInt(payouts) * parseEther('0.001') });
    const pg = new Pool({ connectionString: env.DATABASE_URL, max: 2 });
    pg.on('error', () => undefined);
    running.push({ stop: () => pg.end() });

    log(`warm-up: ${WARM_UP_PAYOUTS} payouts, not measured`);
    const warmUpStarted = Date.now();
    await createPayouts(apiUrl, warmUpKey!.token, WARM_UP_PAYOUTS, concurrency, 1_000_000);
    await untilAllEnded(pg, WARM_UP_ACCOUNT, WARM_UP_PAYOUTS, warmUpStarted, 300_000);

    const transactionsBefore = await databaseTransactions(pg);
    proxy.resetStats();
    workerMemory.reset();
    apiMemory.reset();
    const started = Date.now();
    const ids = await createPayouts(apiUrl, key!.token, payouts, concurrency, 0);
    log(`${payouts} payouts created in ${fixed((Date.now() - started) / 1000)} s; waiting for every one to end`);
    await untilAllEnded(pg, ACCOUNT, payouts, started, Math.max(600_000, payouts * 2_000));

    const { rows: timings } = await pg.query<{ status: string; ms: string; completed: Date | null }>(
      `SELECT status, EXTRACT(EPOCH FROM (completed_at - created_at)) * 1000 AS ms, completed_at AS completed
       FROM payouts WHERE account_id = $1`,
      [ACCOUNT],
    );
    const transactions = (await databaseTransactions(pg)) - transactionsBefore;
    const rpc = proxy.stats();
    const rpcCalls = Object.values(rpc.methods).reduce((sum, method) => sum + method.received, 0);
    const completed = timings.filter((row) => row.status === 'completed');
    const lastCompleted = Math.max(...completed.map((row) => row.completed!.getTime()));
    const wallSeconds = (lastCompleted - started) / 1000;
    const latencies = completed.map((row) => Number(row.ms)).sort((a, b) => a - b);
    const workerPeak = workerMemory.report();
    const apiPeak = apiMemory.report();

    const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS! });
    const client = new Client({ connection });
    const costs = await pool(ids.length, 20, (index) => historyCost(client, `payout-${ids[index]}`));
    await connection.close();
    const mean = (pick: (cost: (typeof costs)[number]) => number) => costs.reduce((sum, cost) => sum + pick(cost), 0) / costs.length;
    const activityTasks = mean((cost) => cost.activityTasks);

    const bareRuns = Math.min(payouts, 300);
    log(`bare baseline: ${bareRuns} workflows of ${Math.round(activityTasks)} no-op activities, ${concurrency} at a time`);
    const bare = await bareRate(env.TEMPORAL_ADDRESS!, bareRuns, Math.round(activityTasks), concurrency);
    const rate = completed.length / wallSeconds;

    const topMethods = Object.entries(rpc.methods)
      .sort(([, a], [, b]) => b.received - a.received)
      .slice(0, 6)
      .map(([method, stats]) => `${method} ${fixed(stats.received / payouts)}`)
      .join(', ');
    console.log(`
Single payouts through the API (local anvil, 1 s blocks, ${env.CONFIRMATIONS} confirmations, poll ${env.CHAIN_POLL_INTERVAL_MS} ms; ${os.cpus().length} cpu):
  payouts                 ${payouts} (${completed.length} completed, ${payouts - completed.length} other), ${concurrency} at a time
  end to end              ${fixed(rate, 2)} payouts/s (first POST to last completed: ${fixed(wallSeconds)} s)
  created -> completed    p50 ${fixed(quantile(latencies, 0.5) / 1000, 2)} s, p99 ${fixed(quantile(latencies, 0.99) / 1000, 2)} s
  per payout              ${fixed(mean((cost) => cost.events))} history events, ${fixed(activityTasks)} activity tasks, ${fixed(mean((cost) => cost.workflowTasks))} workflow tasks
                          ${fixed(rpcCalls / payouts)} RPC calls by the worker (${topMethods})
                          ${fixed(transactions / payouts)} database transactions (all processes)
  peak RSS                worker ${mb(workerPeak.peakTreeRssKb)}, API ${mb(apiPeak.peakTreeRssKb)}
  bare workflow           ${fixed(bare, 2)} workflows/s with ${Math.round(activityTasks)} no-op activities each, same server and concurrency
  ratio                   ${fixed((100 * rate) / bare, 0)} % of the bare workflow's rate`);
    log(`finished in ${fixed((Date.now() - benchStarted) / 1000)} s`);
    return completed.length === payouts ? 0 : 1;
  } catch (error) {
    console.error(`\n[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    keep = true;
    return 1;
  } finally {
    await stopAll();
    if (keep) log(`data and logs kept in ${runDir}`);
    else fs.rmSync(runDir, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code));
