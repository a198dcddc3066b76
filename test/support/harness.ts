/**
 * Integration-test harness: the real engine in-process (API on a free port, a worker on
 * its own task queue) against the real servers scripts/test.ts started.
 */
import { assertDocumentedError } from './documented-errors';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import { createPublicClient, createWalletClient, erc20Abi, http, parseEther, type Address, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { testUsdcAbi } from '../../contracts/artifacts/TestUSDC';
import { createApp } from '../../api/http/app';
import { createApiKey, SCOPES, type Scope } from '../../lib/api-keys';
import { chainOf, ChainClients } from '../../lib/chain';
import { loadConfig, DEV_DEPLOYER_PRIVATE_KEY, DEV_TREASURY_PRIVATE_KEY, type EngineConfig } from '../../lib/config';
import { createDb, type Db } from '../../lib/db';
import { rateProviderFromFile } from '../../lib/rates';
import { treasurySigners } from '../../lib/runtime';
import type { TreasurySigners } from '../../lib/signer';
import { processRegistry, workerMetrics } from '../../lib/metrics';
import { createPayoutWorker, startWalletOwners } from '../../worker';

let runtimeInstalled = false;
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('WARN') });
}

let bundle: Promise<{ code: string }> | undefined;
/** Bundling workflows takes seconds: once per test file. */
export function workflowBundle(): Promise<{ code: string }> {
  bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: new DefaultLogger('WARN') });
  return bundle;
}

export interface Engine {
  config: EngineConfig;
  db: Db;
  temporal: Client;
  chains: ChainClients;
  /** The treasury signer of each network, as the worker has them. */
  signers: TreasurySigners;
  apiUrl: string;
  /** The worker's /metrics (a free port); the API's is `${apiUrl}/metrics`. */
  workerMetricsUrl: string;
  worker: Worker;
  /** A real API key (created in the database) for this account and actor; all scopes unless given. */
  keyFor(accountId: string, actor: string, scopes?: readonly Scope[]): Promise<string>;
  stop(): Promise<void>;
}

/** The wallet owners' lines (takeovers, retried rounds) are noise in test output unless OWNER_LOG=1. */
const ownerLog = (message: string, error?: unknown) => {
  if (process.env.OWNER_LOG === '1') console.error(`[wallet-owner] ${message}`, error ?? '');
};

export async function startEngine(overrides: Record<string, string> = {}): Promise<Engine> {
  quietRuntime();
  const taskQueue = `test-${Math.random().toString(36).slice(2, 10)}`;
  // Tests poll hard with a few shared keys: rate limiting is off unless a test turns it on.
  const config = loadConfig({ ...process.env, TEMPORAL_TASK_QUEUE: taskQueue, RATE_LIMIT_PER_MINUTE: '100000000', ...overrides });
  const db = createDb(config.databaseUrl);
  const chains = new ChainClients(config.registry);
  const nativeConnection = await NativeConnection.connect({ address: config.temporalAddress });
  // TREASURY_PRIVATE_KEY in overrides gives a test its own treasury wallet; a networks file may give each network one.
  const signers = await treasurySigners(config.registry, { ...process.env, ...overrides });
  const metrics = workerMetrics(db, { ...config.metrics, workerPort: 0 }, undefined, config.registry);
  const worker = await createPayoutWorker({
    config,
    connection: nativeConnection,
    deps: {
      db,
      registry: config.registry,
      chains,
      signers,
      payoutFlow: metrics.payoutFlow,
      lowBalanceThresholds: config.lowBalanceThresholds,
      reconciliation: config.reconciliation,
      massPayouts: config.massPayouts,
    },
    workflowBundle: await workflowBundle(),
  });
  const running = worker.run();
  const owners = startWalletOwners({ db, registry: config.registry, chains, signers, leaseMs: config.walletLeaseMs, log: ownerLog });
  const connection = await Connection.connect({ address: config.temporalAddress });
  const temporal = new Client({ connection, namespace: config.temporalNamespace });
  const app = createApp({
    db,
    temporal,
    config,
    rates: rateProviderFromFile(config.conversion.ratesFile),
    log: () => undefined,
    metrics: { registry: processRegistry('api'), ...(config.metrics.token ? { token: config.metrics.token } : {}) },
  });
  const workerMetricsServer = (await metrics.serve())!;
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const { port } = server.address() as AddressInfo;
  const keys = new Map<string, Promise<string>>();
  return {
    config,
    db,
    temporal,
    chains,
    signers,
    apiUrl: `http://127.0.0.1:${port}`,
    workerMetricsUrl: workerMetricsServer.url,
    worker,
    keyFor(accountId, actor, scopes = SCOPES) {
      const id = `${accountId}|${actor}|${[...scopes].sort().join(',')}`;
      if (!keys.has(id))
        keys.set(
          id,
          createApiKey(db, { accountId, actor, scopes }).then((key) => key.token),
        );
      return keys.get(id)!;
    },
    async stop() {
      await new Promise((resolve) => server.close(resolve));
      await workerMetricsServer.stop();
      worker.shutdown();
      await running;
      await owners.stop();
      await connection.close();
      await nativeConnection.close();
      await db.$disconnect();
    },
  };
}

