/**
 * The delivery layer against anvil's own fault controls: mining paused (stuck), a dropped
 * transaction, a reorg, cancellation by replacement, a treasury that must be funded, a
 * second chain. Each test restores mining before it ends; integration tests run one file
 * at a time, so pausing the shared chain affects only this file.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { createPublicClient, http, toHex, type Hex } from 'viem';
import { DEV_TREASURY_PRIVATE_KEY } from '../lib/config';
import {
  api,
  balances,
  mintUsdc,
  newTreasury,
  randomAddress,
  setEthBalance,
  startEngine,
  treasury,
  waitForStatus,
  type Engine,
} from './support/harness';

let engine: Engine;
const unique = () => `${Date.now()}-${Math.random().toString(36).slice(2)}`;
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  api(engine, 'POST', path, { body, headers: { 'Idempotency-Key': `dl-${unique()}`, ...headers } });
const rpc = (network: string) => createPublicClient({ transport: http(engine.config.registry.network(network).rpcUrls[0]) });
const anvil = (method: string, params: unknown[] = [], network = 'local') =>
  rpc(network).request({ method: method as never, params: params as never });
const pauseMining = () => anvil('evm_setIntervalMining', [0]);
const resumeMining = () => anvil('evm_setIntervalMining', [1]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every recorded history, including earlier versions kept in subfolders. */
function historyFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? historyFiles(join(dir, name)) : [join(dir, name)]));
}

async function storedNonceMatchesChain(network = 'local') {
  const row = await engine.db.walletNonce.findUnique({ where: { network_address: { network, address: treasury } } });
  const client = engine.chains.client(network);
  const [latest, pending] = await Promise.all([
    client.getTransactionCount({ address: treasury, blockTag: 'latest' }),
    client.getTransactionCount({ address: treasury, blockTag: 'pending' }),
  ]);
  return { stored: Number(row!.nextNonce), latest, pending };
}

async function waitUntil<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(150);
  }
}

beforeAll(async () => {
  engine = await startEngine({
    STUCK_AFTER_MS: '1500',
    REBROADCAST_AFTER_MS: '1000',
    FUNDING_RETRY_MS: '500',
    CHAIN_POLL_INTERVAL_MS: '200',
  });
});
afterEach(async () => {
  await resumeMining();
});
afterAll(async () => {
  await engine?.stop();
});

it('replaces a stuck transaction with the same nonce and at least 10% higher fees, keeps every hash, records the mined one', async () => {
  const recipient = randomAddress();
  await pauseMining();
  const created = await post('/v1/payouts', { amount: '2', asset: 'USDC', network: 'local', destination: recipient, purpose: 'stuck' });
  const attempts = await waitUntil('two attempts', async () => {
    const rows = await engine.db.transactionAttempt.findMany({ where: { payoutId: created.body.id }, orderBy: { attempt: 'asc' } });
    return rows.length >= 2 && rows;
  });
  const [first, second] = attempts;
  expect(second!.kind).toBe('transfer');
  expect(second!.txHash).not.toBe(first!.txHash);
  expect(BigInt(second!.maxFeePerGas.toFixed()) * 10n).toBeGreaterThanOrEqual(BigInt(first!.maxFeePerGas.toFixed()) * 11n);
  expect(BigInt(second!.maxPriorityFeePerGas.toFixed()) * 10n).toBeGreaterThanOrEqual(BigInt(first!.maxPriorityFeePerGas.toFixed()) * 11n);

  await resumeMining();
  const done = await waitForStatus(engine, created.body.id, ['completed', 'failed']);
  expect(done.status).toBe('completed');
  const transaction = await engine.db.chainTransaction.findUniqueOrThrow({
    where: { payoutId: created.body.id },
    include: { attempts: true },
  });
  expect(transaction.attempts.map((attempt) => attempt.txHash)).toContain(transaction.minedTxHash);
  expect(done.transaction.hash).toBe(transaction.minedTxHash);
  expect((await balances(engine, 'local', recipient)).usdc).toBe(2_000_000n);
  const nonces = await storedNonceMatchesChain();
  expect(nonces.stored).toBe(nonces.latest);
});

