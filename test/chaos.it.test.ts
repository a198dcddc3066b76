/**
 * Chaos: a thousand payouts and a 2,000-item mass payout in flight while everything that can go wrong does, then the
 * chain is the judge. Faults, on a seeded schedule:
 *   - the worker SIGKILLed at random moments (CHAOS_KILLS, default 6), spread over the pipeline (reservation,
 *     signing, broadcast, confirmations), and the Temporal server restarted once while more payouts are created;
 *   - mining paused for 60 s, and 5 of the treasury's waiting transactions dropped from the mempool meanwhile;
 *   - a 2-block reorg that takes treasury transactions off the chain (finality is 3 confirmations here, so the
 *     reorg stays within it);
 *   - 5 % of the engine's RPC calls failing (503 and 429 from a proxy), and 2 % of the answers to its sends lost;
 *   - a few payouts canceled while they are in flight.
 * Afterwards: every payout and the mass payout are terminal; each fresh recipient holds exactly what the engine says
 * it paid (so 0 paid twice, 0 paid but not completed, 0 canceled but paid); the treasury sent exactly one transfer per
 * completed payout; the stored next nonce equals the chain's; the ledger's difference to the chain is 0.
 *
 * The test owns its Temporal dev server (SQLite file under .data, restarted on the same file), an RPC proxy and a
 * treasury key of its own, and runs the worker and the API as child processes (`node --import tsx worker.ts`,
 * `api/server.ts`); PostgreSQL and anvil are the ones `npm test` started (integration tests run one at a time, so
 * pausing and reorganizing that anvil disturbs no other test).
 *
 *   npm test -- test/chaos                      # CHAOS_SEED=<n> replays a schedule
 *   CHAOS_PAYOUTS=300 CHAOS_MASS_ITEMS=500 CHAOS_KILLS=6 KEEP_TEST_DATA=1 npm test -- test/chaos
 *
 * The seed fixes the asset mix, the amounts, the kill timings, the faults' moments and the proxy's dice; recipients are
 * always fresh random addresses. Worker, API and Temporal logs are kept (path printed) when the test fails.
 */
import { randomInt } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createPublicClient, createWalletClient, erc20Abi, http, parseEther, type Address, type Hex, type PublicClient } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { testUsdcAbi } from '../contracts/artifacts/TestUSDC';
import { formatAmount } from '../domain/money';
import { ChainClients } from '../lib/chain';
import { DEV_DEPLOYER_PRIVATE_KEY, loadConfig, type EngineConfig } from '../lib/config';
import { createApiKey, SCOPES } from '../lib/api-keys';
import { integer } from '../lib/env';
import { createDb, type Db } from '../lib/db';
import { checkLedger } from '../lib/ledger/invariants';
import { sleep } from '../scripts/stack/process';
import { ensureTemporalBinary } from '../scripts/stack/temporal';
import {
  freshAddress,
  mapLimit,
  OwnTemporal,
  scanTreasuryPayments,
  seededRandom,
  startApiProcess,
  waitUntil,
  WorkerSupervisor,
  type TreasuryPayment,
} from './support/chaos';
import { anvilControl, type AnvilControl } from './support/anvil-control';
import { startRpcProxy, type RpcProxy } from './support/rpc-proxy';

const root = path.join(__dirname, '..');
/** A treasury of the test's own: its nonce, balances and ledger are this run's alone. */
const TREASURY_KEY = generatePrivateKey();
const TREASURY: Address = privateKeyToAccount(TREASURY_KEY).address;
const TERMINAL = new Set(['completed', 'failed', 'canceled', 'expired']);
const MASS_TERMINAL = new Set(['completed', 'partially_completed', 'failed', 'canceled', 'expired']);

const envInt = (name: string, fallback: number) => integer(process.env, name, fallback);

const PAYOUTS = envInt('CHAOS_PAYOUTS', 1_000);
const MASS_ITEMS = envInt('CHAOS_MASS_ITEMS', 2_000);
const LATE_PAYOUTS = Math.max(1, Math.round(PAYOUTS / 10));
const KILLS = Math.max(1, envInt('CHAOS_KILLS', 6));
const SEED = envInt('CHAOS_SEED', randomInt(2 ** 31));
const TERMINAL_TIMEOUT_MS = envInt('CHAOS_TERMINAL_TIMEOUT_MS', 25 * 60_000);
/** A share of the payouts is asked to cancel while in flight: whichever way each ends, the chain must agree. */
const CANCEL_SHARE = 0.02;
/** Within finality: a 2-block reorg can never take away what the engine called final. */
const CONFIRMATIONS = 3;
const REORG_DEPTH = 2;
const MINING_PAUSE_MS = 60_000;
const DROPPED_TRANSACTIONS = 5;
const RPC_FAULTS = {
  serverErrorRate: 0.03,
  serverErrorStatus: 503 as const,
  rateLimitRate: 0.02,
  loseSendResponseRate: 0.02,
  lostResponse: '503' as const,
};
const CREATE_CONCURRENCY = 10;
const POLL_CONCURRENCY = 10;
const rng = seededRandom(SEED);

const startedAt = Date.now();
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
/** Progress goes straight to stdout so it shows while the test runs. */
const say = (message: string) => process.stdout.write(`[chaos +${seconds(Date.now() - startedAt)}] ${message}\n`);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

interface Tracked {
  key: string;
  asset: 'USDC' | 'ETH';
  units: bigint;
  destination: Address;
  body: { amount: string; asset: string; network: string; destination: string; purpose: string };
  id?: string;
  status?: string;
  view?: Json;
  createAttempts: number;
}

