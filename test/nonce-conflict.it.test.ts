/**
 * Issue 13, case 5: a nonce conflict (the payout's nonce consumed by a transaction that is none of its attempts) is
 * decided only at final depth, from more than one read, and never releases the funds by itself: the payout waits,
 * `processing` with NeedsAttention = "nonce_conflict" and its reservation held, for a person to check the wallet.
 * - A lagging node behind a load balancer (the proxy answers `null` to transaction and receipt lookups while the
 *   nonce count comes from the up-to-date node) must not turn a paid payout into a failed one.
 * - A real conflict (another transaction from the treasury took the nonce) waits for an operator, who resolves it
 *   as not paid; only then does the payout fail and release its funds.
 */
import { parseEther, type Address } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { needsAttentionKey } from '../workflows/search-attributes';
import { recordHistory } from './support/histories';
import { startRpcProxy, type RpcProxy } from './support/rpc-proxy';
import { api, newTreasury, randomAddress, setEthBalance, startEngine, waitForStatus, type Engine } from './support/harness';

const upstream = process.env.LOCAL_RPC_URLS!.split(',')[0]!;
const { key, address: wallet } = newTreasury();
const headers = { 'X-Account-Id': `acct_conflict_${Date.now().toString(36)}`, 'X-Actor-Id': 'clerk' };
const operator = { ...headers, 'X-Actor-Id': 'ops-lead' };
let proxy: RpcProxy;
let engine: Engine;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const anvil = (method: string, params: unknown[]) =>
  engine.chains.client('local').request({ method: method as never, params: params as never });

beforeAll(async () => {
  proxy = await startRpcProxy({ upstream, seed: 5 });
  engine = await startEngine({
    TREASURY_PRIVATE_KEY: key,
    LOCAL_RPC_URLS: proxy.url,
    CHAIN_POLL_INTERVAL_MS: '200',
    REBROADCAST_AFTER_MS: '500',
  });
  await setEthBalance(engine, 'local', wallet, '5');
});
afterAll(async () => {
  proxy?.clearFaults();
  await anvil('evm_setIntervalMining', [1]).catch(() => undefined);
  await engine?.stop();
  await proxy?.stop();
});

const create = (destination: Address, purpose: string) =>
  api(engine, 'POST', '/v1/payouts', { headers, body: { amount: '0.3', asset: 'ETH', network: 'local', destination, purpose } });

async function needsAttention(workflowId: string): Promise<unknown> {
  const description = await engine.temporal.workflow.getHandle(workflowId).describe();
  return description.searchAttributes[needsAttentionKey.name]?.[0] ?? '';
}

it('a lagging node that cannot find the mined transfer never fails the payout; it completes once the node catches up', async () => {
  const recipient = randomAddress();
  // Mining waits until the node lags: otherwise a slow poll can see `processing` only after the transfer was already
  // found final (a CI run under load did), and the lagging node is never tested.
  await anvil('evm_setIntervalMining', [0]);
  const created = await create(recipient, 'lagging node');
  expect(created.status).toBe(201);
  await waitForStatus(engine, created.body.id, ['processing'], 30_000, headers);
  proxy.setFaults({ forgetTransactions: true });
  await anvil('evm_setIntervalMining', [1]);
  try {
    // Far longer than the rebroadcast interval: the nonce count says "used", every lookup says "no such transaction".
    const deadline = Date.now() + 8_000;
    while (Date.now() < deadline) {
      const payout = await waitForStatus(engine, created.body.id, ['processing', 'failed', 'completed', 'canceled'], 5_000, headers);
      expect(payout.status).toBe('processing');
      await sleep(250);
    }
    expect((await engine.db.fundReservation.findUniqueOrThrow({ where: { payoutId: created.body.id } })).state).toBe('held');
  } finally {
    proxy.clearFaults();
  }
  const done = await waitForStatus(engine, created.body.id, ['completed', 'failed', 'canceled'], 60_000, headers);
  expect(done.status).toBe('completed');
  expect(done.attention).toBeNull();
  expect(await engine.chains.client('local').getBalance({ address: recipient })).toBe(parseEther('0.3'));
  await recordHistory(engine.temporal, done.workflow_id, 'nonce-conflict-lagging-node');
}, 120_000);