it('cancels after broadcast by a zero-value replacement: canceled only because the chain kept the replacement; no nonce gap', async () => {
  const recipient = randomAddress();
  await pauseMining();
  const created = await post('/v1/payouts', {
    amount: '0.5',
    asset: 'ETH',
    network: 'local',
    destination: recipient,
    purpose: 'cancel me',
  });
  await waitForStatus(engine, created.body.id, ['processing'], 30_000);
  const cancel = await post(`/v1/payouts/${created.body.id}/cancel`, { reason: 'wrong recipient' });
  expect(cancel.status).toBe(200);
  expect(cancel.body.result).toBe('cancel_requested');
  // Not canceled while the original could still be mined.
  await sleep(1000);
  expect((await api(engine, 'GET', `/v1/payouts/${created.body.id}`)).body.status).toBe('processing');

  await resumeMining();
  const done = await waitForStatus(engine, created.body.id, ['canceled', 'completed', 'failed']);
  expect(done.status).toBe('canceled');
  expect(done.failure.reason).toMatch(/replaced by zero-value transaction/);
  expect((await balances(engine, 'local', recipient)).eth).toBe(0n);
  const mined = await engine.chains.client('local').getTransaction({ hash: done.transaction.hash });
  expect(mined).toMatchObject({ to: treasury.toLowerCase(), value: 0n });
  expect((await engine.db.fundReservation.findUniqueOrThrow({ where: { payoutId: created.body.id } })).state).toBe('released');

  // The nonce was filled by the cancellation: the next payout goes straight through.
  const next = await post('/v1/payouts', {
    amount: '0.01',
    asset: 'ETH',
    network: 'local',
    destination: randomAddress(),
    purpose: 'after cancel',
  });
  expect((await waitForStatus(engine, next.body.id, ['completed', 'failed'])).status).toBe('completed');
  const nonces = await storedNonceMatchesChain();
  expect(nonces.stored).toBe(nonces.latest);
});

it('refuses to cancel a transaction that is already mined', async () => {
  // A wallet of its own: the wallet's owner is whichever engine took its lease, and this one's depth must rule.
  const own = newTreasury();
  const slow = await startEngine({ CONFIRMATIONS: '6', TREASURY_PRIVATE_KEY: own.key });
  try {
    await setEthBalance(slow, 'local', own.address, '1');
    await mintUsdc(slow, own.address, 10_000_000n);
    const created = await api(slow, 'POST', '/v1/payouts', {
      headers: { 'Idempotency-Key': `mined-${unique()}` },
      body: { amount: '1', asset: 'USDC', network: 'local', destination: randomAddress(), purpose: 'mined' },
    });
    const { hash } = (await waitForStatus(slow, created.body.id, ['processing'])).transaction;
    await slow.chains.client('local').waitForTransactionReceipt({ hash });
    const cancel = await api(slow, 'POST', `/v1/payouts/${created.body.id}/cancel`, {});
    expect(cancel.status).toBe(409);
    expect(cancel.body.error).toMatchObject({ code: 'cancel_refused', message: expect.stringMatching(/already mined/) });
    expect((await waitForStatus(slow, created.body.id, ['completed', 'failed'])).status).toBe('completed');
  } finally {
    await slow.stop();
  }
});

it('re-broadcasts a transaction dropped from the mempool', async () => {
  const recipient = randomAddress();
  await pauseMining();
  const created = await post('/v1/payouts', { amount: '3', asset: 'USDC', network: 'local', destination: recipient, purpose: 'dropped' });
  const { hash } = (await waitForStatus(engine, created.body.id, ['processing'])).transaction as { hash: Hex };
  await anvil('anvil_dropTransaction', [hash]);
  expect(
    await engine.chains
      .client('local')
      .getTransaction({ hash })
      .catch(() => null),
  ).toBeNull();
  await waitUntil('the transaction back in the mempool', async () => {
    const attempts = await engine.db.transactionAttempt.findMany({ where: { payoutId: created.body.id } });
    for (const attempt of attempts) {
      if (
        await engine.chains
          .client('local')
          .getTransaction({ hash: attempt.txHash as Hex })
          .catch(() => null)
      )
        return true;
    }
    return false;
  });
  await resumeMining();
  expect((await waitForStatus(engine, created.body.id, ['completed', 'failed'])).status).toBe('completed');
  expect((await balances(engine, 'local', recipient)).usdc).toBe(3_000_000n);
});

