/**
 * Funding and low-balance alerts on a treasury wallet of its own: crossing the threshold emits
 * balance.low once (outbox -> a signed webhook), a payout the treasury cannot cover waits
 * visibly and resumes when funds arrive, which re-arms the alert.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startWebhookDispatcher, type WebhookDispatcher } from '../lib/webhooks/dispatcher';
import { verifyWebhookSignature } from '../lib/webhooks/verify';
import { api, mintUsdc, newTreasury, randomAddress, setEthBalance, startEngine, waitForStatus, type Engine } from './support/harness';

let engine: Engine;
let dispatcher: WebhookDispatcher;
let server: http.Server;
const received: { signature: string; body: string }[] = [];
const { key: treasuryKey, address: wallet } = newTreasury();
const account = `acct_low_${Date.now().toString(36)}`;
const headers = { 'X-Account-Id': account, 'X-Actor-Id': 'ops' };

const pay = async (amount: string) => {
  const created = await api(engine, 'POST', '/v1/payouts', {
    headers,
    body: { amount, asset: 'USDC', network: 'local', destination: randomAddress(), purpose: 'low balance test' },
  });
  expect(created.status).toBe(201);
  return created.body.id as string;
};

const lowEvents = () =>
  engine.db.outboxEvent.findMany({
    where: { eventType: 'balance.low', aggregateId: `local:${wallet.toLowerCase()}:USDC` },
    orderBy: { createdAt: 'asc' },
  });

beforeAll(async () => {
  engine = await startEngine({
    TREASURY_PRIVATE_KEY: treasuryKey,
    LOW_BALANCE_THRESHOLDS: 'local:USDC=100,local:ETH=0.001',
    FUNDING_RETRY_MS: '1000',
    WEBHOOK_BACKOFF_BASE_MS: '200',
    WEBHOOK_POLL_INTERVAL_MS: '100',
  });
  dispatcher = startWebhookDispatcher({ db: engine.db, settings: engine.config.webhooks, log: () => undefined });
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ signature: String(req.headers['payout-signature'] ?? ''), body });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await setEthBalance(engine, 'local', wallet, '10');
  await mintUsdc(engine, wallet, 150_000_000n); // 150 USDC
}, 60_000);

afterAll(async () => {
  await dispatcher?.stop();
  await new Promise((resolve) => server?.close(resolve));
  await engine?.stop();
});

it('fires balance.low once below the threshold, holds an uncovered payout, resumes and re-arms when funded', async () => {
  const endpoint = await api(engine, 'POST', '/v1/webhook-endpoints', {
    headers,
    body: { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, events: ['balance.low'] },
  });
  expect(endpoint.status).toBe(201);

  // 150 -> 90 free: below 100, one event.
  const first = await pay('60');
  expect((await waitForStatus(engine, first, ['completed', 'failed'], 60_000, headers)).status).toBe('completed');
  const afterFirst = await lowEvents();
  expect(afterFirst).toHaveLength(1);
  expect(afterFirst[0]).toMatchObject({ accountId: null, aggregateType: 'treasury' });
  expect(afterFirst[0]!.payload).toMatchObject({ reason: 'below_threshold', available_units: '90000000', threshold_units: '100000000' });

  // 200 does not fit in 90: the payout waits (not failed), visibly; still one event (already low).
  const waiting = await pay('200');
  await waitForAttention(waiting);
  expect(await lowEvents()).toHaveLength(1);
  const alert = await engine.db.balanceAlert.findUniqueOrThrow({
    where: { network_wallet_asset: { network: 'local', wallet: wallet.toLowerCase(), asset: 'USDC' } },
  });
  expect(alert.state).toBe('low');

  // Funds arrive: the payout resumes and completes; 90 + 500 - 200 = 390 free re-arms the alert.
  await mintUsdc(engine, wallet, 500_000_000n);
  expect((await waitForStatus(engine, waiting, ['completed', 'failed'], 60_000, headers)).status).toBe('completed');
  const rearmed = await engine.db.balanceAlert.findUniqueOrThrow({
    where: { network_wallet_asset: { network: 'local', wallet: wallet.toLowerCase(), asset: 'USDC' } },
  });
  expect(rearmed).toMatchObject({ state: 'ok' });
  expect(rearmed.available.toFixed()).toBe('390000000');

  // Crossing again fires again.
  const third = await pay('300');
  expect((await waitForStatus(engine, third, ['completed', 'failed'], 60_000, headers)).status).toBe('completed');
  const events = await lowEvents();
  expect(events).toHaveLength(2);
  expect(events[1]!.payload).toMatchObject({ reason: 'below_threshold', available_units: '90000000' });

  // Both reached the account's endpoint, signed with its secret.
  const deadline = Date.now() + 30_000;
  while (received.filter((r) => r.body.includes('balance.low')).length < 2 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  const deliveries = received.filter((r) => JSON.parse(r.body).type === 'balance.low');
  expect(deliveries.map((d) => JSON.parse(d.body).id)).toEqual(events.map((e) => e.id));
  for (const delivery of deliveries) {
    expect(verifyWebhookSignature({ secret: endpoint.body.secret, header: delivery.signature, body: delivery.body }).ok).toBe(true);
  }
});

async function waitForAttention(payoutId: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const view = await api(engine, 'GET', `/v1/payouts/${payoutId}`, { headers });
    if (view.body.attention?.code === 'insufficient_funds') {
      expect(view.body.status).toBe('in_progress');
      return;
    }
    if (Date.now() > deadline) throw new Error(`payout ${payoutId} never showed insufficient_funds: ${JSON.stringify(view.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
