/**
 * A worker SIGKILLed mid-batch never pays an item twice. The worker runs as its own process
 * (`tsx worker.ts`) and is killed three times while a 600-item USDC mass payout is being signed,
 * sent and confirmed in 12 chunks; each time a new worker takes over. Then the chain is the judge:
 * every recipient holds exactly its amount, the treasury sent exactly one transaction per
 * delivery (no second transaction for any chunk), and the stored next nonce equals the chain's.
 *
 *   npm test -- test/mass-payout.kill          # KEEP_TEST_DATA=1 keeps the worker logs
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createPublicClient, erc20Abi, http, type Address } from 'viem';
import { createWalletClient, parseEther } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { testUsdcAbi } from '../contracts/artifacts/TestUSDC';
import { formatAmount } from '../domain/money';
import { createApiKey, SCOPES } from '../lib/api-keys';
import { chainOf } from '../lib/chain';
import { DEV_DEPLOYER_PRIVATE_KEY, loadConfig } from '../lib/config';
import { createDb } from '../lib/db';
import { mapLimit, scanTreasuryPayments, startApiProcess, waitUntil, WorkerSupervisor } from './support/chaos';
import { newTreasury, randomAddress } from './support/harness';

jest.setTimeout(900_000);

const root = path.join(__dirname, '..');
const ITEMS = 600;
const log = (message: string) => process.stdout.write(`[mass-kill] ${message}\n`);

test('a worker killed three times mid-batch pays every item exactly once', async () => {
  const treasury = newTreasury();
  const logDir = mkdtempSync(path.join(process.env.TEST_RUN_DIR ?? tmpdir(), 'mass-kill-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_TASK_QUEUE: `mass-kill-${Math.random().toString(36).slice(2, 8)}`,
    TREASURY_PRIVATE_KEY: treasury.key,
    MASS_PAYOUT_MAX_CHUNK_ITEMS: '50',
    RATE_LIMIT_PER_MINUTE: '100000',
  };
  const config = loadConfig(env);
  const db = createDb(config.databaseUrl);
  const rpcUrl = config.registry.network('local').rpcUrls[0]!;
  const client = createPublicClient({ transport: http(rpcUrl) });
  const token = config.registry.asset('local', 'USDC').contractAddress!;
  await client.request({ method: 'anvil_setBalance' as never, params: [treasury.address, `0x${parseEther('100').toString(16)}`] as never });
  const owner = createWalletClient({
    account: privateKeyToAccount(DEV_DEPLOYER_PRIVATE_KEY),
    transport: http(rpcUrl),
    chain: chainOf(config.registry.network('local')),
  });
  await client.waitForTransactionReceipt({
    hash: await owner.writeContract({
      address: token,
      abi: testUsdcAbi,
      functionName: 'mint',
      args: [treasury.address, 10_000n * 10n ** 6n],
    }),
  });
  const startBlock = await client.getBlockNumber();

  const workers = new WorkerSupervisor({ env, cwd: root, logDir, log });
  const apiProcess = await startApiProcess({ env, cwd: root, logFile: path.join(logDir, 'api.log'), log });
  let failed = true;
  try {
    workers.start();
    await workers.waitReady(120_000, () => false);
    const key = (await createApiKey(db, { accountId: 'acct_mass_kill', actor: 'payroll', scopes: SCOPES })).token;
    const items = Array.from({ length: ITEMS }, (_, i) => ({ address: randomAddress(), units: 1_000_000n + BigInt(i) }));
    const response = await fetch(`${apiProcess.url}/v1/mass-payouts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'idempotency-key': `kill-${Date.now()}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        network: 'local',
        asset: 'USDC',
        purpose: 'kill test',
        items: items.map((item) => ({ address: item.address, amount: formatAmount(item.units, 6) })),
      }),
    });
    const created = (await response.json()) as { id: string; status: string };
    expect(response.status).toBe(201);
    log(`mass payout ${created.id}: ${ITEMS} items in 12 chunks`);

    const deliveries = () => db.massPayoutDelivery.count({ where: { massPayoutId: created.id, mode: 'batch' } });
    const settled = () => db.massPayoutDelivery.count({ where: { massPayoutId: created.id, mode: 'batch', state: { not: 'signed' } } });
    // Kill right after the first chunk is signed (its broadcast or confirmations in flight), then mid-way, then late.
    for (const [what, reached] of [
      ['first chunk signed', async () => (await deliveries()) >= 1],
      ['4 chunks settled', async () => (await settled()) >= 4],
      ['9 chunks signed', async () => (await deliveries()) >= 9],
    ] as const) {
      await waitUntil(what, reached, { timeoutMs: 300_000, intervalMs: 50 });
      const killed = await workers.kill();
      log(`killed worker #${killed.number} after ${what} (${await deliveries()} signed, ${await settled()} settled)`);
      workers.start();
      await workers.waitReady(120_000, () => false);
    }

    let final: { status: string } | undefined;
    await waitUntil(
      'the mass payout to finish',
      async () => {
        final = (await db.massPayout.findUniqueOrThrow({ where: { id: created.id } })) as { status: string };
        return ['completed', 'partially_completed', 'failed', 'canceled'].includes(final.status);
      },
      { timeoutMs: 600_000, intervalMs: 500 },
    );
    expect(final!.status).toBe('completed');

    // Exactly its amount: a second payment to anyone would show here.
    const held = await mapLimit(items, 25, (item) =>
      client.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [item.address as Address] }),
    );
    expect(held.filter((units, i) => units !== items[i]!.units)).toEqual([]);

    // One mined transaction per delivery (12 chunks + the allowance), nothing else from the treasury.
    const all = await db.massPayoutDelivery.findMany({ where: { massPayoutId: created.id } });
    const scan = await scanTreasuryPayments(client as never, {
      fromBlock: startBlock,
      toBlock: await client.getBlockNumber(),
      treasury: treasury.address,
      token,
      recipients: new Set(),
    });
    expect(all.filter((d) => d.mode === 'batch')).toHaveLength(12);
    expect(scan.treasuryTransactions).toBe(all.length);
    const nonce = await db.walletNonce.findUniqueOrThrow({ where: { network_address: { network: 'local', address: treasury.address } } });
    expect(nonce.nextNonce).toBe(BigInt(await client.getTransactionCount({ address: treasury.address })));
    log(`done: ${workers.kills} kills, ${scan.treasuryTransactions} treasury transactions, every recipient paid once`);
    failed = false;
  } finally {
    await workers.close();
    await apiProcess.stop();
    await db.$disconnect();
    if (failed || process.env.KEEP_TEST_DATA) log(`logs kept in ${logDir}`);
    else rmSync(logDir, { recursive: true, force: true });
  }
});
