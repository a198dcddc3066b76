/**
 * Issue 13, case 6: the cancel Update must not answer `canceled` ("stopped before signing") while prepareTransfer
 * is still signing. If the transaction gets signed, the answer must be the truth: `cancel_requested`, with the
 * replacement that fills its nonce. A slow node (the proxy holds eth_estimateGas, which only prepareTransfer calls,
 * right before it signs) opens the window for real; the cancel lands inside it.
 */
import { type Address } from 'viem';
import { recordHistory } from './support/histories';
import { startRpcProxy, type RpcProxy } from './support/rpc-proxy';
import { api, newTreasury, randomAddress, setEthBalance, startEngine, waitForStatus, type Engine } from './support/harness';

const upstream = process.env.LOCAL_RPC_URLS!.split(',')[0]!;
const { key, address: wallet } = newTreasury();
const headers = { 'X-Account-Id': `acct_signing_${Date.now().toString(36)}`, 'X-Actor-Id': 'clerk' };
let proxy: RpcProxy;
let engine: Engine;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  proxy = await startRpcProxy({ upstream, seed: 6 });
  engine = await startEngine({ TREASURY_PRIVATE_KEY: key, LOCAL_RPC_URLS: proxy.url, CHAIN_POLL_INTERVAL_MS: '200' });
  await setEthBalance(engine, 'local', wallet, '5');
});
afterAll(async () => {
  await engine?.stop();
  await proxy?.stop();
});

it('a cancel that arrives while the transfer is being signed answers what happened, and the payout ends canceled unpaid', async () => {
  const recipient = randomAddress();
  proxy.setFaults({ delayMs: 3_000, methods: ['eth_estimateGas'] });
  const created = await api(engine, 'POST', '/v1/payouts', {
    headers,
    body: { amount: '0.5', asset: 'ETH', network: 'local', destination: recipient, purpose: 'cancel while signing' },
  });
  expect(created.status).toBe(201);
  while ((proxy.stats().methods.eth_estimateGas?.received ?? 0) === 0) await sleep(50);

  // prepareTransfer is inside its estimate, about to sign.
  const cancel = await api(engine, 'POST', `/v1/payouts/${created.body.id}/cancel`, { headers, body: { reason: 'wrong amount' } });
  proxy.clearFaults();
  expect(cancel.status).toBe(200);
  const done = await waitForStatus(engine, created.body.id, ['canceled', 'completed', 'failed'], 60_000, headers);
  expect(done.status).toBe('canceled');
  await recordHistory(engine.temporal, done.workflow_id, 'cancel-while-signing');
  expect(await engine.chains.client('local').getBalance({ address: recipient as Address })).toBe(0n);

  // `canceled` promises that nothing was signed; once something was, only a replacement can cancel it.
  const signed = await engine.db.chainTransaction.findUnique({ where: { payoutId: created.body.id } });
  expect({ answer: cancel.body.result, signed: signed !== null }).toEqual({ answer: 'cancel_requested', signed: true });
  expect(cancel.body.replacement_tx_hash).toBe(signed!.minedTxHash);
  const attempts = await engine.db.transactionAttempt.findMany({ where: { payoutId: created.body.id }, orderBy: { attempt: 'asc' } });
  expect(attempts.map((attempt) => attempt.kind)).toEqual(['transfer', 'cancel']);
  expect(await engine.chains.client('local').getTransactionCount({ address: wallet, blockTag: 'latest' })).toBe(1);
}, 120_000);