export const treasury: Address = privateKeyToAccount(DEV_TREASURY_PRIVATE_KEY).address;

export function randomAddress(): Address {
  return privateKeyToAccount(
    `0x${[...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, '0')).join('')}` as Hex,
  ).address;
}

export function usdcAddress(engine: Engine): Address {
  return engine.config.registry.asset('local', 'USDC').contractAddress!;
}

export async function balances(engine: Engine, network: string, address: Address): Promise<{ eth: bigint; usdc: bigint }> {
  const client = engine.chains.client(network);
  const eth = await client.getBalance({ address });
  const usdcAsset = engine.config.registry.findAsset(network, 'USDC');
  const usdc = usdcAsset
    ? await client.readContract({ address: usdcAsset.contractAddress!, abi: erc20Abi, functionName: 'balanceOf', args: [address] })
    : 0n;
  return { eth, usdc };
}

/** A wallet client for test-only chain actions (e.g. the token owner blocking an address). */
export function walletFor(engine: Engine, network: string, privateKey: Hex) {
  const chain = chainOf(engine.config.registry.network(network));
  const account = privateKeyToAccount(privateKey);
  const transport = http(engine.config.registry.network(network).rpcUrls[0]);
  return { wallet: createWalletClient({ account, chain, transport }), client: createPublicClient({ chain, transport }) };
}

/** A treasury wallet of the test's own (pass `key` as TREASURY_PRIVATE_KEY), so its ledger can be compared with the chain exactly. */
export function newTreasury(): { key: Hex; address: Address } {
  const key = generatePrivateKey();
  return { key, address: privateKeyToAccount(key).address };
}

/** Ether arriving from outside the engine: anvil sets the balance. */
export async function setEthBalance(engine: Engine, network: string, address: Address, ether: string): Promise<void> {
  await engine.chains
    .client(network)
    .request({ method: 'anvil_setBalance' as never, params: [address, `0x${parseEther(ether).toString(16)}`] as never });
}

type TestWallet = ReturnType<typeof walletFor>['wallet'];

/** The test token's owner acts (mint, blocklist); mined before this returns. */
async function asTokenOwner(engine: Engine, write: (owner: TestWallet, token: Address) => Promise<Hex>): Promise<void> {
  const { wallet, client } = walletFor(engine, 'local', DEV_DEPLOYER_PRIVATE_KEY);
  await client.waitForTransactionReceipt({ hash: await write(wallet, usdcAddress(engine)) });
}

