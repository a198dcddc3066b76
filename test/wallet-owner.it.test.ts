/**
 * Issue 13: one fenced owner per hot wallet.
 * - The lease: one holder at a time; a takeover raises the epoch, and an owner whose clock still says "mine" after a
 *   takeover cannot sign a bump (the epoch is checked inside the write's own transaction).
 * - Two worker processes at once: a real `tsx worker.ts` child owns the wallet while payouts are broadcast and mining
 *   is paused; it is SIGKILLed, the in-process worker takes the wallet over, and every payout completes. Every raw
 *   transaction that reached the node (counted by the RPC proxy in front of anvil) is a stored attempt, and no nonce
 *   ever carried a second transaction.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeFunctionData, erc20Abi, parseTransaction, type Address, type Hex } from 'viem';
import { deliveryAttempts } from '../activities/delivery/attempts';
import { LeaseLost, walletLease } from '../activities/delivery/lease';
import { signAndStoreDelivery } from '../activities/delivery/sign';
import { startWorker } from '../bench/engine-processes';
import { loadConfig } from '../lib/config';
import { createDb, type Db } from '../lib/db';
import { localKeySigner, sameSignerEverywhere } from '../lib/signer';
import type { ManagedProcess } from '../scripts/stack/process';
import { startRpcProxy, type RpcProxy } from './support/rpc-proxy';
import { api, newTreasury, randomAddress, setEthBalance, startEngine, waitForStatus, type Engine } from './support/harness';

const upstream = process.env.LOCAL_RPC_URLS!.split(',')[0]!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the lease', () => {
  let engine: Engine;
  // A wallet no engine signs for: only the leases below ever act on it.
  const { key, address } = newTreasury();
  beforeAll(async () => {
    engine = await startEngine();
    await setEthBalance(engine, 'local', address, '1');
  });
  afterAll(async () => {
    await engine?.stop();
  });

  it('has one holder at a time, and an owner that missed a takeover cannot sign a bump', async () => {
    const wallet = { network: 'local', address };
    const first = walletLease(engine.db, wallet, { holder: 'first', ttlMs: 60_000 });
    const second = walletLease(engine.db, wallet, { holder: 'second', ttlMs: 60_000 });
    expect(await first.acquire()).toBe('taken');
    const firstEpoch = first.epoch()!;
    expect(await second.acquire()).toBe('held_elsewhere');
    expect(await first.acquire()).toBe('renewed');
    expect(first.epoch()).toBe(firstEpoch);

    // A delivery of this wallet, signed and stored (never sent).
    const signer = localKeySigner(key);
    const deps = { db: engine.db, registry: engine.config.registry, chains: engine.chains, signers: sameSignerEverywhere(signer) };
    const deliveryId = `fence_${Date.now().toString(36)}`;
    const network = engine.config.registry.network('local');
    const token = engine.config.registry.asset('local', 'USDC').contractAddress!;
    await signAndStoreDelivery(deps, {
      deliveryId,
      network,
      call: { to: token, value: 0n, data: encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [randomAddress(), 1n] }) },
      gasLimit: 100_000n,
      fees: { maxFeePerGas: 2_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n },
    });

    // The first owner's clock runs slow (or it paused): by the database its lease is over, and the second takes it.
    await engine.db
      .$executeRaw`UPDATE wallet_leases SET expires_at = now() - interval '1 second' WHERE network = 'local' AND address = ${address}`;
    expect(await second.acquire()).toBe('taken');
    expect(second.epoch()).toBe(firstEpoch + 1n);
    expect(first.holds()).toBe(true); // by its own clock it still owns the wallet

    const attempts = deliveryAttempts(deps);
    await expect(attempts.addAttempt(deliveryId, 'transfer', first)).rejects.toBeInstanceOf(LeaseLost);
    expect(await engine.db.transactionAttempt.count({ where: { payoutId: deliveryId } })).toBe(1);
    // It found out: from now on it does not act at all, even before asking the database.
    expect(first.holds()).toBe(false);

    const bump = await attempts.addAttempt(deliveryId, 'transfer', second);
    expect(bump.ceiling).toBeUndefined();
    expect(bump.attempt.attempt).toBe(2);

    // A clean shutdown hands the wallet over at once.
    await second.release();
    expect(await first.acquire()).toBe('taken');
    expect(first.epoch()).toBe(firstEpoch + 2n);
    await first.release();
  });
});

describe('two worker processes', () => {
  let proxy: RpcProxy;
  let engine: Engine | undefined;
  let child: ManagedProcess | undefined;
  const { key, address: wallet } = newTreasury();
  const headers = { 'X-Account-Id': `acct_owner_${Date.now().toString(36)}`, 'X-Actor-Id': 'payroll' };
  const taskQueue = `owner-${Date.now().toString(36)}`;

  let db: Db;
  beforeAll(async () => {
    proxy = await startRpcProxy({ upstream, seed: 7 });
    db = createDb(loadConfig().databaseUrl);
  });
  afterAll(async () => {
    await engine?.chains
      .client('local')
      .request({ method: 'evm_setIntervalMining' as never, params: [1] as never })
      .catch(() => undefined);
    await child?.stop();
    await engine?.stop();
    await proxy?.stop();
    await db?.$disconnect();
  });

  it('the owner is killed with payouts in flight: the other process takes the wallet over and each nonce carries one transaction', async () => {
    const overrides = {
      TEMPORAL_TASK_QUEUE: taskQueue,
      TREASURY_PRIVATE_KEY: key,
      LOCAL_RPC_URLS: proxy.url,
      WALLET_LEASE_MS: '3000',
      CHAIN_POLL_INTERVAL_MS: '200',
      REBROADCAST_AFTER_MS: '2000',
      // No bumps here: every nonce must carry exactly one transaction, across the takeover.
      STUCK_AFTER_MS: '600000',
      RATE_LIMIT_PER_MINUTE: '100000000',
    };
    // The child worker starts first and owns the wallet.
    const runDir = mkdtempSync(path.join(tmpdir(), 'wallet-owner-'));
    child = await startWorker({ ...process.env, ...overrides }, runDir);
    const holderOf = async () =>
      (await db.walletLease.findUnique({ where: { network_address: { network: 'local', address: wallet } } })) ?? undefined;
    for (let i = 0; ; i++) {
      const lease = await holderOf();
      // Nothing else runs an owner for this wallet yet: whoever holds it is the child (tsx's node, a child of child.pid).
      if (lease && lease.expiresAt.getTime() > Date.now()) break;
      if (i > 150) throw new Error(`the child worker never took the wallet; log in ${runDir}`);
      await sleep(200);
    }
    const before = (await holderOf())!;
    engine = await startEngine(overrides);
    await setEthBalance(engine, 'local', wallet, '10');

    const client = engine.chains.client('local');
    const startNonce = await client.getTransactionCount({ address: wallet, blockTag: 'latest' });
    await client.request({ method: 'evm_setIntervalMining' as never, params: [0] as never });
    const recipients = Array.from({ length: 8 }, () => randomAddress());
    const ids: string[] = [];
    for (const [i, destination] of recipients.entries()) {
      const created = await api(engine, 'POST', '/v1/payouts', {
        headers: { ...headers, 'Idempotency-Key': `${taskQueue}-${i}` },
        body: { amount: '0.01', asset: 'ETH', network: 'local', destination, purpose: `takeover ${i}` },
      });
      expect(created.status).toBe(201);
      ids.push(created.body.id);
    }
    // All broadcast while mining is paused: nothing is final, the child owns every one of them.
    for (const id of ids) await waitForStatus(engine, id, ['processing'], 60_000, headers);

    child.exited.catch(() => undefined);
    process.kill(-child.pid, 'SIGKILL'); // its process group: tsx and the node process it runs
    await child.exited;
    child = undefined;
    await client.request({ method: 'evm_setIntervalMining' as never, params: [1] as never });

    for (const id of ids)
      expect((await waitForStatus(engine, id, ['completed', 'failed', 'canceled'], 120_000, headers)).status).toBe('completed');
    const after = (await holderOf())!;
    expect(after.holder).not.toBe(before.holder);
    expect(after.epoch).toBeGreaterThan(before.epoch);

    for (const destination of recipients)
      expect(await client.getBalance({ address: destination as Address })).toBe(10_000_000_000_000_000n);
    expect(await client.getTransactionCount({ address: wallet, blockTag: 'latest' })).toBe(startNonce + ids.length);

    // Every transaction that reached the node is a stored attempt of one of these payouts, and no nonce got two.
    const stored = await engine.db.transactionAttempt.findMany({ where: { payoutId: { in: ids } } });
    const storedHashes = new Set(stored.map((attempt) => attempt.txHash.toLowerCase()));
    const sent = [...new Set(proxy.stats().sentTxHashes.map((hash) => hash.toLowerCase()))].filter((hash) => storedHashes.has(hash));
    const raw = new Map(stored.map((attempt) => [attempt.txHash.toLowerCase(), attempt.rawTx as Hex]));
    const nonces = sent.map((hash) => parseTransaction(raw.get(hash)!).nonce);
    expect(stored).toHaveLength(ids.length);
    expect(new Set(nonces).size).toBe(sent.length);
    expect(sent).toHaveLength(ids.length);
    const fromWallet = proxy.stats().sentTxHashes.filter((hash) => !storedHashes.has(hash.toLowerCase()));
    // The rest are the test's own anvil calls (setBalance sends none): nothing else left this wallet.
    expect(fromWallet).toEqual([]);
  }, 300_000);
});

describe('the in-flight window', () => {
  let engine: Engine;
  let proxy: RpcProxy;
  const { key, address: wallet } = newTreasury();
  const headers = { 'X-Account-Id': `acct_window_${Date.now().toString(36)}`, 'X-Actor-Id': 'payroll' };
  const anvil = (method: string, params: unknown[]) =>
    engine.chains.client('local').request({ method: method as never, params: params as never });

  beforeAll(async () => {
    proxy = await startRpcProxy({ upstream, seed: 11 });
    engine = await startEngine({
      TREASURY_PRIVATE_KEY: key,
      LOCAL_RPC_URLS: proxy.url,
      IN_FLIGHT_WINDOW: '2',
      CHAIN_POLL_INTERVAL_MS: '200',
      REBROADCAST_AFTER_MS: '1000',
      STUCK_AFTER_MS: '600000',
    });
    await setEthBalance(engine, 'local', wallet, '10');
  });
  afterAll(async () => {
    await anvil('evm_setIntervalMining', [1]).catch(() => undefined);
    await engine?.stop();
    await proxy?.stop();
  });

  it('sends no nonce more than the window ahead of the chain; the rest go out, in order, as the chain catches up', async () => {
    const client = engine.chains.client('local');
    const startNonce = await client.getTransactionCount({ address: wallet, blockTag: 'latest' });
    await anvil('evm_setIntervalMining', [0]);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const created = await api(engine, 'POST', '/v1/payouts', {
        headers,
        body: { amount: '0.01', asset: 'ETH', network: 'local', destination: randomAddress(), purpose: `window ${i}` },
      });
      expect(created.status).toBe(201);
      ids.push(created.body.id);
    }
    // Every payout is signed and handed over; with mining paused only the first two nonces may reach the node.
    for (const id of ids) await waitForStatus(engine, id, ['processing'], 60_000, headers);
    await sleep(2_000); // a few owner rounds
    const pendingNonce = await client.getTransactionCount({ address: wallet, blockTag: 'pending' });
    expect(pendingNonce - startNonce).toBe(2);
    const rows = await engine.db.chainTransaction.findMany({ where: { payoutId: { in: ids } }, orderBy: { nonce: 'asc' } });
    expect(rows.map((row) => row.state)).toEqual(['broadcast', 'broadcast', 'signed', 'signed', 'signed']);
    // The three outside the window were handed to the owner; the two inside were sent by their own activity.
    expect(rows.map((row) => row.releasedAt !== null)).toEqual([false, false, true, true, true]);

    // On-call sees the same from the owner, in GET /v1/wallets.
    let view: { owner: { live: boolean }; status: Record<string, unknown> | null } | undefined;
    for (let i = 0; i < 100; i++) {
      const listed = await api(engine, 'GET', '/v1/wallets', { headers });
      expect(listed.status).toBe(200);
      view = listed.body.data.find((row: { network: string; address: string }) => row.network === 'local' && row.address === wallet);
      if (view?.status?.in_flight === 5) break;
      await sleep(200);
    }
    expect(view).toMatchObject({
      owner: { live: true },
      status: {
        in_flight: 5,
        chain_nonce: String(startNonce),
        stored_next_nonce: String(startNonce + 5),
        nonce_lag: '5',
        oldest_unconfirmed: { delivery_id: rows[0]!.payoutId, nonce: String(startNonce) },
        balance: { asset: 'ETH' },
      },
    });

    // One block at a time: each mined nonce lets the next one in.
    await anvil('evm_mine', []);
    for (let i = 0; i < 50 && (await client.getTransactionCount({ address: wallet, blockTag: 'pending' })) - startNonce < 4; i++)
      await sleep(100);
    expect((await client.getTransactionCount({ address: wallet, blockTag: 'pending' })) - startNonce).toBe(4);

    await anvil('evm_setIntervalMining', [1]);
    for (const id of ids)
      expect((await waitForStatus(engine, id, ['completed', 'failed', 'canceled'], 60_000, headers)).status).toBe('completed');
    // Each nonce went out once: the window held transactions back, it never made anyone send twice.
    const sent = new Set(proxy.stats().sentTxHashes.map((hash) => hash.toLowerCase()));
    expect(sent.size).toBe(5);
  }, 180_000);
});
