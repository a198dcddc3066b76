/**
 * Benchmark: how fast can the treasury hot wallet hand out nonces, serialized across
 * every payout workflow and worker process?
 *
 *   A. row lock (what activities/delivery/transfer.ts prepareTransfer does): one PostgreSQL
 *      transaction per allocation: SELECT next_nonce ... FOR UPDATE, check for a raced
 *      row, sign (simulated, inside the lock), INSERT chain_transactions, UPDATE next_nonce, COMMIT.
 *      Run from one process (pg Pool) and from two processes sharing the same row.
 *   B. entity workflow (bench/nonce-entity-workflow.ts): one workflow per wallet owns
 *      `next` and answers the `allocate` Update; the caller then signs (simulated) and
 *      INSERTs the same chain_transactions row, outside any lock.
 *
 * Every row uses a fresh wallet, and afterwards checks that the nonces are unique and
 * gap-free 0..N-1, both as returned to the callers and as stored in chain_transactions.
 *
 * Starts its own PostgreSQL (fast mode) and Temporal dev server under .data/bench-*,
 * stops them at the end, on Ctrl-C and on errors.
 *
 *   npx tsx bench/nonce-allocation.ts
 *
 * Knobs (env, defaults in brackets): BENCH_ALLOCATIONS [1500 per row-lock row],
 * BENCH_ENTITY_ALLOCATIONS [1200 per entity row: crosses one continue-as-new],
 * BENCH_CONCURRENCY [1,10,50,200], BENCH_TWO_PROC_CONCURRENCY [50,200],
 * BENCH_LIMITED_CONCURRENCY [50,200] (entity callers behind a 10-permit semaphore),
 * BENCH_SIGN_MS [2], BENCH_POOL [20], BENCH_CAN_AFTER [1000], BENCH_ROW_TIMEOUT_S [15],
 * BENCH_KEEP_DATA=1 keeps .data/bench-* (servers' logs).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { Pool } from 'pg';
import { migrate } from '../prisma/migrate';
import { startPostgres } from '../scripts/stack/postgres';
import { freePort } from '../scripts/stack/process';
import { ensureTemporalBinary, startTemporal } from '../scripts/stack/temporal';
import { allocateUpdate, nextNonceQuery, nonceEntityWorkflow } from './nonce-entity-workflow';

// ---------------------------------------------------------------- settings

const ROOT = path.join(__dirname, '..');
const NETWORK = 'bench';
const TASK_QUEUE = 'bench-nonce-entity';
/** The server's per-workflow limit on in-flight updates (dynamic config history.maxInFlightUpdates, default 10). */
const SERVER_MAX_IN_FLIGHT_UPDATES = 10;
/** gRPC status codes the entity caller retries; each means the update was not admitted, so giving up allocates nothing. */
const GRPC_RESOURCE_EXHAUSTED = 8; // in-flight update limit reached
const GRPC_FAILED_PRECONDITION = 9; // WorkflowNotReady: the workflow task keeps failing
const GRPC_UNAVAILABLE = 14; // "workflow update was aborted": the server dropped its update registry