it('counts confirmations on the canonical chain: a reorg before the required depth sends the payout back to waiting', async () => {
  // A wallet of its own, as above: this engine's owner decides at 6 confirmations.
  const own = newTreasury();
  const deep = await startEngine({
    CONFIRMATIONS: '6',
    REBROADCAST_AFTER_MS: '1000',
    CHAIN_POLL_INTERVAL_MS: '200',
    TREASURY_PRIVATE_KEY: own.key,
  });
  try {
    await setEthBalance(deep, 'local', own.address, '1');
    await mintUsdc(deep, own.address, 10_000_000n);
    const recipient = randomAddress();
    const created = await api(deep, 'POST', '/v1/payouts', {
      headers: { 'Idempotency-Key': `reorg-${unique()}` },
      body: { amount: '4', asset: 'USDC', network: 'local', destination: recipient, purpose: 'reorg' },
    });
    const { hash } = (await waitForStatus(deep, created.body.id, ['processing'])).transaction as { hash: Hex };
    const receipt = await deep.chains.client('local').waitForTransactionReceipt({ hash });
    // Replace the last blocks, including the one holding our transfer, with empty ones.
    const head = await deep.chains.client('local').getBlockNumber();
    await anvil('anvil_reorg', [Number(head - receipt.blockNumber + 1n), []]);
    const reorgedOut = await deep.chains
      .client('local')
      .getTransactionReceipt({ hash })
      .catch(() => null);
    const done = await waitForStatus(deep, created.body.id, ['completed', 'failed'], 90_000);
    expect(done.status).toBe('completed');
    expect((await balances(deep, 'local', recipient)).usdc).toBe(4_000_000n);
    const final = await deep.chains.client('local').getTransactionReceipt({ hash: done.transaction.hash });
    const block = await deep.chains.client('local').getBlock({ blockNumber: final.blockNumber });
    expect(block.hash).toBe(final.blockHash);
    if (reorgedOut === null) expect(final.blockHash).not.toBe(receipt.blockHash);
  } finally {
    await deep.stop();
  }
});

it('waits for funding instead of failing, and resumes by itself when the treasury is funded', async () => {
  const account = `acct_funding_${unique()}`.slice(0, 60);
  const headers = { 'X-Account-Id': account };
  await post('/v1/approval-policies', { rules: { ETH: [{ approvals: 0 }] } }, headers);
  const client = engine.chains.client('local-l2');
  const balance = await client.getBalance({ address: treasury });
  const recipient = randomAddress();
  const amount = balance / 10n ** 18n + 5n; // whole ETH, more than the treasury holds
  const created = await post(
    '/v1/payouts',
    { amount: amount.toString(), asset: 'ETH', network: 'local-l2', destination: recipient, purpose: 'funding' },
    headers,
  );
  expect(created.status).toBe(201);
  await waitUntil('attention', async () => (await api(engine, 'GET', `/v1/payouts/${created.body.id}`, { headers })).body.attention);
  const waiting = (await api(engine, 'GET', `/v1/payouts/${created.body.id}`, { headers })).body;
  expect(waiting).toMatchObject({ status: 'in_progress', attention: { code: 'insufficient_funds', type: 'action_required' } });

  await anvil('anvil_setBalance', [treasury, toHex(balance + 100n * 10n ** 18n)], 'local-l2');
  const done = await waitForStatus(engine, created.body.id, ['completed', 'failed'], 60_000, headers);
  expect(done).toMatchObject({ status: 'completed', attention: null });
  expect(await client.getBalance({ address: recipient })).toBe(amount * 10n ** 18n);
});

it('pays on the second chain (chain id 31338) through its own nonce sequence', async () => {
  const recipient = randomAddress();
  const created = await post('/v1/payouts', { amount: '0.125', asset: 'ETH', network: 'local-l2', destination: recipient, purpose: 'L2' });
  const done = await waitForStatus(engine, created.body.id, ['completed', 'failed']);
  expect(done.status).toBe('completed');
  expect(await engine.chains.client('local-l2').getBalance({ address: recipient })).toBe(125_000_000_000_000_000n);
  expect(await engine.chains.client('local-l2').getChainId()).toBe(31338);
  const nonces = await storedNonceMatchesChain('local-l2');
  expect(nonces.stored).toBe(nonces.latest);
});

it('never shows the treasury key in workflow histories, API responses or errors', async () => {
  const secret = DEV_TREASURY_PRIVATE_KEY.slice(2).toLowerCase();
  const created = await post('/v1/payouts', {
    amount: '1',
    asset: 'USDC',
    network: 'local',
    destination: randomAddress(),
    purpose: 'no secrets',
  });
  await waitForStatus(engine, created.body.id, ['completed', 'failed']);
  const texts = [
    JSON.stringify(created.body),
    JSON.stringify((await api(engine, 'GET', `/v1/payouts/${created.body.id}`)).body),
    JSON.stringify((await api(engine, 'GET', '/v1/payouts?limit=100')).body),
    historyToJSON(await engine.temporal.workflow.getHandle(created.body.workflow_id).fetchHistory()),
    ...historyFiles(join(__dirname, '..', 'workflows', 'histories')).map((file) => readFileSync(file, 'utf8')),
  ];
  for (const text of texts) expect(text.toLowerCase()).not.toContain(secret);
  const { localKeySigner } = await import('../lib/signer');
  const badKey = `0x${secret.slice(0, 63)}z`;
  expect(() => localKeySigner(badKey as Hex)).toThrow(/TREASURY_PRIVATE_KEY must be/);
  try {
    localKeySigner(badKey as Hex);
  } catch (error) {
    expect(String(error)).not.toContain(secret.slice(0, 20));
  }
});
