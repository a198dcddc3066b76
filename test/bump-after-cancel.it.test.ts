/**
 * Issue 13, case 3: a fee bump must never undo an acknowledged cancel. awaitConfirmations decides to bump a stuck
 * transaction from what it read at the top of its loop; if the cancel's replacement is stored meanwhile, the bump
 * must replace the cancellation with a higher cancellation, not with a transfer that outbids it. A slow node
 * (the proxy holds eth_getTransactionCount, which the loop's nonce-gap check calls right before it bumps) opens
 * that window for real; the cancel lands inside it.
 */
import { type Address } from 'viem';
import { startRpcProxy, type RpcProxy } from './support/rpc-proxy';
import { api, newTreasury, randomAddress, setEthBalance, startEngine, waitForStatus, type Engine } from './support/harness';

const upstream = process.env.LOCAL_RPC_URLS!.split(',')[0]!;
const { key, address: wallet } = newTreasury();
const headers = { 'X-Account-Id': `acct_bump_${Date.now().toString(36)}`, 'X-Actor-Id': 'ops' };
let proxy: RpcProxy;
let engine: Engine;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const anvil = (method: string, params: unknown[]) =>
  engine.chains.client('local').request({ method: method as never, params: params as never });

beforeAll(async () => {
  proxy = await startRpcProxy({ upstream, seed: 13 });
  engine = await startEngine({
    TREASURY_PRIVATE_KEY: key,
    LOCAL_RPC_URLS: proxy.url,
    CHAIN_POLL_INTERVAL_MS: '200',
    REBROADCAST_AFTER_MS: '500',
    STUCK_AFTER_MS: '1000',
  });
  await setEthBalance(engine, 'local', wallet, '5');
});
afterAll(async () => {
  proxy?.clearFaults();
  await anvil('evm_setIntervalMining', [1]).catch(() => undefined);
  await engine?.stop();
  await proxy?.stop();
});

it('a bump decided before a cancel keeps the cancellation: the payout ends canceled and its recipient is not paid', async () => {
  const recipient = randomAddress();
  let payoutId: string | undefined;
  await anvil('evm_setIntervalMining', [0]);
  try {
    const created = await api(engine, 'POST', '/v1/payouts', {
      headers,
      body: { amount: '0.5', asset: 'ETH', network: 'local', destination: recipient, purpose: 'cancel during a bump' },
    });
    expect(created.status).toBe(201);
    payoutId = created.body.id;
    await waitForStatus(engine, created.body.id, ['processing'], 30_000, headers);

    // The next nonce-gap check, which comes right before a bump, now waits 4 s on the node.
    proxy.setFaults({ delayMs: 4_000, methods: ['eth_getTransactionCount'] });
    const before = proxy.stats().methods.eth_getTransactionCount?.received ?? 0;
    while ((proxy.stats().methods.eth_getTransactionCount?.received ?? 0) === before) await sleep(50);

    // Inside that window: the cancel is acknowledged and its replacement is stored and sent.
    const cancel = await api(engine, 'POST', `/v1/payouts/${created.body.id}/cancel`, { headers, body: { reason: 'wrong recipient' } });
    expect(cancel.status).toBe(200);
    expect(cancel.body.result).toBe('cancel_requested');
    // The loop wakes up and bumps what is stuck.
    await sleep(5_000);
    proxy.clearFaults();
    const attempts = await engine.db.transactionAttempt.findMany({ where: { payoutId: created.body.id }, orderBy: { attempt: 'asc' } });
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    // Once a cancellation is stored, every later attempt is a cancellation.
    const firstCancel = attempts.findIndex((attempt) => attempt.kind === 'cancel');
    expect(firstCancel).toBe(1);
    expect(attempts.slice(firstCancel).map((attempt) => attempt.kind)).toEqual(attempts.slice(firstCancel).map(() => 'cancel'));
  } finally {
    proxy.clearFaults();
    await anvil('evm_setIntervalMining', [1]);
  }
  const done = await waitForStatus(engine, payoutId!, ['canceled', 'completed', 'failed'], 60_000, headers);
  expect(done.status).toBe('canceled');
  expect(await engine.chains.client('local').getBalance({ address: recipient as Address })).toBe(0n);
});
