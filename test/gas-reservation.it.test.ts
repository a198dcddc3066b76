/**
 * Issue 13, case 4: reservations cover everything that leaves the wallet. Gas used to be checked against the raw
 * ETH balance, so several payouts passed on the same ETH, signed, and the one that lost stalled at broadcast with
 * no attention, holding a nonce. Now each payout holds its worst-case gas (gas limit x max fee) before it signs, and
 * one the treasury cannot cover waits unsigned and visibly (NeedsAttention = insufficient_gas) until funded.
 * Here the treasury holds the two amounts plus 1.5 times one payout's worst-case gas: exactly one can sign.
 */
import { parseEther, type Address } from 'viem';
import { recordHistory } from './support/histories';
import { startRpcProxy, type RpcProxy } from './support/rpc-proxy';
import { api, mintUsdc, newTreasury, randomAddress, startEngine, waitForStatus, type Engine } from './support/harness';

const { key, address: wallet } = newTreasury();
const headers = { 'X-Account-Id': `acct_gas_${Date.now().toString(36)}`, 'X-Actor-Id': 'clerk' };
let engine: Engine;
/** The same treasury through a proxy that can play a slow node. */
let proxy: RpcProxy;
let proxied: Engine;

const setBalance = (wei: bigint) =>
  (proxied ?? engine).chains
    .client('local')
    .request({ method: 'anvil_setBalance' as never, params: [wallet, `0x${wei.toString(16)}`] as never });

beforeAll(async () => {
  engine = await startEngine({ TREASURY_PRIVATE_KEY: key, CHAIN_POLL_INTERVAL_MS: '200', FUNDING_RETRY_MS: '500' });
  proxy = await startRpcProxy({ upstream: process.env.LOCAL_RPC_URLS!.split(',')[0]!, seed: 4 });
});
afterAll(async () => {
  await engine?.stop();
  await proxied?.stop();
  await proxy?.stop();
});

it('two payouts cannot sign on the same ETH for gas: the second waits unsigned, visibly, until the treasury is funded', async () => {
  const client = engine.chains.client('local');
  const fees = await client.estimateFeesPerGas();
  // A plain ETH transfer: 21,000 gas plus the engine's 20% head-room, at the max fee the engine will sign with.
  const worstCaseGas = 25_200n * fees.maxFeePerGas;
  await setBalance(parseEther('1') + (worstCaseGas * 3n) / 2n);

  const recipients = [randomAddress(), randomAddress()];
  const created = await Promise.all(
    recipients.map((destination) =>
      api(engine, 'POST', '/v1/payouts', {
        headers,
        body: { amount: '0.5', asset: 'ETH', network: 'local', destination, purpose: 'gas is reserved' },
      }),
    ),
  );
  for (const response of created) expect(response.status).toBe(201);
  const ids: string[] = created.map((response) => response.body.id);

  // One signs and completes; the other finds no free ETH for its gas.
  const deadline = Date.now() + 60_000;
  let views = await Promise.all(
    ids.map((id) => waitForStatus(engine, id, ['in_progress', 'processing', 'completed', 'failed'], 5_000, headers)),
  );
  while (!(views.some((view) => view.status === 'completed') && views.some((view) => view.attention?.code === 'insufficient_gas'))) {
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
    views = await Promise.all(
      ids.map((id) => waitForStatus(engine, id, ['in_progress', 'processing', 'completed', 'failed'], 5_000, headers)),
    );
  }
  const waiting = views.find((view) => view.status !== 'completed');
  expect(views.map((view) => view.status).sort()).toEqual(['completed', 'in_progress']);
  expect(waiting!.attention).toEqual({ code: 'insufficient_gas', type: 'action_required' });
  const signedFirst = views.find((view) => view.status === 'completed')!;
  // Unsigned: it holds no nonce, so nothing behind it stalls.
  expect(await engine.db.chainTransaction.findUnique({ where: { payoutId: waiting!.id } })).toBeNull();

  await setBalance(parseEther('2'));
  const done = await waitForStatus(engine, waiting!.id, ['completed', 'failed', 'canceled'], 60_000, headers);
  expect(done.status).toBe('completed');
  await recordHistory(engine.temporal, done.workflow_id, 'gas-hold-waited-for-funds');
  await recordHistory(engine.temporal, signedFirst.workflow_id, 'gas-hold-happy-path');
  for (const recipient of recipients) expect(await client.getBalance({ address: recipient as Address })).toBe(parseEther('0.5'));
  // The gas holds ended with their payouts: nothing is still held for either.
  const held = await engine.db.fundReservation.findMany({ where: { wallet, state: 'held' } });
  expect(held).toEqual([]);
}, 150_000);