const account = `acct_chaos_${SEED}_${Date.now().toString(36)}`;
/** A real API key for the chaos account, made in beforeAll; its own rate limit is far above the test's pace. */
const callerHeaders: Record<string, string> = {};

let aborted = false;
let passed = false;
let dir = '';
const cleanups: { name: string; run: () => Promise<void> }[] = [];
let temporal: OwnTemporal;
let worker: WorkerSupervisor;
let apiUrl = '';
let api: Awaited<ReturnType<typeof startApiProcess>>;
let db: Db;
let chain: PublicClient;
let usdc: Address;
let anvil: AnvilControl;
let proxy: RpcProxy;
/** Points at anvil itself, not the proxy: the judge's reads must not fail. */
let directConfig: EngineConfig;

async function request(
  method: string,
  route: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Json }> {
  const response = await fetch(`${apiUrl}${route}`, {
    method,
    headers: { 'content-type': 'application/json', ...callerHeaders, ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON; reported as is */
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

beforeAll(async () => {
  for (const name of ['DATABASE_URL', 'LOCAL_RPC_URLS', 'LOCAL_USDC_ADDRESS']) {
    if (!process.env[name]) throw new Error(`${name} is not set: run this test with \`npm test -- test/chaos\`, which starts the servers`);
  }
  say(
    `seed ${SEED} (CHAOS_SEED=${SEED} replays this schedule); ${PAYOUTS} + ${LATE_PAYOUTS} payouts and a ${MASS_ITEMS}-item ` +
      `mass payout; ${KILLS} worker kills, 1 Temporal restart, mining paused ${seconds(MINING_PAUSE_MS)} with ` +
      `${DROPPED_TRANSACTIONS} transactions dropped, a ${REORG_DEPTH}-block reorg, RPC faults ${JSON.stringify(RPC_FAULTS)}`,
  );
  const base = process.env.TEST_RUN_DIR ?? path.join(root, '.data');
  mkdirSync(base, { recursive: true });
  dir = mkdtempSync(path.join(base, 'chaos-'));
  say(`logs and the Temporal db in ${dir}`);

  const binary = await ensureTemporalBinary(say);
  temporal = await OwnTemporal.start(binary, dir, say);
  cleanups.push({ name: 'temporal', run: () => temporal.stop() });

  directConfig = loadConfig(process.env);
  const rpcUrl = directConfig.registry.network('local').rpcUrls[0]!;
  chain = createPublicClient({ transport: http(rpcUrl) });
  anvil = anvilControl(chain);
  cleanups.push({ name: 'mining', run: () => anvil.resumeMining().then(() => undefined) });
  usdc = directConfig.registry.asset('local', 'USDC').contractAddress!;
  await fundTreasury(rpcUrl);
  proxy = await startRpcProxy({ upstream: rpcUrl, seed: SEED });
  cleanups.push({ name: 'rpc proxy', run: () => proxy.stop() });

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: `chaos-${SEED}-${Date.now().toString(36)}`,
    TREASURY_PRIVATE_KEY: TREASURY_KEY,
    LOCAL_RPC_URLS: proxy.url,
    CONFIRMATIONS: String(CONFIRMATIONS),
  };
  const config = loadConfig(env);
  db = createDb(config.databaseUrl, { maxConnections: 4 });
  cleanups.push({ name: 'database client', run: () => db.$disconnect() });
  const key = await createApiKey(db, { accountId: account, actor: 'chaos', scopes: SCOPES, rateLimitPerMinute: 1_000_000 });
  callerHeaders.Authorization = `Bearer ${key.token}`;
  api = await startApiProcess({ env, cwd: root, logFile: path.join(dir, 'api.log'), log: say });
  cleanups.push({ name: 'api', run: () => api.stop() });
  apiUrl = api.url;

  worker = new WorkerSupervisor({ env, cwd: root, logDir: dir, log: say });
  cleanups.push({ name: 'worker', run: () => worker.close() });
}, 180_000);

/** Ether and test USDC arrive from outside, as a treasury top-up would: far more than the run pays. */
async function fundTreasury(rpcUrl: string): Promise<void> {
  await chain.request({ method: 'anvil_setBalance' as never, params: [TREASURY, `0x${parseEther('1000').toString(16)}`] as never });
  const deployer = createWalletClient({ account: privateKeyToAccount(DEV_DEPLOYER_PRIVATE_KEY), transport: http(rpcUrl) });
  const hash = await deployer.writeContract({
    chain: null,
    address: usdc,
    abi: testUsdcAbi,
    functionName: 'mint',
    args: [TREASURY, 1_000_000n * 10n ** 6n],
  });
  await chain.waitForTransactionReceipt({ hash });
}

afterAll(async () => {
  aborted = true;
  for (const cleanup of cleanups.reverse()) {
    await cleanup.run().catch((error) => say(`cleanup of ${cleanup.name} failed: ${error instanceof Error ? error.message : error}`));
  }
  if (!dir) return;
  if (passed && !process.env.KEEP_TEST_DATA) rmSync(dir, { recursive: true, force: true });
  else say(`logs kept in ${dir}`);
}, 60_000);

function newPayouts(count: number): Tracked[] {
  const runTag = Date.now().toString(36);
  return Array.from({ length: count }, (_, index) => {
    const asset = rng.next() < 0.5 ? 'USDC' : 'ETH';
    // USDC 0.01 .. 9.999999; ETH 0.000001 .. 0.001 (gwei precision): small, and below any approval threshold.
    const units = asset === 'USDC' ? BigInt(rng.int(10_000, 9_999_999)) : BigInt(rng.int(1_000, 1_000_000)) * 10n ** 9n;
    const destination = freshAddress();
    return {
      key: `chaos-${SEED}-${runTag}-${index}`,
      asset,
      units,
      destination,
      body: {
        amount: formatAmount(units, asset === 'USDC' ? 6 : 18),
        asset,
        network: 'local',
        destination,
        purpose: `chaos ${SEED} #${index}`,
      },
      createAttempts: 0,
    };
  });
}

interface MassItem {
  address: Address;
  units: bigint;
}

/** The mass payout: USDC 0.01 .. 4.99 per item, so its total stays below the approval threshold. */
function newMassPayout(count: number) {
  const items: MassItem[] = Array.from({ length: count }, () => ({ address: freshAddress(), units: BigInt(rng.int(10_000, 4_990_000)) }));
  return {
    key: `chaos-mass-${SEED}-${Date.now().toString(36)}`,
    items,
    body: {
      network: 'local',
      asset: 'USDC',
      purpose: `chaos ${SEED} mass payout`,
      items: items.map((item, index) => ({ address: item.address, amount: formatAmount(item.units, 6), reference: `chaos-${index}` })),
    },
    id: undefined as string | undefined,
    status: undefined as string | undefined,
    view: undefined as Json,
  };
}
type MassPayout = ReturnType<typeof newMassPayout>;

/** Every item of a mass payout, through the API's pages. */
async function massItems(id: string): Promise<{ address: string; amount: string; status: string; failure: Json }[]> {
  const items: { address: string; amount: string; status: string; failure: Json }[] = [];
  let cursor: string | undefined;
  do {
    const page = await request('GET', `/v1/mass-payouts/${id}/items?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
    if (page.status !== 200) throw new Error(`GET items of ${id} answered ${page.status}: ${JSON.stringify(page.body)}`);
    items.push(...page.body.data);
    cursor = page.body.next_cursor ?? undefined;
  } while (cursor);
  return items;
}

describe('chaos: worker SIGKILLs, a Temporal restart, a mining pause, dropped transactions, a reorg and RPC errors', () => {
  it(
    'pays every completed payout and item exactly once, nothing else; the nonce never drifts and the ledger matches the chain',
    async () => {
      const problems: string[] = [];
      // PAYOUTS at the start, and LATE_PAYOUTS more sent while the Temporal server restarts (so the
      // API's Temporal client has to live through the restart; requests refused meanwhile are retried).
      const payouts = newPayouts(PAYOUTS + LATE_PAYOUTS);
      const mass: MassPayout = newMassPayout(MASS_ITEMS);
      const chainFaults: string[] = [];
      const cancels: { payout: Tracked; answer: string }[] = [];
      const startBlock = await chain.getBlockNumber();
      const txCount = (blockTag: 'pending' | 'latest') => chain.getTransactionCount({ address: TREASURY, blockTag });
      const startNonce = await txCount('latest');
      /** The treasury's transactions since the start: sent (pending nonce) and mined (latest nonce). */
      const treasuryTxs = { sent: 0, mined: 0 };
      const createRetries: Record<string, number> = {};
      const killLog: { kill: number; worker: number; inFlight: number; notCreated: number; phase: string }[] = [];
      let temporalRestart: { inFlight: number; downMs: number; phase: string } | undefined;
      let creationDone = false;
      /** Set when polling ends: every payout terminal, or the deadline passed (then the chaos stops too). */
      let pollingDone = false;
      let terminalTimedOut = false;
      let getErrors = 0;

      const counts = () => {
        const byStatus: Record<string, number> = {};
        for (const payout of payouts) {
          const status = payout.id === undefined ? 'not_created' : (payout.status ?? 'unknown');
          byStatus[status] = (byStatus[status] ?? 0) + 1;
        }
        return byStatus;
      };
      const inFlight = () => payouts.filter((payout) => payout.id !== undefined && !TERMINAL.has(payout.status ?? '')).length;
      const notCreated = () => payouts.filter((payout) => payout.id === undefined).length;
      /** Payouts past signing and broadcast, as the API last showed them. */
      const broadcast = () => payouts.filter((payout) => payout.status === 'processing' || TERMINAL.has(payout.status ?? '')).length;
      const phase = () =>
        `${inFlight()} in flight (${payouts.filter((p) => p.status === 'processing').length} processing), ` +
        `${notCreated()} not created; treasury sent ${treasuryTxs.sent}, mined ${treasuryTxs.mined}`;
      const massProgress = () =>
        mass.view
          ? `${mass.status} (${Object.entries((mass.view.counts ?? {}) as Record<string, { count: number }>)
              .filter(([, value]) => value.count > 0)
              .map(([status, value]) => `${status} ${value.count}`)
              .join(', ')})`
          : 'not created';
      const everythingTerminal = () =>
        creationDone && payouts.every((payout) => TERMINAL.has(payout.status ?? '')) && MASS_TERMINAL.has(mass.status ?? '');
      const progress = () =>
        say(
          `mass ${massProgress()} | ${Object.entries(counts())
            .map(([status, count]) => `${status} ${count}`)
            .join(', ')} | worker #${worker.incarnation}, ${worker.kills} kills, ${worker.unexpectedExits.length} crashes, ` +
            `temporal restarts ${temporal.restarts} | treasury sent ${treasuryTxs.sent}, mined ${treasuryTxs.mined}`,
        );

      // Creation: every payout through POST /v1/payouts with its own Idempotency-Key, the mass payout through
      // POST /v1/mass-payouts; 5xx, 409 and network errors (Temporal down) are retried with the same key and body.
      const createOnce = async (route: string, body: unknown, key: string, counted: { createAttempts: number }): Promise<Json> => {
        const deadline = Date.now() + 5 * 60_000;
        for (;;) {
          if (aborted) throw new Error('aborted');
          counted.createAttempts += 1;
          let outcome: string;
          try {
            const response = await request('POST', route, body, { 'Idempotency-Key': key });
            if (response.status === 201) return response.body;
            outcome = `${response.status} ${response.body?.error?.code ?? ''}`.trim();
            if (response.status < 500 && response.status !== 409) {
              throw new Error(`POST ${route} (${key}) answered ${response.status}: ${JSON.stringify(response.body).slice(0, 500)}`);
            }
          } catch (error) {
            if (error instanceof Error && error.message.startsWith(`POST ${route}`)) throw error;
            if (api.exited()) throw new Error(`the API process exited; see ${dir}/api.log`, { cause: error });
            outcome = `network error: ${error instanceof Error ? error.message : String(error)}`;
          }
          createRetries[outcome] = (createRetries[outcome] ?? 0) + 1;
          if (Date.now() > deadline) throw new Error(`POST ${route} (${key}) still failing after 5 min: ${outcome}`);
          await sleep(300 + Math.random() * 700);
        }
      };
      const createBatch = async (batch: Tracked[]) => {
        await mapLimit(batch, CREATE_CONCURRENCY, async (payout) => {
          const created = await createOnce('/v1/payouts', payout.body, payout.key, payout);
          payout.id = created.id;
          payout.status = created.status;
          payout.view = created;
          if (created.amount_units !== payout.units.toString() || created.destination !== payout.destination) {
            problems.push(`POST ${payout.key} answered ${JSON.stringify(created)} for ${JSON.stringify(payout.body)}`);
          }
        });
        say(`created ${batch.length} payouts (${batch.filter((p) => p.createAttempts > 1).length} needed a retry)`);
      };
      const createMass = async () => {
        const attempts = { createAttempts: 0 };
        const created = await createOnce('/v1/mass-payouts', mass.body, mass.key, attempts);
        Object.assign(mass, { id: created.id, status: created.status, view: created });
        // Below the approval threshold: it must start without a person, or the run would only wait.
        if (created.status === 'pending_approval') throw new Error(`mass payout ${created.id} waits for approval: lower its amounts`);
        say(
          `created mass payout ${created.id} with ${created.item_count} items (${attempts.createAttempts} attempt(s)), ${created.status}`,
        );
      };
      let startLate = () => {};
      const lateGo = new Promise<void>((resolve) => (startLate = resolve));
      const createAll = async () => {
        await Promise.all([createMass(), createBatch(payouts.slice(0, PAYOUTS)), lateGo.then(() => createBatch(payouts.slice(PAYOUTS)))]);
        creationDone = true;
      };

      // Status: GET /v1/payouts/:id for every payout not yet terminal, about once a second.
      const pollUntilTerminal = async () => {
        try {
          await pollLoop();
        } finally {
          pollingDone = true;
        }
      };
      const pollLoop = async () => {
        const deadline = Date.now() + TERMINAL_TIMEOUT_MS;
        let lastProgress = 0;
        for (;;) {
          if (aborted) throw new Error('aborted');
          const open = payouts.filter((payout) => payout.id !== undefined && !TERMINAL.has(payout.status ?? ''));
          await mapLimit(open, POLL_CONCURRENCY, async (payout) => {
            try {
              const response = await request('GET', `/v1/payouts/${payout.id}`);
              if (response.status !== 200) throw new Error(String(response.status));
              payout.status = response.body.status;
              payout.view = response.body;
            } catch {
              getErrors += 1;
            }
          });
          if (mass.id !== undefined && !MASS_TERMINAL.has(mass.status ?? '')) {
            const response = await request('GET', `/v1/mass-payouts/${mass.id}`).catch(() => undefined);
            if (response?.status === 200) Object.assign(mass, { status: response.body.status, view: response.body });
            else getErrors += 1;
          }
          await Promise.all([txCount('pending'), txCount('latest')])
            .then(([pending, latest]) => Object.assign(treasuryTxs, { sent: pending - startNonce, mined: latest - startNonce }))
            .catch(() => undefined);
          if (Date.now() - lastProgress >= 10_000) {
            progress();
            lastProgress = Date.now();
          }
          if (everythingTerminal()) return;
          if (Date.now() > deadline) {
            // Stop here but still check what the chain and the engine say about the payouts that did finish.
            progress();
            terminalTimedOut = true;
            const stuck = payouts.filter((payout) => !TERMINAL.has(payout.status ?? ''));
            problems.push(
              `${stuck.length} payouts not terminal after ${seconds(TERMINAL_TIMEOUT_MS)}: ${JSON.stringify(counts())}; e.g. ` +
                stuck
                  .slice(0, 5)
                  .map((payout) => `${payout.id ?? payout.key} ${payout.status ?? 'not created'}`)
                  .join(', ') +
                `; worker logs in ${dir}`,
            );
            if (!MASS_TERMINAL.has(mass.status ?? '')) problems.push(`mass payout ${mass.id ?? mass.key} not terminal: ${massProgress()}`);
            return;
          }
          await sleep(1_000);
        }
      };

      // Chaos: KILLS SIGKILLs of the worker, spread over the pipeline: kill k waits until about
      // (k-1)/KILLS * 90% of the payouts are past broadcast (so kills land in reservation, signing,
      // broadcast and confirmation alike), then until the worker polls, then a random 0.5-3 s.
      // The worker restarts at once or after a short pause. Mid-run, the Temporal server restarts once.
      const temporalAfterKill = rng.int(Math.min(2, KILLS), Math.min(4, KILLS));
      const allTerminal = everythingTerminal;
      const chaos = async () => {
        for (let kill = 1; kill <= KILLS; kill++) {
          const gate = Math.floor(((kill - 1) / KILLS) * 0.9 * payouts.length);
          await waitUntil(`${gate} payouts past broadcast`, () => broadcast() >= gate || allTerminal() || pollingDone, {
            timeoutMs: TERMINAL_TIMEOUT_MS,
            intervalMs: 250,
            aborted: () => aborted,
          });
          if (pollingDone && !allTerminal()) {
            say(`chaos stopped before kill ${kill}: the payouts stopped moving`);
            return;
          }
          await worker.waitReady(180_000, () => aborted);
          await sleep(rng.between(500, 3_000));
          if (aborted) return;
          const before = { inFlight: inFlight(), notCreated: notCreated(), phase: phase() };
          const killed = await worker.kill();
          killLog.push({ kill, worker: killed.number, ...before });
          say(`kill ${kill}/${KILLS}: SIGKILL worker #${killed.number} after ${seconds(killed.uptimeMs)} up; ${before.phase}`);
          const pauseMs = rng.next() < 0.5 ? 0 : rng.between(200, 2_000);
          if (pauseMs) await sleep(pauseMs);
          worker.start();
          if (kill === temporalAfterKill) {
            await worker.waitReady(180_000, () => aborted);
            await sleep(rng.between(500, 3_000));
            if (aborted) return;
            const then = { inFlight: inFlight(), phase: phase() };
            say(`restarting the Temporal server while creating ${LATE_PAYOUTS} more payouts; ${then.phase}`);
            startLate();
            const { downMs } = await temporal.restart(rng.between(0, 2_000));
            temporalRestart = { ...then, downMs };
            say(`Temporal server back at ${temporal.address} after ${seconds(downMs)} down`);
          }
        }
        say(`chaos done: ${worker.kills} kills, ${temporal.restarts} Temporal restart(s)`);
      };

      // The chain's faults, at their own moments: a mining pause with transactions dropped from the mempool once a
      // fifth of the payouts were broadcast, a reorg past the half.
      const untilBroadcast = (share: number) =>
        waitUntil(
          `${Math.floor(share * payouts.length)} payouts past broadcast`,
          () => broadcast() >= share * payouts.length || pollingDone,
          {
            timeoutMs: TERMINAL_TIMEOUT_MS,
            intervalMs: 250,
            aborted: () => aborted,
          },
        );
      const dropChoices = Array.from({ length: DROPPED_TRANSACTIONS * 4 }, () => rng.next());
      const chainChaos = async () => {
        await untilBroadcast(0.2);
        if (pollingDone) return problems.push('the payouts stopped moving before the mining pause');
        await anvil.pauseMining();
        const pausedAt = Date.now();
        const dropped: Hex[] = [];
        try {
          say(`mining paused for ${seconds(MINING_PAUSE_MS)}; ${phase()}`);
          while (dropped.length < DROPPED_TRANSACTIONS && Date.now() - pausedAt < MINING_PAUSE_MS - 5_000 && !aborted) {
            await sleep(3_000);
            const waiting = (await anvil.waitingFrom(TREASURY)).filter((tx) => !dropped.includes(tx.hash));
            if (waiting.length === 0) continue;
            const tx = waiting[Math.floor((dropChoices[dropped.length] ?? 0) * waiting.length)]!;
            await anvil.dropTransaction(tx.hash);
            dropped.push(tx.hash);
            say(`dropped ${tx.hash} (nonce ${tx.nonce}) from the mempool, 1 of ${waiting.length + 1} waiting`);
          }
          await sleep(Math.max(0, MINING_PAUSE_MS - (Date.now() - pausedAt)));
        } finally {
          await anvil.resumeMining();
        }
        chainFaults.push(`mining paused ${seconds(Date.now() - pausedAt)}, ${dropped.length} waiting treasury transactions dropped`);
        say(`mining resumed: ${chainFaults.at(-1)}`);
        if (dropped.length < DROPPED_TRANSACTIONS) problems.push(`only ${dropped.length} transactions dropped during the mining pause`);

        await untilBroadcast(0.55);
        if (pollingDone) return problems.push('the payouts stopped moving before the reorg');
        const taken = await anvil.reorgAwayFrom(TREASURY, REORG_DEPTH, 60_000);
        chainFaults.push(`a ${REORG_DEPTH}-block reorg took ${taken.length} treasury transactions off the chain`);
        say(`${chainFaults.at(-1)}; ${phase()}`);
        if (taken.length === 0) problems.push('the reorg took no treasury transaction off the chain');
      };

      // Cancellations: a few payouts, each at a random moment after it was created. Whatever the answer, the chain
      // must agree with how the payout ends ("canceled" means nothing was paid).
      const cancelPlan = payouts.filter(() => rng.next() < CANCEL_SHARE).map((payout) => ({ payout, delayMs: rng.between(0, 30_000) }));
      const cancelSome = () =>
        mapLimit(cancelPlan, 5, async ({ payout, delayMs }) => {
          await waitUntil(`${payout.key} to be created`, () => payout.id !== undefined, {
            timeoutMs: TERMINAL_TIMEOUT_MS,
            aborted: () => aborted,
          });
          await sleep(delayMs);
          const deadline = Date.now() + 2 * 60_000;
          for (;;) {
            const response = await request(
              'POST',
              `/v1/payouts/${payout.id}/cancel`,
              { reason: 'chaos' },
              { 'Idempotency-Key': `${payout.key}-cancel` },
            ).catch((error: Error) => ({ status: 0, body: { error: { code: error.message } } }) as { status: number; body: Json });
            const answer =
              response.status === 200 ? String(response.body.result) : `${response.status} ${response.body?.error?.code ?? ''}`;
            // Temporal or the API restarting: ask again with the same key.
            if ((response.status === 0 || response.status >= 500) && Date.now() < deadline && !aborted) {
              await sleep(1_000);
              continue;
            }
            cancels.push({ payout, answer });
            return;
          }
        });

      worker.start();
      proxy.setFaults(RPC_FAULTS);
      const processingStartedAt = Date.now();
      await Promise.all([createAll(), chaos().finally(startLate), chainChaos(), cancelSome(), pollUntilTerminal()]);
      proxy.clearFaults();
      const processingMs = Date.now() - processingStartedAt;
      progress();
      if (!terminalTimedOut) say(`every payout terminal ${seconds(processingMs)} after the first worker start`);
      await worker.close();

      // Idempotency: replaying every key gives the stored answer, and no key made a second payout.
      let replayMismatches = 0;
      await mapLimit(payouts, CREATE_CONCURRENCY, async (payout) => {
        const response = await request('POST', '/v1/payouts', payout.body, { 'Idempotency-Key': payout.key });
        if (response.status !== 201 || response.headers.get('idempotent-replayed') !== 'true' || response.body.id !== payout.id) {
          replayMismatches += 1;
          if (replayMismatches <= 5) problems.push(`replaying ${payout.key} answered ${response.status} ${JSON.stringify(response.body)}`);
        }
      });
      if (replayMismatches) problems.push(`${replayMismatches} idempotent replays did not return the first payout`);
      const storedPayouts = await db.payout.count({ where: { accountId: account } });
      if (storedPayouts !== payouts.length) problems.push(`${storedPayouts} payouts stored for ${payouts.length} idempotency keys`);

      // Let the chain settle: nothing of the treasury's left in the mempool.
      await waitUntil(
        'the treasury to have no pending transactions',
        async () => (await txCount('pending')) === (await txCount('latest')),
        {
          timeoutMs: 60_000,
          intervalMs: 500,
        },
      ).catch((error: Error) => problems.push(error.message));
      const head = await chain.getBlockNumber();
      // anvil's mempool: "queued" transactions wait behind a nonce gap (a lower nonce never sent).
      const mempool = await chain
        .request<{ Method: 'txpool_status'; Parameters: []; ReturnType: { pending: Hex; queued: Hex } }>({
          method: 'txpool_status',
          params: [],
        })
        .then((status) => `pending ${Number(status.pending)}, queued ${Number(status.queued)}`)
        .catch(() => 'unknown');

      // Balances: each fresh recipient holds exactly what the engine says it paid. Payouts that are not
      // terminal (only after a timeout) have no final answer yet and are left out of the per-payout checks.
      const decided = payouts.filter((payout) => TERMINAL.has(payout.status ?? ''));
      let balanceMismatches = 0;
      await mapLimit(decided, 16, async (payout) => {
        const [eth, token] = await Promise.all([
          chain.getBalance({ address: payout.destination }),
          chain.readContract({ address: usdc, abi: erc20Abi, functionName: 'balanceOf', args: [payout.destination] }),
        ]);
        const paid = payout.status === 'completed' ? payout.units : 0n;
        const expected = payout.asset === 'ETH' ? { eth: paid, token: 0n } : { eth: 0n, token: paid };
        if (eth !== expected.eth || token !== expected.token) {
          balanceMismatches += 1;
          if (balanceMismatches <= 10) {
            problems.push(
              `recipient ${payout.destination} of ${payout.id} (${payout.status}, ${payout.body.amount} ${payout.asset}) holds ` +
                `${formatAmount(eth, 18)} ETH and ${formatAmount(token, 6)} USDC`,
            );
          }
        }
      });
      if (balanceMismatches) problems.push(`${balanceMismatches} recipients hold other than what the engine says it paid`);

      // The chain's record: the treasury's transfers to this test's recipients, block by block.
      const byRecipient = new Map(payouts.map((payout) => [payout.destination.toLowerCase(), payout]));
      const scan = await scanTreasuryPayments(chain, {
        fromBlock: startBlock,
        toBlock: head,
        treasury: TREASURY,
        token: usdc,
        recipients: new Set(byRecipient.keys()),
      });
      const paymentsTo = new Map<string, TreasuryPayment[]>();
      for (const payment of scan.payments) {
        const key = payment.recipient.toLowerCase();
        paymentsTo.set(key, [...(paymentsTo.get(key) ?? []), payment]);
      }
      const duplicates = [...paymentsTo.entries()].filter(([, list]) => list.length > 1);
      for (const [recipient, list] of duplicates.slice(0, 10)) {
        problems.push(
          `recipient ${recipient} was paid ${list.length} times: ${list.map((p) => `${p.hash} (nonce ${p.nonce})`).join(', ')}`,
        );
      }
      if (duplicates.length) problems.push(`${duplicates.length} recipients were paid more than once`);
      const reverted: Hex[] = [];
      await mapLimit(scan.payments, 16, async (payment) => {
        const receipt = await chain.getTransactionReceipt({ hash: payment.hash });
        if (receipt.status !== 'success') reverted.push(payment.hash);
      });
      if (reverted.length) problems.push(`${reverted.length} transfers to recipients reverted: ${reverted.slice(0, 5).join(', ')}`);

      let recordMismatches = 0;
      for (const payout of decided) {
        const list = paymentsTo.get(payout.destination.toLowerCase()) ?? [];
        const expectedCount = payout.status === 'completed' ? 1 : 0;
        const payment = list[0];
        const wrong =
          list.length !== expectedCount ||
          (payment !== undefined &&
            (payment.amount !== payout.units ||
              payment.kind !== (payout.asset === 'ETH' ? 'native' : 'erc20') ||
              String(payout.view?.transaction?.hash ?? '').toLowerCase() !== payment.hash.toLowerCase()));
        if (wrong) {
          recordMismatches += 1;
          if (recordMismatches <= 10) {
            problems.push(
              `payout ${payout.id} (${payout.status}, ${payout.body.amount} ${payout.asset}, engine tx ${payout.view?.transaction?.hash ?? 'none'}) ` +
                `vs chain: ${list.map((p) => `${p.hash} ${p.kind} ${p.amount}`).join(', ') || 'no transfer'}`,
            );
          }
        }
      }
      if (recordMismatches) problems.push(`${recordMismatches} payouts disagree with the chain's transfers`);

      // Nonce: the stored next nonce is the chain's transaction count.
      const rows = await db.$queryRaw<{ next_nonce: bigint }[]>`
        SELECT next_nonce FROM wallet_nonces WHERE network = 'local' AND address = ${TREASURY}`;
      const storedNonce = rows[0] === undefined ? undefined : BigInt(rows[0].next_nonce);
      const [pendingCount, latestCount] = [BigInt(await txCount('pending')), BigInt(await txCount('latest'))];
      if (storedNonce !== pendingCount || storedNonce !== latestCount) {
        problems.push(`nonce drift: wallet_nonces.next_nonce ${String(storedNonce)}, chain pending ${pendingCount}, latest ${latestCount}`);
      }

      // Did the chaos hit payouts in flight?
      const killsInFlight = killLog.filter((entry) => entry.inFlight + entry.notCreated > 0).length;
      if (killsInFlight < Math.min(5, KILLS)) problems.push(`only ${killsInFlight} worker kills hit payouts in flight`);
      if (!temporalRestart) problems.push('the Temporal server was not restarted');

      const byStatus = counts();
      const completed = byStatus.completed ?? 0;
      const failed = byStatus.failed ?? 0;
      const canceled = byStatus.canceled ?? 0;
      const other = payouts.length - completed - failed - canceled;
      const decidedRecipients = new Set(decided.map((payout) => payout.destination.toLowerCase()));
      const decidedPayments = scan.payments.filter((payment) => decidedRecipients.has(payment.recipient.toLowerCase())).length;
      const undecidedPayments = scan.payments.length - decidedPayments;
      if (decidedPayments !== completed) {
        problems.push(`${decidedPayments} mined transfers to recipients of terminal payouts for ${completed} completed payouts`);
      }
      if (other) problems.push(`${other} payouts neither completed, failed nor canceled: ${JSON.stringify(byStatus)}`);
      // Cancellations: an answered "canceled" ends canceled, a requested one canceled or completed; nothing else cancels.
      const cancelAsked = new Set(cancels.map((cancel) => cancel.payout));
      for (const { payout, answer } of cancels) {
        const allowed = answer === 'canceled' ? ['canceled'] : answer === 'cancel_requested' ? ['canceled', 'completed'] : undefined;
        if (allowed && !allowed.includes(payout.status ?? '')) {
          problems.push(`payout ${payout.id} answered ${answer} to its cancel but ended ${payout.status}`);
        }
      }
      const canceledUnasked = payouts.filter((payout) => payout.status === 'canceled' && !cancelAsked.has(payout)).length;
      if (canceledUnasked) problems.push(`${canceledUnasked} payouts ended canceled without a cancel request`);
      const cancelAnswers: Record<string, number> = {};
      for (const { payout, answer } of cancels)
        cancelAnswers[`${answer} -> ${payout.status}`] = (cancelAnswers[`${answer} -> ${payout.status}`] ?? 0) + 1;
      // Small amounts from a well-funded treasury: every failure is a finding, not bad luck.
      const failures: Record<string, number> = {};
      for (const payout of payouts.filter((p) => p.status === 'failed')) {
        const reason = `${payout.view?.failure?.code}: ${String(payout.view?.failure?.reason ?? '').slice(0, 160)}`;
        failures[reason] = (failures[reason] ?? 0) + 1;
      }
      if (failed) problems.push(`${failed} payouts failed: ${JSON.stringify(failures)}`);

      // The mass payout: each item's fresh recipient holds exactly its amount if the item completed, nothing otherwise.
      let massSummary = 'not created';
      if (mass.id !== undefined) {
        const items = await massItems(mass.id);
        const planned = new Map(mass.items.map((item) => [item.address.toLowerCase(), item.units]));
        const itemStatuses: Record<string, number> = {};
        const itemFailures: Record<string, number> = {};
        let itemMismatches = 0;
        await mapLimit(items, 16, async (item) => {
          itemStatuses[item.status] = (itemStatuses[item.status] ?? 0) + 1;
          if (item.status === 'failed') {
            const reason = `${item.failure?.code}: ${String(item.failure?.reason ?? '').slice(0, 160)}`;
            itemFailures[reason] = (itemFailures[reason] ?? 0) + 1;
          }
          const held = await chain.readContract({
            address: usdc,
            abi: erc20Abi,
            functionName: 'balanceOf',
            args: [item.address as Address],
          });
          const expected = item.status === 'completed' ? planned.get(item.address.toLowerCase()) : 0n;
          if (held !== expected) {
            itemMismatches += 1;
            if (itemMismatches <= 10)
              problems.push(`mass item ${item.address} (${item.status}, ${item.amount} USDC) holds ${formatAmount(held, 6)} USDC`);
          }
        });
        if (itemMismatches) problems.push(`${itemMismatches} mass-payout recipients hold other than what the engine says it paid`);
        if (items.length !== MASS_ITEMS) problems.push(`the mass payout lists ${items.length} items for ${MASS_ITEMS} sent`);
        if (mass.status !== 'completed') problems.push(`mass payout ${mass.id} ended ${mass.status}: ${JSON.stringify(itemFailures)}`);
        massSummary = `${mass.status}, items ${JSON.stringify(itemStatuses)}, ${itemMismatches} balance mismatches, failures ${JSON.stringify(itemFailures)}`;
      }

      // The ledger, settled: what it says the treasury holds is what the chain says, per asset.
      const ledger = await checkLedger(db, new ChainClients(directConfig.registry), directConfig.registry);
      const wallets = ledger.wallets.filter((wallet) => wallet.network === 'local' && wallet.wallet === TREASURY.toLowerCase());
      const ledgerSummary = ['ETH', 'USDC'].map((asset) => {
        const wallet = wallets.find((entry) => entry.asset === asset);
        if (wallet?.difference !== 0n)
          problems.push(`ledger ${asset}: ${wallet ? `difference ${wallet.difference} base units to the chain` : 'no wallet'}`);
        return `${asset} difference ${String(wallet?.difference)}`;
      });
      if (ledger.unbalancedEntries.length) problems.push(`${ledger.unbalancedEntries.length} unbalanced journal entries`);
      const rpc = Object.values(proxy.stats().methods).reduce(
        (sum, method) => {
          sum.calls += method.received;
          for (const [kind, count] of Object.entries(method.failed)) if (count) sum.failed[kind] = (sum.failed[kind] ?? 0) + count;
          return sum;
        },
        { calls: 0, failed: {} as Record<string, number> },
      );

      const usdcCount = payouts.filter((p) => p.asset === 'USDC').length;
      console.log(
        [
          `chaos summary (seed ${SEED}; CHAOS_SEED=${SEED} replays the schedule)`,
          `  payouts: created ${payouts.filter((p) => p.id).length} (USDC ${usdcCount}, ETH ${payouts.length - usdcCount}), ` +
            `completed ${completed}, failed ${failed}, canceled ${canceled}, other ${other}; cancels ${JSON.stringify(cancelAnswers)}`,
          `  mass payout: ${massSummary}`,
          `  chain faults: ${chainFaults.join('; ') || 'none'}; engine RPC ${rpc.calls} calls, failed ${JSON.stringify(rpc.failed)}`,
          `  ledger: ${ledgerSummary.join(', ')}, ${ledger.unbalancedEntries.length} unbalanced entries`,
          `  chaos: ${worker.kills} worker SIGKILLs (${killsInFlight} with payouts in flight), ${worker.starts} worker starts, ` +
            `${worker.unexpectedExits.length} worker crashes, Temporal restarted ${temporal.restarts}x`,
          ...killLog.map((k) => `    kill ${k.kill} (worker #${k.worker}): ${k.phase}`),
          `    Temporal restart: ${temporalRestart ? `${temporalRestart.phase}; down ${seconds(temporalRestart.downMs)}` : 'never'}`,
          `  API: create retries ${JSON.stringify(createRetries)}, ${getErrors} failed status reads, ${replayMismatches} bad replays, ${storedPayouts} payouts stored`,
          `  chain: blocks ${startBlock}..${head} (${scan.blocks}), ${scan.treasuryTransactions} treasury transactions, ` +
            `${scan.payments.length} transfers to recipients (${undecidedPayments} to payouts not terminal), ` +
            `${duplicates.length} recipients paid twice, ${reverted.length} reverted, ` +
            `${balanceMismatches} balance mismatches, ${recordMismatches} record mismatches`,
          `  nonce: stored next ${String(storedNonce)}, chain pending ${pendingCount}, latest ${latestCount}; mempool ${mempool}`,
          `  failures: ${JSON.stringify(failures)}`,
          `  time: ${terminalTimedOut ? 'NOT all terminal' : 'all terminal'} ${seconds(processingMs)} after the first worker start; ` +
            `wall ${seconds(Date.now() - startedAt)}`,
        ].join('\n'),
      );

      expect(problems).toEqual([]);
      passed = true;
    },
    15 * 60_000,
  );
});
