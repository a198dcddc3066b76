/**
 * Payouts through a fault-injecting RPC proxy between the worker and anvil: 5xx, rate
 * limits, responses lost after the node accepted a transaction, and sends reaching the
 * node out of nonce order. Every payout must still be paid exactly once.
 */
import { createPublicClient, erc20Abi, http, type Address } from 'viem';
import { startRpcProxy, type RpcProxy } from './support/rpc-proxy';
import { api, randomAddress, startEngine, treasury, waitForStatus, type Engine } from './support/harness';

const upstream = process.env.LOCAL_RPC_URLS!.split(',')[0]!;
const chain = createPublicClient({ transport: http(upstream) });
let proxy: RpcProxy;
let engine: Engine;

beforeAll(async () => {
  proxy = await startRpcProxy({ upstream, seed: Number(process.env.FAULT_SEED ?? 4242) });
  engine = await startEngine({ LOCAL_RPC_URLS: proxy.url, CHAIN_POLL_INTERVAL_MS: '200', REBROADCAST_AFTER_MS: '2000' });
});
afterAll(async () => {
  await engine?.stop();
  await proxy?.stop();
});

it('pays 24 payouts exactly once through 5xx, 429, lost send responses and reordered sends', async () => {
  const usdc = engine.config.registry.asset('local', 'USDC').contractAddress!;
  proxy.setFaults({ serverErrorRate: 0.1, rateLimitRate: 0.05, loseSendResponseRate: 0.3, reorderSends: true, maxReorderDelayMs: 400 });
  const payouts = Array.from({ length: 24 }, (_, i) => ({
    recipient: randomAddress(),
    asset: i % 2 === 0 ? 'USDC' : 'ETH',
    amount: i % 2 === 0 ? '1.5' : '0.001',
  }));
  const created = await Promise.all(
    payouts.map((payout, i) =>
      api(engine, 'POST', '/v1/payouts', {
        headers: { 'Idempotency-Key': `fault-${Date.now()}-${i}` },
        body: { amount: payout.amount, asset: payout.asset, network: 'local', destination: payout.recipient, purpose: 'fault injection' },
      }),
    ),
  );
  expect(created.map((response) => response.status)).toEqual(Array(24).fill(201));
  const done = await Promise.all(
    created.map((response) => waitForStatus(engine, response.body.id, ['completed', 'failed', 'canceled'], 180_000)),
  );
  proxy.clearFaults();
  expect(done.map((payout) => payout.status)).toEqual(Array(24).fill('completed'));

  for (const [i, payout] of payouts.entries()) {
    const balance =
      payout.asset === 'USDC'
        ? await chain.readContract({ address: usdc, abi: erc20Abi, functionName: 'balanceOf', args: [payout.recipient as Address] })
        : await chain.getBalance({ address: payout.recipient as Address });
    expect({ i, balance }).toEqual({ i, balance: payout.asset === 'USDC' ? 1_500_000n : 1_000_000_000_000_000n });
  }
  const stats = proxy.stats();
  const lost = stats.methods.eth_sendRawTransaction?.failed.lostSendResponse ?? 0;
  const failedReads = Object.values(stats.methods).reduce((sum, method) => sum + method.failed.serverError + method.failed.rateLimit, 0);
  console.log(
    `fault run: ${stats.sentTxHashes.length} sends reached the node (${new Set(stats.sentTxHashes).size} distinct), ${lost} send responses lost, ${failedReads} calls failed with 5xx/429`,
  );
  expect(lost).toBeGreaterThan(0);
  const row = await engine.db.walletNonce.findUniqueOrThrow({ where: { network_address: { network: 'local', address: treasury } } });
  expect(Number(row.nextNonce)).toBe(await chain.getTransactionCount({ address: treasury, blockTag: 'latest' }));
});

it('a payout canceled while it is being signed fills its nonce with the cancellation: no gap, nothing paid', async () => {
  const recipient = randomAddress();
  // Hold the nonce lookup inside prepareTransfer so the cancel arrives mid-signing.
  proxy.setFaults({ timeoutRate: 1, timeoutMs: 1500, methods: ['eth_getTransactionCount'] });
  const created = await api(engine, 'POST', '/v1/payouts', {
    headers: { 'Idempotency-Key': `fill-${Date.now()}` },
    body: { amount: '7', asset: 'USDC', network: 'local', destination: recipient, purpose: 'cancel while signing' },
  });
  const handle = engine.temporal.workflow.getHandle(created.body.workflow_id);
  for (let i = 0; i < 100 && !(await handle.query<{ waitingFor: string }>('status')).waitingFor.includes('signing'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // The answer waits for signing to settle (issue 13, case 6): it is sent now and read once the node answers again.
  const cancelling = api(engine, 'POST', `/v1/payouts/${created.body.id}/cancel`, {});
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  proxy.clearFaults();
  const cancel = await cancelling;
  expect(cancel.body).toMatchObject({ result: 'cancel_requested' });

  const done = await waitForStatus(engine, created.body.id, ['canceled', 'completed', 'failed'], 60_000);
  expect(done.status).toBe('canceled');
  const attempts = await engine.db.transactionAttempt.findMany({ where: { payoutId: created.body.id }, orderBy: { attempt: 'asc' } });
  expect(attempts.map((attempt) => [attempt.kind, attempt.broadcastAt === null])).toEqual([
    ['transfer', true], // signed, never sent
    ['cancel', false],
  ]);
  expect(done.transaction.hash).toBe(attempts[1]!.txHash);
  const usdc = engine.config.registry.asset('local', 'USDC').contractAddress!;
  expect(await chain.readContract({ address: usdc, abi: erc20Abi, functionName: 'balanceOf', args: [recipient] })).toBe(0n);
  const row = await engine.db.walletNonce.findUniqueOrThrow({ where: { network_address: { network: 'local', address: treasury } } });
  expect(Number(row.nextNonce)).toBe(await chain.getTransactionCount({ address: treasury, blockTag: 'latest' }));
});