it('a conversion holds the asset it sends as well as the one it debits: the second of two waits unsigned for ETH', async () => {
  const client = engine.chains.client('local');
  // Plenty of USDC to debit; ETH for one 0.036 ETH send (100 EUR) and the gas of both, not for two sends.
  await mintUsdc(engine, wallet, 1_000_000_000n);
  await setBalance(parseEther('0.06'));
  const recipients = [randomAddress(), randomAddress()];
  const ids: string[] = [];
  for (const destination of recipients) {
    const created = await api(engine, 'POST', '/v1/payouts', {
      headers,
      body: { amount: '100', currency: 'EUR', asset: 'ETH', debit_asset: 'USDC', network: 'local', destination, purpose: 'conversion' },
    });
    expect(created.status).toBe(201);
    ids.push(created.body.id);
    expect((await api(engine, 'POST', `/v1/payouts/${created.body.id}/confirm-conversion`, { headers })).status).toBe(200);
  }

  const deadline = Date.now() + 60_000;
  let views = await Promise.all(
    ids.map((id) => waitForStatus(engine, id, ['in_progress', 'processing', 'completed', 'failed'], 5_000, headers)),
  );
  while (!(views.some((view) => view.status === 'completed') && views.some((view) => view.attention?.code === 'insufficient_funds'))) {
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
    views = await Promise.all(
      ids.map((id) => waitForStatus(engine, id, ['in_progress', 'processing', 'completed', 'failed'], 5_000, headers)),
    );
  }
  const waiting = views.find((view) => view.status !== 'completed')!;
  expect(views.map((view) => view.status).sort()).toEqual(['completed', 'in_progress']);
  expect(waiting.attention).toEqual({ code: 'insufficient_funds', type: 'action_required' });
  expect(await engine.db.chainTransaction.findUnique({ where: { payoutId: waiting.id } })).toBeNull();

  await setBalance(parseEther('1'));
  expect((await waitForStatus(engine, waiting.id, ['completed', 'failed', 'canceled'], 60_000, headers)).status).toBe('completed');
  for (const recipient of recipients) expect(await client.getBalance({ address: recipient as Address })).toBe(parseEther('0.036'));
  expect(await engine.db.fundReservation.findMany({ where: { wallet, state: 'held' } })).toEqual([]);
}, 150_000);

it('a treasury drained between signing and broadcast makes the payout wait visibly, then it is sent once funded', async () => {
  // Its own worker and API, whose node is the proxy (the first engine has nothing left in flight on this wallet).
  proxied = await startEngine({
    TREASURY_PRIVATE_KEY: key,
    LOCAL_RPC_URLS: proxy.url,
    CHAIN_POLL_INTERVAL_MS: '200',
    FUNDING_RETRY_MS: '500',
  });
  const client = proxied.chains.client('local');
  await setBalance(parseEther('1'));
  const recipient = randomAddress();
  // The node is slow to take the broadcast; meanwhile the wallet is emptied outside the engine.
  proxy.setFaults({ delayMs: 2_000, methods: ['eth_sendRawTransaction'] });
  const created = await api(proxied, 'POST', '/v1/payouts', {
    headers,
    body: { amount: '0.5', asset: 'ETH', network: 'local', destination: recipient, purpose: 'drained before broadcast' },
  });
  expect(created.status).toBe(201);
  while (!(await proxied.db.chainTransaction.findUnique({ where: { payoutId: created.body.id } })))
    await new Promise((resolve) => setTimeout(resolve, 50));
  await setBalance(0n);
  proxy.clearFaults();

  const deadline = Date.now() + 30_000;
  let payout = await waitForStatus(proxied, created.body.id, ['in_progress', 'processing', 'completed', 'failed'], 5_000, headers);
  while (payout.attention?.code !== 'insufficient_gas' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    payout = await waitForStatus(proxied, created.body.id, ['in_progress', 'processing', 'completed', 'failed'], 5_000, headers);
  }
  expect(payout.attention).toEqual({ code: 'insufficient_gas', type: 'action_required' });
  expect(payout.status).toBe('in_progress');

  await setBalance(parseEther('1'));
  const done = await waitForStatus(proxied, created.body.id, ['completed', 'failed', 'canceled'], 60_000, headers);
  expect(done.status).toBe('completed');
  expect(done.attention).toBeNull();
  expect(await client.getBalance({ address: recipient as Address })).toBe(parseEther('0.5'));
  await recordHistory(proxied.temporal, done.workflow_id, 'broadcast-waited-for-funds');
}, 120_000);