it('a nonce taken by another transaction waits for a person with the funds held; resolved as not paid, it fails and releases', async () => {
  const recipient = randomAddress();
  const client = engine.chains.client('local');
  await anvil('evm_setIntervalMining', [0]);
  let payoutId: string;
  try {
    const created = await create(recipient, 'nonce taken by another transaction');
    expect(created.status).toBe(201);
    payoutId = created.body.id;
    await waitForStatus(engine, payoutId, ['processing'], 30_000, headers);
    // Someone with the treasury key sends at the same nonce, outbidding the payout in the mempool.
    const stored = await engine.db.chainTransaction.findUniqueOrThrow({ where: { payoutId }, include: { attempts: true } });
    const account = privateKeyToAccount(key);
    const fee = BigInt(stored.maxFeePerGas.toFixed()) * 3n;
    const foreign = await account.signTransaction({
      type: 'eip1559',
      chainId: 31337,
      nonce: Number(stored.nonce),
      to: account.address,
      value: 0n,
      gas: 21_000n,
      maxFeePerGas: fee,
      maxPriorityFeePerGas: fee,
    });
    await anvil('eth_sendRawTransaction', [foreign]);
  } finally {
    await anvil('evm_setIntervalMining', [1]);
  }

  // Detected at final depth; then it waits, visibly, with the funds held.
  const deadline = Date.now() + 30_000;
  let payout = await waitForStatus(engine, payoutId, ['processing', 'failed', 'completed', 'canceled'], 5_000, headers);
  while (payout.status === 'processing' && payout.attention?.code !== 'nonce_conflict' && Date.now() < deadline) {
    await sleep(250);
    payout = await waitForStatus(engine, payoutId, ['processing', 'failed', 'completed', 'canceled'], 5_000, headers);
  }
  expect(payout.status).toBe('processing');
  expect(payout.attention).toEqual({ code: 'nonce_conflict', type: 'action_required' });
  expect(payout.available_actions).toEqual(['resolve_nonce_conflict']);
  expect(await needsAttention(payout.workflow_id)).toBe('nonce_conflict');
  await sleep(3_000);
  payout = await waitForStatus(engine, payoutId, ['processing', 'failed', 'completed', 'canceled'], 5_000, headers);
  expect(payout.status).toBe('processing');
  expect((await engine.db.fundReservation.findUniqueOrThrow({ where: { payoutId } })).state).toBe('held');

  // A resolution says what the wallet showed.
  const bare = await api(engine, 'POST', `/v1/payouts/${payoutId}/resolve-nonce-conflict`, { headers: operator, body: {} });
  expect(bare.status).toBe(400);
  expect(bare.body.error.code).toBe('invalid_request');
  expect(JSON.stringify(bare.body.error)).toContain('reason');
  // The creator may not resolve it (four-eyes); an operator resolves it as not paid.
  const own = await api(engine, 'POST', `/v1/payouts/${payoutId}/resolve-nonce-conflict`, {
    headers,
    body: { reason: 'checked the wallet' },
  });
  expect(own.status).toBe(403);
  expect(own.body.error.code).toBe('own_payout');
  const resolved = await api(engine, 'POST', `/v1/payouts/${payoutId}/resolve-nonce-conflict`, {
    headers: operator,
    body: { reason: 'nonce used by a manual transfer to the treasury itself; nothing was paid to the recipient' },
  });
  expect(resolved.status).toBe(200);
  expect(resolved.body).toEqual({ payout_id: payoutId, result: 'resolved_not_paid' });

  const done = await waitForStatus(engine, payoutId, ['failed', 'completed', 'canceled'], 30_000, headers);
  expect(done.status).toBe('failed');
  expect(done.failure.code).toBe('nonce_conflict');
  expect(done.failure.reason).toContain('ops-lead');
  await recordHistory(engine.temporal, done.workflow_id, 'nonce-conflict-resolved');
  expect(done.attention).toBeNull();
  expect((await engine.db.fundReservation.findUniqueOrThrow({ where: { payoutId } })).state).toBe('released');
  expect(await client.getBalance({ address: recipient })).toBe(0n);
}, 120_000);