const ALLOCATIONS = intEnv('BENCH_ALLOCATIONS', 1500);
const ENTITY_ALLOCATIONS = intEnv('BENCH_ENTITY_ALLOCATIONS', 1200);
const CONCURRENCIES = listEnv('BENCH_CONCURRENCY', '1,10,50,200');
const TWO_PROC_CONCURRENCIES = listEnv('BENCH_TWO_PROC_CONCURRENCY', '50,200');
const LIMITED_CONCURRENCIES = listEnv('BENCH_LIMITED_CONCURRENCY', '50,200');
const SIGN_MS = intEnv('BENCH_SIGN_MS', 2);
const POOL_SIZE = intEnv('BENCH_POOL', 20);
const CONTINUE_AS_NEW_AFTER = intEnv('BENCH_CAN_AFTER', 1000);
const ROW_TIMEOUT_MS = intEnv('BENCH_ROW_TIMEOUT_S', 15) * 1000;

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name}=${raw} is not a non-negative integer`);
  return value;
}

function listEnv(name: string, fallback: string): number[] {
  const raw = process.env[name] ?? fallback;
  const values = raw
    .split(',')
    .filter((value) => value.trim() !== '')
    .map((value) => Number(value.trim()));
  if (values.some((value) => !Number.isInteger(value) || value < 1)) throw new Error(`${name}=${raw} is not a list of positive integers`);
  return values;
}

const log = (message: string) => console.log(`[bench] ${message}`);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const now = () => performance.now();

// ---------------------------------------------------------------- measurement

interface OpResult {
  nonce: number;
  /** Attempts that were refused and tried again (entity: RESOURCE_EXHAUSTED). */
  retries: number;
  /** Time spent allocating only (entity: the Update call), ms. */
  allocateMs?: number;
  generation?: number;
}

interface RunResult {
  latencies: number[];
  allocateLatencies: number[];
  nonces: number[];
  generations: number[];
  errors: number;
  retries: number;
  seconds: number;
  timedOut: boolean;
  /** Operations that gave up after the row's deadline without allocating anything. */
  gaveUp: number;
  firstError?: string;
}

/** Thrown by an operation that stops retrying at the row's deadline; it allocated nothing. */
class GaveUp extends Error {}

/**
 * `count` operations from `concurrency` loops, latency per operation. After ROW_TIMEOUT_MS no
 * new operation starts (the row is reported as stopped), and operations may give up retrying.
 */
async function runAllocators(
  count: number,
  concurrency: number,
  op: (index: number, deadline: number) => Promise<OpResult>,
  onProgress?: (done: number) => void,
): Promise<RunResult> {
  const result: RunResult = {
    latencies: [],
    allocateLatencies: [],
    nonces: [],
    generations: [],
    errors: 0,
    retries: 0,
    seconds: 0,
    timedOut: false,
    gaveUp: 0,
  };
  let claimed = 0;
  const started = now();
  const deadline = started + ROW_TIMEOUT_MS;
  const loop = async () => {
    while (claimed < count) {
      if (now() > deadline) {
        result.timedOut = true;
        return;
      }
      const index = claimed++;
      const t0 = now();
      try {
        const done = await op(index, deadline);
        result.latencies.push(now() - t0);
        result.nonces.push(done.nonce);
        result.retries += done.retries;
        if (done.allocateMs !== undefined) result.allocateLatencies.push(done.allocateMs);
        if (done.generation !== undefined) result.generations.push(done.generation);
      } catch (error) {
        if (error instanceof GaveUp) {
          result.gaveUp += 1;
          result.timedOut = true;
          continue;
        }
        result.errors += 1;
        result.firstError ??= error instanceof Error ? error.message : String(error);
      }
      onProgress?.(result.nonces.length);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  result.seconds = (now() - started) / 1000;
  return result;
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

interface Verification {
  ok: boolean;
  text: string;
}

/** Nonces handed out must be exactly 0..N-1: no duplicate, no hole. */
function verifyNonces(nonces: number[]): Verification {
  const sorted = [...nonces].sort((a, b) => a - b);
  let duplicates = 0;
  for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) duplicates++;
  const distinct = sorted.length - duplicates;
  const max = sorted.length ? sorted[sorted.length - 1]! : -1;
  const min = sorted.length ? sorted[0]! : 0;
  const gaps = max + 1 - distinct;
  const problems: string[] = [];
  if (duplicates) problems.push(`${duplicates} duplicate`);
  if (min !== 0) problems.push(`starts at ${min}`);
  if (gaps) problems.push(`${gaps} missing`);
  return problems.length ? { ok: false, text: problems.join(', ') } : { ok: true, text: `0..${max} unique, gap-free` };
}

/** The same check on what the database holds: chain_transactions rows and wallet_nonces.next_nonce / the entity's `next`. */
async function verifyStored(pool: Pool, address: string, expected: number, nextNonce: number): Promise<Verification> {
  const { rows } = await pool.query<{ n: number; d: number; min: string | null; max: string | null }>(
    `SELECT count(*)::int AS n, count(DISTINCT nonce)::int AS d, min(nonce) AS min, max(nonce) AS max
       FROM chain_transactions WHERE network = $1 AND from_address = $2`,
    [NETWORK, address],
  );
  const row = rows[0]!;
  const max = row.max === null ? -1 : Number(row.max);
  const min = row.min === null ? 0 : Number(row.min);
  const ok = row.n === expected && row.d === expected && min === 0 && max === expected - 1 && nextNonce === expected;
  return {
    ok,
    text: ok
      ? `db: ${row.n} rows, nonces 0..${max}, next=${nextNonce}`
      : `db MISMATCH: ${row.n} rows, ${row.d} distinct, min ${min}, max ${max}, next=${nextNonce}, expected ${expected}`,
  };
}

// ---------------------------------------------------------------- shared pieces

interface Wallet {
  network: string;
  address: string;
}

function newWallet(): Wallet {
  return { network: NETWORK, address: `0x${randomBytes(20).toString('hex')}` };
}

/** Stand-in for signer.signTransaction: SIGN_MS of latency (a KMS call or a secp256k1 signature), then some bytes. */
async function simulateSign(wallet: Wallet, nonce: number, payoutId: string): Promise<{ rawTx: string; txHash: string }> {
  await sleep(SIGN_MS);
  const rawTx = '0x02' + createHash('sha256').update(`${wallet.address}:${nonce}:${payoutId}`).digest('hex');
  return { rawTx, txHash: '0x' + createHash('sha256').update(rawTx).digest('hex') };
}

const INSERT_TX = `
  INSERT INTO chain_transactions
    (payout_id, network, from_address, nonce, tx_hash, raw_tx, gas_limit, max_fee_per_gas, max_priority_fee_per_gas, state)
  VALUES ($1, $2, $3, $4, $5, $6, 21000, 2000000000, 1000000000, 'signed')`;

/**
 * Row-lock allocation, statement for statement what prepareTransfer runs in its
 * Prisma interactive transaction (here on a plain pg client from the pool).
 */
async function rowLockAllocate(pool: Pool, wallet: Wallet, payoutId: string): Promise<OpResult> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ next_nonce: string }>(
      'SELECT next_nonce FROM wallet_nonces WHERE network = $1 AND address = $2 FOR UPDATE',
      [wallet.network, wallet.address],
    );
    if (rows.length === 0) throw new Error(`no wallet_nonces row for ${wallet.address}`);
    const raced = await client.query('SELECT 1 FROM chain_transactions WHERE payout_id = $1', [payoutId]);
    if (raced.rowCount) throw new Error(`payout ${payoutId} already has a transaction`);
    const nonce = Number(rows[0]!.next_nonce);
    const { rawTx, txHash } = await simulateSign(wallet, nonce, payoutId);
    await client.query(INSERT_TX, [payoutId, wallet.network, wallet.address, nonce, txHash, rawTx]);
    await client.query('UPDATE wallet_nonces SET next_nonce = $3, updated_at = now() WHERE network = $1 AND address = $2', [
      wallet.network,
      wallet.address,
      nonce + 1,
    ]);
    await client.query('COMMIT');
    return { nonce, retries: 0 };
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
    throw error;
  } finally {
    client.release(broken);
  }
}

async function createWalletRow(pool: Pool, wallet: Wallet): Promise<void> {
  await pool.query('INSERT INTO wallet_nonces (network, address, next_nonce) VALUES ($1, $2, 0)', [wallet.network, wallet.address]);
}

async function walletNextNonce(pool: Pool, wallet: Wallet): Promise<number> {
  const { rows } = await pool.query<{ next_nonce: string }>('SELECT next_nonce FROM wallet_nonces WHERE network = $1 AND address = $2', [
    wallet.network,
    wallet.address,
  ]);
  return Number(rows[0]?.next_nonce ?? -1);
}

// ---------------------------------------------------------------- two-process row lock

/** What the parent tells a child process (env BENCH_CHILD, JSON). */
interface ChildConfig {
  databaseUrl: string;
  wallet: Wallet;
  count: number;
  concurrency: number;
  poolSize: number;
  payoutPrefix: string;
}

/**
 * Child mode: a separate OS process with its own pg pool, allocating from the same
 * wallet row as its sibling. Says `ready`, waits for `go` on stdin, prints `progress n`
 * lines and finally `result {json}`.
 */
async function childMain(): Promise<void> {
  const config = JSON.parse(process.env.BENCH_CHILD ?? '') as ChildConfig;
  const pool = new Pool({ connectionString: config.databaseUrl, max: config.poolSize });
  pool.on('error', () => {});
  await Promise.all(Array.from({ length: config.poolSize }, () => pool.query('SELECT 1')));
  const lines = readline.createInterface({ input: process.stdin });
  const go = new Promise<void>((resolve) => lines.on('line', (line) => line.trim() === 'go' && resolve()));
  process.stdout.write('ready\n');
  await go;
  let lastReport = 0;
  const result = await runAllocators(
    config.count,
    config.concurrency,
    (index) => rowLockAllocate(pool, config.wallet, `${config.payoutPrefix}-${index}`),
    (done) => {
      if (done - lastReport >= 100) {
        lastReport = done;
        process.stdout.write(`progress ${done}\n`);
      }
    },
  );
  process.stdout.write(`result ${JSON.stringify(result)}\n`);
  lines.close();
  await pool.end();
}

interface ChildHandle {
  child: ChildProcess;
  ready: Promise<void>;
  result: Promise<RunResult>;
  done: number;
}

const children = new Set<ChildProcess>();

function spawnChild(config: ChildConfig): ChildHandle {
  // Same node, same tsx loader flags, this file, child mode.
  const child = spawn(process.execPath, [...process.execArgv, __filename, '--row-lock-child'], {
    cwd: ROOT,
    env: { ...process.env, BENCH_CHILD: JSON.stringify(config) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const handle: Partial<ChildHandle> = { child, done: 0 };
  let onReady: () => void = () => {};
  let onResult: (result: RunResult) => void = () => {};
  const exitError = (code: number | null) => new Error(`row-lock child process exited with code ${String(code)} before reporting`);
  handle.ready = new Promise<void>((resolve, reject) => {
    onReady = resolve;
    child.on('exit', (code) => reject(exitError(code)));
  });
  handle.result = new Promise<RunResult>((resolve, reject) => {
    onResult = resolve;
    child.on('exit', (code) => reject(exitError(code)));
  });
  const lines = readline.createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    if (line === 'ready') onReady();
    else if (line.startsWith('progress ')) handle.done = Number(line.slice('progress '.length));
    else if (line.startsWith('result ')) onResult(JSON.parse(line.slice('result '.length)) as RunResult);
  });
  return handle as ChildHandle;
}

async function runTwoProcesses(databaseUrl: string, pool: Pool, concurrency: number, progress: Progress): Promise<RowResult> {
  const wallet = newWallet();
  await createWalletRow(pool, wallet);
  const half = Math.floor(ALLOCATIONS / 2);
  const counts = [half, ALLOCATIONS - half];
  const handles = counts.map((count, i) =>
    spawnChild({
      databaseUrl,
      wallet,
      count,
      concurrency: Math.max(1, Math.floor(concurrency / 2)),
      poolSize: Math.max(1, Math.floor(POOL_SIZE / 2)),
      payoutPrefix: `p${i}-${wallet.address}`,
    }),
  );
  await Promise.all(handles.map((handle) => handle.ready));
  const started = now();
  for (const handle of handles) handle.child.stdin!.write('go\n');
  progress.start(() => handles.reduce((sum, handle) => sum + handle.done, 0));
  const results = await Promise.all(handles.map((handle) => handle.result)).finally(() => progress.stop());
  for (const handle of handles) handle.child.stdin!.end();
  const merged: RunResult = {
    latencies: results.flatMap((r) => r.latencies),
    allocateLatencies: [],
    nonces: results.flatMap((r) => r.nonces),
    generations: [],
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    retries: results.reduce((sum, r) => sum + r.retries, 0),
    seconds: (now() - started) / 1000,
    timedOut: results.some((r) => r.timedOut),
    gaveUp: results.reduce((sum, r) => sum + r.gaveUp, 0),
    firstError: results.find((r) => r.firstError)?.firstError,
  };
  const perProcess = results.map((r) => r.nonces.length).join('+');
  const stored = await verifyStored(pool, wallet.address, merged.nonces.length, await walletNextNonce(pool, wallet));
  return summarize('row lock, 2 procs', concurrency, merged, stored, `${perProcess} allocations per process`);
}

// ---------------------------------------------------------------- entity workflow

function grpcCode(error: unknown): number | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function describeError(error: unknown): string {
  const cause = (error as { cause?: { details?: unknown; message?: unknown } }).cause;
  const detail = typeof cause?.details === 'string' ? cause.details : typeof cause?.message === 'string' ? cause.message : '';
  const message = error instanceof Error ? error.message : String(error);
  return detail ? `${message}: ${detail}` : message;
}

/** Counts per refusal kind, and the first message of each. */
class Refusals {
  readonly counts = new Map<string, number>();
  add(kind: string): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
  }
  get(kind: string): number {
    return this.counts.get(kind) ?? 0;
  }
  total(): number {
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }
  describe(): string {
    return [...this.counts].map(([kind, count]) => `${count} x ${kind}`).join(', ');
  }
}

/** A counting semaphore: the caller-side "at most N updates in flight" variant. */
class Semaphore {
  private waiters: (() => void)[] = [];
  constructor(private permits: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.permits > 0) this.permits--;
    else await new Promise<void>((resolve) => this.waiters.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.waiters.shift();
      if (next) next();
      else this.permits++;
    }
  }
}

/** Jittered exponential backoff: 10, 20, 40 ... 250 ms, each +-50%. */
const backoffMs = (attempt: number) => Math.min(250, 10 * 2 ** attempt) * (0.5 + Math.random());

const REFUSAL_KINDS: Record<number, string> = {
  [GRPC_RESOURCE_EXHAUSTED]: 'RESOURCE_EXHAUSTED (in-flight limit)',
  [GRPC_UNAVAILABLE]: 'UNAVAILABLE (update aborted)',
  [GRPC_FAILED_PRECONDITION]: 'FAILED_PRECONDITION (workflow task failing)',
};

/**
 * One allocation through the entity workflow: the `allocate` Update, then sign and store
 * the transaction outside any lock. A refused Update (see REFUSAL_KINDS: none of them was
 * admitted, so nothing was allocated) is retried with backoff under the same update id,
 * until the row's deadline; after it the caller gives up.
 */
async function entityAllocate(
  handle: WorkflowHandle<typeof nonceEntityWorkflow>,
  pool: Pool,
  wallet: Wallet,
  payoutId: string,
  deadline: number,
  refusals: Refusals,
  limiter?: Semaphore,
): Promise<OpResult> {
  const updateId = randomUUID(); // the server deduplicates a repeat within the run
  const t0 = now();
  let retries = 0;
  let allocation: { nonce: number; generation: number } | undefined;
  for (let attempt = 0; !allocation; attempt++) {
    try {
      const call = () => handle.executeUpdate(allocateUpdate, { updateId });
      allocation = await (limiter ? limiter.run(call) : call());
    } catch (error) {
      const kind = REFUSAL_KINDS[grpcCode(error) ?? -1];
      if (!kind) throw new Error(describeError(error), { cause: error });
      refusals.add(kind);
      if (now() > deadline) throw new GaveUp(kind);
      retries++;
      await sleep(backoffMs(attempt));
    }
  }
  const allocateMs = now() - t0;
  const { rawTx, txHash } = await simulateSign(wallet, allocation.nonce, payoutId);
  await pool.query(INSERT_TX, [payoutId, wallet.network, wallet.address, allocation.nonce, txHash, rawTx]);
  return { nonce: allocation.nonce, retries, allocateMs, generation: allocation.generation };
}

/** "Task not found when completing" warnings from the worker: its workflow task was dropped by the server. */
let workflowTasksLost = 0;

async function runEntity(
  client: Client,
  pool: Pool,
  options: { method: string; concurrency: number; count: number; maxInFlight?: number; progress: Progress },
): Promise<RowResult> {
  const { method, concurrency, count, maxInFlight, progress } = options;
  const wallet = newWallet();
  const handle = await client.workflow.start(nonceEntityWorkflow, {
    workflowId: `wallet-nonces-${wallet.network}-${wallet.address}`,
    taskQueue: TASK_QUEUE,
    args: [{ next: 0, continueAsNewAfter: CONTINUE_AS_NEW_AFTER, generation: 0 }],
  });
  // Wait for the first workflow task, so the row measures allocations, not the start.
  await handle.query(nextNonceQuery);
  const current = client.workflow.getHandle<typeof nonceEntityWorkflow>(handle.workflowId); // no run id: follows continue-as-new
  const refusals = new Refusals();
  const limiter = maxInFlight ? new Semaphore(maxInFlight) : undefined;
  const lostBefore = workflowTasksLost;
  let done = 0;
  progress.start(
    () => done,
    () => `${refusals.total()} refused updates retried, ${workflowTasksLost - lostBefore} workflow tasks lost`,
  );
  const result = await runAllocators(
    count,
    concurrency,
    (index, deadline) => entityAllocate(current, pool, wallet, `e-${wallet.address}-${index}`, deadline, refusals, limiter),
    (n) => (done = n),
  ).finally(() => progress.stop());
  const next = await current.query(nextNonceQuery);
  const stored = await verifyStored(pool, wallet.address, result.nonces.length, next);
  await current.terminate('benchmark row finished').catch(() => undefined);
  const runs = new Set(result.generations).size;
  const sortedAllocate = [...result.allocateLatencies].sort((a, b) => a - b);
  const notes = [
    maxInFlight ? `${concurrency} callers share ${maxInFlight} update permits (client-side semaphore)` : '',
    `refusals retried: ${refusals.describe() || 'none'}`,
    result.gaveUp ? `${result.gaveUp} callers gave up after the deadline (never admitted, nothing allocated)` : '',
    workflowTasksLost > lostBefore ? `${workflowTasksLost - lostBefore} workflow tasks lost ("Task not found when completing")` : '',
    `update alone p50/p99 ${fmt(percentile(sortedAllocate, 0.5))}/${fmt(percentile(sortedAllocate, 0.99))} ms`,
    `${runs} run${runs === 1 ? '' : 's'} (continue-as-new every ${CONTINUE_AS_NEW_AFTER})`,
  ].filter(Boolean);
  return summarize(method, concurrency, result, stored, notes.join('; '));
}

// ---------------------------------------------------------------- reporting

interface RowResult {
  method: string;
  concurrency: number;
  allocations: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  retries: number;
  /** Stopped at the row time limit before reaching its allocation count. */
  stopped: boolean;
  verified: Verification;
  notes: string;
}

function fmt(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

function summarize(method: string, concurrency: number, run: RunResult, stored: Verification, notes: string): RowResult {
  const sorted = [...run.latencies].sort((a, b) => a - b);
  const nonceCheck = verifyNonces(run.nonces);
  const verified = { ok: nonceCheck.ok && stored.ok, text: `${nonceCheck.text}; ${stored.text}` };
  const extra = [
    notes,
    run.timedOut ? `STOPPED after ${ROW_TIMEOUT_MS / 1000} s` : '',
    run.firstError ? `first error: ${run.firstError}` : '',
  ]
    .filter(Boolean)
    .join('; ');
  const row: RowResult = {
    method,
    concurrency,
    allocations: run.nonces.length,
    seconds: run.seconds,
    perSecond: run.nonces.length / run.seconds,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    errors: run.errors,
    retries: run.retries,
    stopped: run.timedOut,
    verified,
    notes: extra,
  };
  log(
    `${method} c=${concurrency}: ${row.allocations} in ${fmt(row.seconds, 2)} s = ${fmt(row.perSecond, 0)}/s, ` +
      `p50 ${fmt(row.p50)} p95 ${fmt(row.p95)} p99 ${fmt(row.p99)} ms, errors ${row.errors}, retries ${row.retries}; ` +
      `${verified.ok ? 'OK' : 'FAILED'}: ${verified.text}${extra ? `; ${extra}` : ''}`,
  );
  return row;
}

function printTable(rows: RowResult[]): void {
  const header = ['method', 'conc', 'allocs', 'seconds', 'allocs/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors/retries', 'unique+gap-free'];
  const body = rows.map((row) => [
    row.method,
    String(row.concurrency),
    `${row.allocations}${row.stopped ? '*' : ''}`,
    fmt(row.seconds, 2),
    fmt(row.perSecond, 0),
    fmt(row.p50),
    fmt(row.p95),
    fmt(row.p99),
    `${row.errors}/${row.retries}`,
    row.verified.ok ? 'yes' : 'NO',
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...body.map((cells) => cells[i]!.length)));
  const line = (cells: string[]) =>
    '| ' + cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' | ') + ' |';
  console.log('');
  console.log(line(header));
  console.log('|' + widths.map((width, i) => (i === 0 ? ':' + '-'.repeat(width + 1) : '-'.repeat(width + 1) + ':')).join('|') + '|');
  for (const cells of body) console.log(line(cells));
  if (rows.some((row) => row.stopped)) console.log(`\n* stopped at the ${ROW_TIMEOUT_MS / 1000} s row time limit`);
  console.log('');
}

/** A progress line every 2 s while a row runs. */
class Progress {
  private timer?: NodeJS.Timeout;
  constructor(
    private readonly label: string,
    private readonly total = ALLOCATIONS,
  ) {}
  start(done: () => number, extra?: () => string): void {
    const started = now();
    this.timer = setInterval(() => {
      const n = done();
      const seconds = (now() - started) / 1000;
      log(`  ${this.label}: ${n}/${this.total} after ${fmt(seconds)} s (${fmt(n / seconds, 0)}/s)${extra ? `, ${extra()}` : ''}`);
    }, 2000);
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

// ---------------------------------------------------------------- main

interface Stoppable {
  stop(): Promise<void>;
}

async function setUpSchema(databaseUrl: string, pool: Pool): Promise<void> {
  try {
    const { applied } = await migrate(databaseUrl);
    log(`schema: applied ${applied.length} project migrations (real wallet_nonces and chain_transactions tables)`);
  } catch (error) {
    // Someone may be mid-way through editing a migration; the benchmark only needs two tables.
    log(`project migrations failed (${(error as Error).message.split('\n')[0]}); creating the two tables by hand`);
    await pool.query(`
      CREATE TABLE IF NOT EXISTS wallet_nonces (
        network TEXT NOT NULL, address TEXT NOT NULL, next_nonce BIGINT NOT NULL,
        updated_at TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY (network, address));
      CREATE TABLE IF NOT EXISTS chain_transactions (
        payout_id TEXT PRIMARY KEY, network TEXT NOT NULL, from_address TEXT NOT NULL, nonce BIGINT NOT NULL,
        tx_hash TEXT NOT NULL UNIQUE, raw_tx TEXT NOT NULL, gas_limit DECIMAL(78,0) NOT NULL,
        max_fee_per_gas DECIMAL(78,0) NOT NULL, max_priority_fee_per_gas DECIMAL(78,0) NOT NULL, state TEXT NOT NULL,
        broadcast_at TIMESTAMPTZ(3), created_at TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
        UNIQUE (network, from_address, nonce));`);
  }
}

async function measureSleep(): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = now();
    await sleep(SIGN_MS);
    samples.push(now() - t0);
  }
  return samples.reduce((a, b) => a + b, 0) / samples.length;
}

async function main(): Promise<number> {
  const started = Date.now();
  const running: Stoppable[] = [];
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      for (const child of children) child.kill('SIGTERM');
      for (const server of running.reverse()) await server.stop().catch(() => undefined);
    })());
  fs.mkdirSync(path.join(ROOT, '.data'), { recursive: true });
  const runDir = fs.mkdtempSync(path.join(ROOT, '.data', 'bench-'));
  let keep = Boolean(process.env.BENCH_KEEP_DATA);
  const interrupted = (signal: string, code: number) => {
    log(`${signal}: stopping servers`);
    void stopAll().then(() => {
      if (!keep) fs.rmSync(runDir, { recursive: true, force: true });
      process.exit(code);
    });
  };
  process.on('SIGINT', () => interrupted('interrupted', 130));
  process.on('SIGTERM', () => interrupted('terminated', 143));
  try {
    log(
      `${os.cpus().length} cpu (${os.cpus()[0]?.model ?? '?'}), node ${process.version}; allocations per row: ` +
        `${ALLOCATIONS} row lock, ${ENTITY_ALLOCATIONS} entity; concurrency ${CONCURRENCIES.join('/')}; sign ${SIGN_MS} ms; ` +
        `pool ${POOL_SIZE}; row time limit ${ROW_TIMEOUT_MS / 1000} s; data in ${path.relative(ROOT, runDir)}`,
    );
    const temporalBinary = await ensureTemporalBinary(log);
    const [postgres, temporal] = await Promise.all([
      freePort().then((port) =>
        startPostgres({ dataDir: path.join(runDir, 'postgres'), port, logFile: path.join(runDir, 'postgres.log'), log, fast: true }).then(
          (server) => (running.push(server), server),
        ),
      ),
      Promise.all([freePort(), freePort()]).then(([port, uiPort]) =>
        startTemporal({
          binary: temporalBinary,
          dbFile: path.join(runDir, 'temporal.sqlite'),
          port,
          uiPort,
          logFile: path.join(runDir, 'temporal.log'),
          log,
        }).then((server) => (running.push(server), server)),
      ),
    ]);

    const pool = new Pool({ connectionString: postgres.url, max: POOL_SIZE });
    pool.on('error', () => {});
    running.push({ stop: () => pool.end() });
    await setUpSchema(postgres.url, pool);
    const { rows: version } = await pool.query<{ server_version: string }>('SHOW server_version');
    log(`postgres ${version[0]?.server_version}; simulated sign step: setTimeout(${SIGN_MS}) takes ${fmt(await measureSleep(), 2)} ms`);

    // Core's warnings come through this logger; count the dropped workflow tasks instead of printing each one.
    Runtime.install({
      logger: new DefaultLogger('WARN', (entry) => {
        if (entry.message.includes('Task not found when completing')) workflowTasksLost++;
        else if (!entry.message.includes('No activities registered')) console.error(`[worker] ${entry.level} ${entry.message}`);
      }),
      telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } },
    });
    const nativeConnection = await NativeConnection.connect({ address: temporal.address });
    running.push({ stop: () => nativeConnection.close() });
    log('bundling the entity workflow and starting a worker');
    const worker = await Worker.create({
      connection: nativeConnection,
      taskQueue: TASK_QUEUE,
      workflowsPath: require.resolve('./nonce-entity-workflow'),
    });
    const workerRun = worker.run();
    running.push({
      stop: async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await workerRun.catch(() => undefined);
      },
    });
    // No retry interceptor: the SDK's default would retry RESOURCE_EXHAUSTED itself (1 s first backoff), hiding
    // the in-flight limit; here it surfaces and entityAllocate retries it quickly and counts it.
    const connection = await Connection.connect({ address: temporal.address, interceptors: [] });
    running.push({ stop: () => connection.close() });
    const client = new Client({ connection });

    log('warm-up (not reported)');
    const warmWallet = newWallet();
    await createWalletRow(pool, warmWallet);
    await runAllocators(200, POOL_SIZE, (i) => rowLockAllocate(pool, warmWallet, `warm-${i}`));
    await runEntity(client, pool, { method: 'warm-up', concurrency: 10, count: 200, progress: new Progress('warm-up', 200) });

    const rows: RowResult[] = [];
    for (const concurrency of CONCURRENCIES) {
      const wallet = newWallet();
      await createWalletRow(pool, wallet);
      const progress = new Progress(`row lock c=${concurrency}`);
      let done = 0;
      progress.start(() => done);
      const result = await runAllocators(
        ALLOCATIONS,
        concurrency,
        (index) => rowLockAllocate(pool, wallet, `r-${wallet.address}-${index}`),
        (n) => (done = n),
      ).finally(() => progress.stop());
      const stored = await verifyStored(pool, wallet.address, result.nonces.length, await walletNextNonce(pool, wallet));
      rows.push(summarize('row lock, 1 proc', concurrency, result, stored, `pool ${Math.min(POOL_SIZE, concurrency)} connections`));
    }
    for (const concurrency of TWO_PROC_CONCURRENCIES) {
      rows.push(await runTwoProcesses(postgres.url, pool, concurrency, new Progress(`row lock 2 procs c=${concurrency}`)));
    }
    for (const concurrency of CONCURRENCIES) {
      const progress = new Progress(`entity workflow c=${concurrency}`, ENTITY_ALLOCATIONS);
      rows.push(await runEntity(client, pool, { method: 'entity workflow', concurrency, count: ENTITY_ALLOCATIONS, progress }));
    }
    for (const concurrency of LIMITED_CONCURRENCIES) {
      const progress = new Progress(`entity workflow <=${SERVER_MAX_IN_FLIGHT_UPDATES} in flight c=${concurrency}`, ENTITY_ALLOCATIONS);
      rows.push(
        await runEntity(client, pool, {
          method: `entity wf, <=${SERVER_MAX_IN_FLIGHT_UPDATES} in flight`,
          concurrency,
          count: ENTITY_ALLOCATIONS,
          maxInFlight: SERVER_MAX_IN_FLIGHT_UPDATES,
          progress,
        }),
      );
    }

    printTable(rows);
    for (const row of rows) if (row.notes) console.log(`- ${row.method} c=${row.concurrency}: ${row.notes}`);
    console.log('');
    const failed = rows.filter((row) => !row.verified.ok || row.errors > 0);
    log(
      `finished in ${fmt((Date.now() - started) / 1000)} s${failed.length ? `; ${failed.length} row(s) FAILED verification or had errors` : ''}`,
    );
    if (failed.length) keep = true;
    return failed.length ? 1 : 0;
  } catch (error) {
    console.error(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    keep = true;
    return 1;
  } finally {
    await stopAll();
    if (keep) log(`server data and logs kept in ${runDir}`);
    else fs.rmSync(runDir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--row-lock-child')) {
  childMain().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`[bench child] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(1);
    },
  );
} else {
  main().then((code) => process.exit(code));
}