/** Test USDC arriving from outside the engine: minted to `address`. */
export const mintUsdc = (engine: Engine, address: Address, units: bigint) =>
  asTokenOwner(engine, (owner, token) =>
    owner.writeContract({ address: token, abi: testUsdcAbi, functionName: 'mint', args: [address, units] }),
  );

/** The token refuses transfers to `address`, as USDC's blacklist would. */
export const blockOnToken = (engine: Engine, address: Address) =>
  asTokenOwner(engine, (owner, token) =>
    owner.writeContract({ address: token, abi: testUsdcAbi, functionName: 'setBlocked', args: [address, true] }),
  );

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** The body as sent, for byte-for-byte comparisons. */
  text: string;
}

/**
 * Calls the API. Tests name who calls with the X-Account-Id / X-Actor-Id headers
 * (default acct_demo / api): they are turned into a real all-scope API key for that pair.
 * Pass an Authorization header to call with a specific key (or `auth: false` for none).
 */
export async function api(
  engine: Engine,
  method: string,
  path: string,
  options: { body?: unknown; rawBody?: string; headers?: Record<string, string>; auth?: boolean } = {},
): Promise<ApiResponse> {
  const { 'X-Account-Id': account = 'acct_demo', 'X-Actor-Id': actor = 'api', ...headers } = options.headers ?? {};
  if (options.auth !== false && !Object.keys(headers).some((name) => name.toLowerCase() === 'authorization')) {
    headers.Authorization = `Bearer ${await engine.keyFor(account, actor)}`;
  }
  // Writes need an Idempotency-Key: tests that are not about it get a fresh one; '' sends none.
  if (headers['Idempotency-Key'] === '') delete headers['Idempotency-Key'];
  else if (method !== 'GET' && headers['Idempotency-Key'] === undefined) headers['Idempotency-Key'] = `test-${crypto.randomUUID()}`;
  const response = await fetch(`${engine.apiUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  return readResponse(response, { method, path });
}

/**
 * A fetch response as an ApiResponse: the body parsed when it is JSON, and as sent. With the request's method
 * and path, an error code the OpenAPI document does not list for that operation fails the test.
 */
export async function readResponse(response: Response, request?: { method: string; path: string }): Promise<ApiResponse> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON; the test will say so */
  }
  if (request) assertDocumentedError(request.method, request.path, response.status, body);
  return { status: response.status, headers: response.headers, body, text };
}

/** Polls GET /v1/payouts/:id until the payout is in one of `statuses`. */
export async function waitForStatus(
  engine: Engine,
  payoutId: string,
  statuses: string[],
  timeoutMs = 90_000,
  headers: Record<string, string> = {},
) {
  const deadline = Date.now() + timeoutMs;
  let last: ApiResponse | undefined;
  while (Date.now() < deadline) {
    last = await api(engine, 'GET', `/v1/payouts/${payoutId}`, { headers });
    if (last.status === 200 && statuses.includes(last.body.status)) return last.body;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`payout ${payoutId} did not reach ${statuses.join('/')} in ${timeoutMs} ms; last: ${JSON.stringify(last?.body)}`);
}

export const MASS_PAYOUT_ENDS = ['completed', 'partially_completed', 'failed', 'canceled', 'expired'];

/** Polls a mass payout until `until` holds (by default: it ended); returns its view. */
export async function waitForMassPayout(
  engine: Engine,
  id: string,
  options: { headers?: Record<string, string>; until?: (view: any) => boolean; timeoutMs?: number } = {}, // eslint-disable-line @typescript-eslint/no-explicit-any
) {
  const until = options.until ?? ((view) => MASS_PAYOUT_ENDS.includes(view.status));
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let last: ApiResponse | undefined;
  while (Date.now() < deadline) {
    last = await api(engine, 'GET', `/v1/mass-payouts/${id}`, { headers: options.headers ?? {} });
    if (last.status === 200 && until(last.body)) return last.body;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`mass payout ${id} did not get there in time; last: ${JSON.stringify(last?.body)}`);
}
