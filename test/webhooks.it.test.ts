/**
 * Webhooks against the real stack: payouts through the API and Temporal on anvil write outbox
 * events, two dispatchers (as two worker processes would) deliver them to local receivers.
 * Retry windows are shortened to seconds so dead-lettering can be watched.
 */
import { promises as fs } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import type { AddressInfo } from 'node:net';
import type { LookupAddress } from 'node:dns';
import {
  callbackSecretSchema,
  eventDetailSchema,
  eventListSchema,
  redeliverySchema,
  replaySchema,
  webhookDeliveryListSchema,
  webhookEndpointCreatedSchema,
  webhookEndpointDetailSchema,
  webhookEndpointListSchema,
  webhookEndpointSchema,
  webhookPayloadSchema,
} from '../api/webhooks/schemas';
import { startWebhookDispatcher, type WebhookDispatcher } from '../lib/webhooks/dispatcher';
import { DEFAULT_MIGRATIONS_DIR, migrate } from '../prisma/migrate';
import { systemResolver, type Resolver } from '../lib/webhooks/url-policy';
import { verifyWebhookSignature } from '../lib/webhooks/verify';
import { api, newTreasury, randomAddress, startEngine, waitForStatus, type Engine } from './support/harness';

const WEBHOOK_ENV = {
  WEBHOOK_BACKOFF_BASE_MS: '200',
  WEBHOOK_BACKOFF_MAX_MS: '800',
  WEBHOOK_MAX_AGE_MS: '5000',
  WEBHOOK_POLL_INTERVAL_MS: '100',
  WEBHOOK_TIMEOUT_MS: '3000',
  WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
};

let engine: Engine;
let dispatchers: WebhookDispatcher[] = [];
const dispatcherLog: string[] = [];

function startDispatchers(count = 2): void {
  for (let i = 0; i < count; i++) {
    dispatchers.push(
      startWebhookDispatcher({ db: engine.db, settings: engine.config.webhooks, log: (message) => dispatcherLog.push(message) }),
    );
  }
}

async function stopDispatchers(): Promise<void> {
  await Promise.all(dispatchers.map((dispatcher) => dispatcher.stop()));
  dispatchers = [];
}

beforeAll(async () => {
  engine = await startEngine(WEBHOOK_ENV);
  startDispatchers();
});
afterAll(async () => {
  await stopDispatchers();
  await engine?.stop();
  await Promise.all(receivers.map((receiver) => receiver.close()));
});

// ---------------------------------------------------------------------------------------------
// Receivers and helpers

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
  answered: number;
}

interface Receiver {
  url: string;
  requests: Received[];
  /** Status to answer for the n-th request (0-based). */
  answer: (n: number) => number;
  close(): Promise<void>;
}

const receivers: Receiver[] = [];

async function startReceiver(answer: (n: number) => number = () => 200): Promise<Receiver> {
  const requests: Received[] = [];
  const receiver: Receiver = { url: '', requests, answer, close: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const status = receiver.answer(requests.length);
      requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now(), answered: status });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'down');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  receiver.close = () => new Promise((resolve) => server.close(() => resolve()));
  receivers.push(receiver);
  return receiver;
}

const newAccount = (label: string) => `acct_wh_${label}_${Math.random().toString(36).slice(2, 8)}`;
const as = (account: string) => ({ 'X-Account-Id': account, 'X-Actor-Id': 'ops' });

async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function createEndpoint(account: string, url: string, events: string[]) {
  const created = await api(engine, 'POST', '/v1/webhook-endpoints', { headers: as(account), body: { url, events } });
  expect(created.status).toBe(201);
  return webhookEndpointCreatedSchema.parse(created.body);
}

async function createPayout(account: string, extra: Record<string, unknown> = {}) {
  const created = await api(engine, 'POST', '/v1/payouts', {
    headers: as(account),
    body: { amount: '1.25', asset: 'USDC', network: 'local', destination: randomAddress(), purpose: 'webhook test', ...extra },
  });
  expect(created.status).toBe(201);
  return created.body as { id: string; status: string };
}

async function eventOf(account: string, payoutId: string, type: string) {
  return eventually(`${type} of ${payoutId}`, async () => {
    const listed = await api(engine, 'GET', `/v1/events?type=${type}&limit=100`, { headers: as(account) });
    expect(listed.status).toBe(200);
    return eventListSchema.parse(listed.body).data.find((event) => event.data.payout_id === payoutId);
  });
}

async function eventDetail(account: string, eventId: string) {
  const detail = await api(engine, 'GET', `/v1/events/${eventId}`, { headers: as(account) });
  expect(detail.status).toBe(200);
  return eventDetailSchema.parse(detail.body);
}

const waitForDeliveryState = (account: string, eventId: string, state: string, timeoutMs?: number) =>
  eventually(
    `a ${state} delivery of ${eventId}`,
    async () => {
      const detail = await eventDetail(account, eventId);
      return detail.deliveries.length > 0 && detail.deliveries.every((delivery) => delivery.state === state) && detail;
    },
    timeoutMs,
  );

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------

describe('delivery', () => {
  it('retries a receiver that is down for its first 3 attempts with growing delays, then delivers once, signed', async () => {
    const account = newAccount('recover');
    const receiver = await startReceiver((n) => (n < 3 ? 503 : 200));
    const endpoint = await createEndpoint(account, receiver.url, ['payout.completed']);
    const payout = await createPayout(account);
    expect((await waitForStatus(engine, payout.id, ['completed', 'failed'], 90_000, as(account))).status).toBe('completed');
    const event = await eventOf(account, payout.id, 'payout.completed');
    const detail = await waitForDeliveryState(account, event.id, 'delivered');
    await sleep(1_500); // any duplicate send from the second dispatcher would arrive by now

    expect(receiver.requests.map((request) => request.answered)).toEqual([503, 503, 503, 200]);
    expect(receiver.requests.map((request) => request.headers['payout-delivery-attempt'])).toEqual(['1', '2', '3', '4']);
    for (const request of receiver.requests) {
      expect(request.headers['payout-event-id']).toBe(event.id);
      expect(request.headers['payout-event-type']).toBe('payout.completed');
      expect(request.headers['content-type']).toBe('application/json');
      expect(verifyWebhookSignature({ secret: endpoint.secret, header: request.headers['payout-signature'], body: request.body })).toEqual({
        ok: true,
        timestamp: expect.any(Number),
      });
      expect(request.body).toBe(receiver.requests[0]!.body); // the same bytes every time
    }
    const payload = webhookPayloadSchema.parse(JSON.parse(receiver.requests[3]!.body));
    expect(payload).toEqual({ id: event.id, type: 'payout.completed', created_at: event.created_at, data: event.data });
    expect(payload.data).toMatchObject({ payout_id: payout.id, status: 'completed', previous_status: 'processing' });
    // Exponential backoff: at least 0.75 × (200 + 400 + 800) ms between the first and the last attempt.
    expect(receiver.requests[3]!.at - receiver.requests[0]!.at).toBeGreaterThanOrEqual(1_050);

    expect(detail.deliveries).toHaveLength(1);
    expect(detail.deliveries[0]).toMatchObject({
      destination: 'endpoint',
      endpoint_id: endpoint.id,
      state: 'delivered',
      attempts: 4,
      last_status_code: 200,
      last_error: null,
      next_attempt_at: null,
      replays: 0,
    });
    const stats = await api(engine, 'GET', `/v1/webhook-endpoints/${endpoint.id}`, { headers: as(account) });
    expect(webhookEndpointDetailSchema.parse(stats.body).deliveries).toEqual({ pending: 0, delivered: 1, dead: 0 });
  });

  it('dead-letters a receiver that always fails, shows it to the operator, and delivers it when redelivered through the API', async () => {
    const account = newAccount('dead');
    let up = false;
    const receiver = await startReceiver(() => (up ? 200 : 500));
    await createEndpoint(account, receiver.url, ['payout.in_progress']);
    const payout = await createPayout(account);
    const event = await eventOf(account, payout.id, 'payout.in_progress');

    const dead = await eventually('the dead letter', async () => {
      const listed = await api(engine, 'GET', '/v1/webhook-deliveries?state=dead', { headers: as(account) });
      expect(listed.status).toBe(200);
      return webhookDeliveryListSchema.parse(listed.body).data.find((delivery) => delivery.event_id === event.id);
    });
    expect(dead).toMatchObject({
      state: 'dead',
      last_status_code: 500,
      last_error: 'answered 500',
      next_attempt_at: null,
      delivered_at: null,
    });
    expect(dead.attempts).toBeGreaterThanOrEqual(4);
    expect(dead.attempts).toBe(receiver.requests.length);
    expect(new Date(dead.dead_at!).getTime()).toBeLessThanOrEqual(new Date(dead.expires_at).getTime() + 1_000);
    expect(dispatcherLog.some((line) => line.includes(dead.id) && line.includes('is dead'))).toBe(true);
    await sleep(1_000);
    expect(receiver.requests).toHaveLength(dead.attempts); // dead means no more attempts

    up = true;
    const redelivered = await api(engine, 'POST', `/v1/events/${event.id}/redeliver`, { headers: as(account), body: {} });
    expect(redelivered.status).toBe(200);
    const answer = redeliverySchema.parse(redelivered.body);
    expect(answer.deliveries).toEqual([expect.objectContaining({ id: dead.id, state: 'pending', replays: 1, dead_at: null })]);

    await waitForDeliveryState(account, event.id, 'delivered');
    const last = receiver.requests[receiver.requests.length - 1]!;
    expect(last.answered).toBe(200);
    expect(last.headers['payout-event-id']).toBe(event.id);
    const stillDead = await api(engine, 'GET', '/v1/webhook-deliveries?state=dead', { headers: as(account) });
    expect(webhookDeliveryListSchema.parse(stillDead.body).data).toEqual([]);
  });

  it('replays a time range (the same event ids again), and signs callback_url deliveries with the account callback secret', async () => {
    const account = newAccount('replay');
    const endpointReceiver = await startReceiver();
    const callbackReceiver = await startReceiver();
    const endpoint = await createEndpoint(account, endpointReceiver.url, ['payout.*']);

    // callback_url needs the callback secret first: refused (and nothing created) without it.
    const refused = await api(engine, 'POST', '/v1/payouts', {
      headers: as(account),
      body: {
        amount: '1',
        asset: 'USDC',
        network: 'local',
        destination: randomAddress(),
        purpose: 'p',
        callback_url: callbackReceiver.url,
      },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.fields).toEqual([
      { field: 'callback_url', message: expect.stringMatching(/POST \/v1\/webhook-callback-secret/) },
    ]);
    expect(await engine.db.payout.count({ where: { accountId: account } })).toBe(0);

    const secret = await api(engine, 'POST', '/v1/webhook-callback-secret', { headers: as(account), body: {} });
    expect(secret.status).toBe(201);
    const callbackSecret = callbackSecretSchema.parse(secret.body).secret;

    const from = new Date(Date.now() - 1_000).toISOString();
    const payout = await createPayout(account, { callback_url: callbackReceiver.url });
    expect((await waitForStatus(engine, payout.id, ['completed', 'failed'], 90_000, as(account))).status).toBe('completed');
    const completed = await eventOf(account, payout.id, 'payout.completed');
    await waitForDeliveryState(account, completed.id, 'delivered');
    const eventTypes = (receiver: Receiver) => receiver.requests.map((request) => request.headers['payout-event-type']);
    await eventually(
      '3 events at each destination',
      async () => endpointReceiver.requests.length === 3 && callbackReceiver.requests.length === 3,
    );
    expect(eventTypes(endpointReceiver)).toEqual(['payout.in_progress', 'payout.processing', 'payout.completed']);
    expect(eventTypes(callbackReceiver)).toEqual(['payout.in_progress', 'payout.processing', 'payout.completed']);
    for (const request of callbackReceiver.requests) {
      expect(verifyWebhookSignature({ secret: callbackSecret, header: request.headers['payout-signature'], body: request.body }).ok).toBe(
        true,
      );
      expect(verifyWebhookSignature({ secret: endpoint.secret, header: request.headers['payout-signature'], body: request.body }).ok).toBe(
        false,
      );
    }
    const detail = await eventDetail(account, completed.id);
    expect(detail.deliveries.map((delivery) => delivery.destination).sort()).toEqual(['callback_url', 'endpoint']);

    const to = new Date(Date.now() + 1_000).toISOString();
    const onlyCompleted = await api(engine, 'POST', '/v1/events/replay', {
      headers: as(account),
      body: { from, to, types: ['payout.completed'], endpoint_id: endpoint.id },
    });
    expect(onlyCompleted.status).toBe(200);
    expect(replaySchema.parse(onlyCompleted.body)).toEqual({ object: 'replay', events: 1, deliveries: 1 });
    await eventually('the replayed event', async () => endpointReceiver.requests.length === 4);
    expect(endpointReceiver.requests[3]!.headers['payout-event-id']).toBe(completed.id); // receivers de-duplicate on it

    const everything = await api(engine, 'POST', '/v1/events/replay', { headers: as(account), body: { from, to } });
    expect(replaySchema.parse(everything.body)).toEqual({ object: 'replay', events: 3, deliveries: 6 });
    await eventually(
      'every event again at both destinations',
      async () => endpointReceiver.requests.length === 7 && callbackReceiver.requests.length === 6,
    );
    const ids = (receiver: Receiver) => new Set(receiver.requests.map((request) => request.headers['payout-event-id']));
    expect(ids(endpointReceiver).size).toBe(3);
    expect(ids(callbackReceiver).size).toBe(3);
  });
});

describe('the documented verification code', () => {
  it('accepts a real delivery and rejects it tampered, re-signed with another secret, or replayed after the tolerance', async () => {
    const account = newAccount('verify');
    const receiver = await startReceiver();
    const endpoint = await createEndpoint(account, receiver.url, ['payout.in_progress']);
    await createPayout(account);
    const request = await eventually('a delivery', async () => receiver.requests[0]);
    const header = request.headers['payout-signature'] as string;
    const body = request.body;

    expect(verifyWebhookSignature({ secret: endpoint.secret, header, body }).ok).toBe(true);
    expect(
      verifyWebhookSignature({ secret: endpoint.secret, header, body: body.replace('"payout.in_progress"', '"payout.completed"') }),
    ).toEqual({
      ok: false,
      reason: 'signature_mismatch',
    });
    const forged = header.replace(/v1=([0-9a-f])/, (_match, digit: string) => `v1=${digit === 'f' ? 'e' : 'f'}`);
    expect(verifyWebhookSignature({ secret: endpoint.secret, header: forged, body })).toEqual({ ok: false, reason: 'signature_mismatch' });
    expect(verifyWebhookSignature({ secret: 'whsec_someone_else', header, body })).toEqual({ ok: false, reason: 'signature_mismatch' });
    expect(verifyWebhookSignature({ secret: endpoint.secret, header, body, now: Date.now() + 10 * 60_000 })).toEqual({
      ok: false,
      reason: 'timestamp_outside_tolerance',
    });
  });
});

describe('endpoints', () => {
  it('validates every field at once, returns the secret only at creation, replays the create idempotently, and disables', async () => {
    const account = newAccount('endpoints');
    const bad = await api(engine, 'POST', '/v1/webhook-endpoints', {
      headers: as(account),
      body: { url: 'ftp://example.com/x', events: ['payout.done'], color: 'red' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((field: { field: string }) => field.field).sort()).toEqual(['color', 'events.0', 'url']);

    const receiver = await startReceiver();
    const key = `create-endpoint-${Math.random()}`;
    const body = { url: receiver.url, events: ['payout.in_progress', 'payout.in_progress'], description: 'ledger' };
    const first = await api(engine, 'POST', '/v1/webhook-endpoints', { headers: { ...as(account), 'Idempotency-Key': key }, body });
    const again = await api(engine, 'POST', '/v1/webhook-endpoints', { headers: { ...as(account), 'Idempotency-Key': key }, body });
    expect(first.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    const created = webhookEndpointCreatedSchema.parse(first.body);
    expect(created).toMatchObject({ events: ['payout.in_progress'], status: 'enabled', created_by: 'ops', description: 'ledger' });
    expect(created.secret).toMatch(/^whsec_/);
    expect(await engine.db.webhookEndpoint.count({ where: { accountId: account } })).toBe(1);

    const read = await api(engine, 'GET', `/v1/webhook-endpoints/${created.id}`, { headers: as(account) });
    expect(read.body).not.toHaveProperty('secret');
    expect(JSON.stringify(read.body)).not.toContain(created.secret);
    const listed = await api(engine, 'GET', '/v1/webhook-endpoints', { headers: as(account) });
    expect(webhookEndpointListSchema.parse(listed.body).data.map((endpoint) => endpoint.id)).toEqual([created.id]);
    expect(JSON.stringify(listed.body)).not.toContain(created.secret);

    const disabled = await api(engine, 'DELETE', `/v1/webhook-endpoints/${created.id}`, { headers: as(account) });
    expect(disabled.status).toBe(200);
    expect(webhookEndpointSchema.parse(disabled.body)).toMatchObject({ status: 'disabled', disabled_at: expect.any(String) });
    const payout = await createPayout(account);
    const event = await eventOf(account, payout.id, 'payout.in_progress');
    await sleep(1_000);
    expect((await eventDetail(account, event.id)).deliveries).toEqual([]);
    expect(receiver.requests).toHaveLength(0);
    const nothing = await api(engine, 'POST', `/v1/events/${event.id}/redeliver`, { headers: as(account), body: {} });
    expect(nothing.status).toBe(409);
    expect(nothing.body.error.code).toBe('no_destination');
  });

  it('needs the webhooks:manage scope', async () => {
    const account = newAccount('scope');
    const token = await engine.keyFor(account, 'reader', ['payouts:read']);
    const listed = await api(engine, 'GET', '/v1/webhook-endpoints', { headers: { Authorization: `Bearer ${token}` } });
    expect(listed.status).toBe(403);
    expect(listed.body.error).toMatchObject({ type: 'auth', code: 'missing_scope' });
    const created = await api(engine, 'POST', '/v1/webhook-endpoints', {
      headers: { Authorization: `Bearer ${token}` },
      body: { url: 'https://example.com/hook', events: ['*'] },
    });
    expect(created.status).toBe(403);
  });
});

describe('isolation between accounts', () => {
  it("never shows, changes or replays another account's endpoints, events or deliveries", async () => {
    const owner = newAccount('owner');
    const other = newAccount('other');
    const receiver = await startReceiver();
    const endpoint = await createEndpoint(owner, receiver.url, ['payout.in_progress']);
    const from = new Date(Date.now() - 1_000).toISOString();
    const payout = await createPayout(owner);
    const event = await eventOf(owner, payout.id, 'payout.in_progress');
    await waitForDeliveryState(owner, event.id, 'delivered');
    const to = new Date(Date.now() + 1_000).toISOString();
    const delivered = receiver.requests.length;

    const get = (path: string) => api(engine, 'GET', path, { headers: as(other) });
    const post = (path: string, body: unknown) => api(engine, 'POST', path, { headers: as(other), body });
    expect((await get(`/v1/webhook-endpoints/${endpoint.id}`)).status).toBe(404);
    expect((await api(engine, 'DELETE', `/v1/webhook-endpoints/${endpoint.id}`, { headers: as(other) })).status).toBe(404);
    expect(webhookEndpointListSchema.parse((await get('/v1/webhook-endpoints')).body).data).toEqual([]);
    expect((await get(`/v1/events/${event.id}`)).status).toBe(404);
    expect(eventListSchema.parse((await get('/v1/events?limit=100')).body).data).toEqual([]);
    expect(webhookDeliveryListSchema.parse((await get(`/v1/webhook-deliveries?event_id=${event.id}`)).body).data).toEqual([]);
    expect((await post(`/v1/events/${event.id}/redeliver`, {})).status).toBe(404);
    const viaEndpoint = await post('/v1/events/replay', { from, to, endpoint_id: endpoint.id });
    expect(viaEndpoint.status).toBe(404);
    expect(viaEndpoint.body.error.fields).toEqual([{ field: 'endpoint_id', message: 'no such endpoint in this account' }]);
    expect(replaySchema.parse((await post('/v1/events/replay', { from, to })).body)).toEqual({
      object: 'replay',
      events: 0,
      deliveries: 0,
    });

    await sleep(1_000);
    expect(receiver.requests).toHaveLength(delivered);
    const still = await api(engine, 'GET', `/v1/webhook-endpoints/${endpoint.id}`, { headers: as(owner) });
    expect(still.body.status).toBe('enabled');
  });
});

describe('URL policy', () => {
  it('refuses 127.0.0.1 and other internal addresses in production mode, for endpoints and callback_url; development allows them', async () => {
    // Production refuses the local chains and anvil's keys: a real preset whose RPC is never reached (every payout
    // below is refused before it), and a key of the test's own.
    const networks = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'webhooks-production-')), 'networks.yaml');
    await fs.writeFile(networks, 'networks:\n  - preset: sepolia\n    rpc_urls: ["https://127.0.0.1:1"]\n');
    const production = await startEngine({
      ...WEBHOOK_ENV,
      NODE_ENV: 'production',
      NETWORKS_FILE: networks,
      WEBHOOK_ALLOW_PRIVATE_URLS: '',
      TREASURY_PRIVATE_KEY: newTreasury().key,
    });
    try {
      expect(production.config.webhooks.urlPolicy).toEqual({ requireHttps: true, allowPrivate: false });
      const account = newAccount('prod');
      const headers = as(account);
      const refusals: Record<string, RegExp> = {
        'https://127.0.0.1/hooks': /loopback address \(127\.0\.0\.1\)/,
        'http://127.0.0.1/hooks': /must use https/,
        'https://localhost/hooks': /localhost resolves to a loopback address/,
        'https://[::ffff:127.0.0.1]/hooks': /IPv4-mapped/,
        'https://10.0.0.5/hooks': /private address/,
        'https://169.254.169.254/latest/meta-data': /link-local/,
        'https://100.64.1.1/': /carrier-grade NAT/,
        'https://[fd00::1]/': /unique-local/,
      };
      for (const [url, message] of Object.entries(refusals)) {
        const refused = await api(production, 'POST', '/v1/webhook-endpoints', { headers, body: { url, events: ['*'] } });
        expect(refused.status).toBe(400);
        expect(refused.body.error.fields).toEqual([{ field: 'url', message: expect.stringMatching(message) }]);
      }
      expect(await production.db.webhookEndpoint.count({ where: { accountId: account } })).toBe(0);

      expect((await api(production, 'POST', '/v1/webhook-callback-secret', { headers, body: {} })).status).toBe(201);
      const payout = { amount: '1', asset: 'USDC', network: 'local', destination: randomAddress(), purpose: 'p' };
      const onSepolia = { ...payout, network: 'sepolia' };
      const refused = await api(production, 'POST', '/v1/payouts', {
        headers,
        body: { ...onSepolia, callback_url: 'https://127.0.0.1:8443/cb' },
      });
      expect(refused.status).toBe(400);
      expect(refused.body.error.fields).toEqual([{ field: 'callback_url', message: expect.stringMatching(/loopback/) }]);
      // Every bad field at once: the address check runs next to the other checks.
      const both = await api(production, 'POST', '/v1/payouts', {
        headers,
        body: { ...onSepolia, amount: '-1', callback_url: 'https://127.0.0.1/cb' },
      });
      expect(both.body.error.fields.map((field: { field: string }) => field.field).sort()).toEqual(['amount', 'callback_url']);
      expect(await production.db.payout.count({ where: { accountId: account } })).toBe(0);

      // Development (this file's engine) allows private URLs.
      const dev = newAccount('dev');
      expect((await api(engine, 'POST', '/v1/webhook-callback-secret', { headers: as(dev), body: {} })).status).toBe(201);
      const accepted = await api(engine, 'POST', '/v1/payouts', {
        headers: as(dev),
        body: { ...payout, callback_url: 'http://127.0.0.1:9/cb' },
      });
      expect(accepted.status).toBe(201);
      expect((await engine.db.payout.findUniqueOrThrow({ where: { id: accepted.body.id } })).callbackUrl).toBe('http://127.0.0.1:9/cb');
    } finally {
      await production.stop();
    }
  });

  it('checks addresses again at delivery: a name that now resolves to 127.0.0.1 (DNS rebinding) is never connected to', async () => {
    const receiver = await startReceiver();
    const account = newAccount('rebind');
    const port = new URL(receiver.url).port;
    // Registered while the name resolved to a public address; the row is what registration would have stored.
    await engine.db.webhookEndpoint.create({
      data: {
        id: `we_rebind_${Math.random().toString(36).slice(2)}`,
        accountId: account,
        url: `http://rebind.example.test:${port}/hooks`,
        events: ['payout.in_progress'],
        secret: 'whsec_rebind',
        createdBy: 'test',
      },
    });
    const rebinding: Resolver = async (host) =>
      host === 'rebind.example.test' ? [{ address: '127.0.0.1', family: 4 } satisfies LookupAddress] : systemResolver(host);
    await stopDispatchers();
    const strict = startWebhookDispatcher({
      db: engine.db,
      settings: { ...engine.config.webhooks, urlPolicy: { requireHttps: false, allowPrivate: false } },
      resolve: rebinding,
      log: () => undefined,
    });
    try {
      const payout = await createPayout(account);
      const event = await eventOf(account, payout.id, 'payout.in_progress');
      const failed = await eventually('a refused attempt', async () => {
        const detail = await eventDetail(account, event.id);
        return detail.deliveries.find((delivery) => delivery.attempts >= 2 && delivery.last_error);
      });
      expect(failed.last_error).toBe('host rebind.example.test resolves to a loopback address (127.0.0.1); refused');
      expect(failed.last_status_code).toBeNull();
      expect(receiver.requests).toHaveLength(0);
    } finally {
      await strict.stop();
      startDispatchers();
    }
  });
});

describe('migration', () => {
  it('gives events recorded before it the account of their payout', async () => {
    const name = `webhooks_migration_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
    const admin = new Client({ connectionString: engine.config.databaseUrl });
    await admin.connect();
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'webhooks-migration-'));
    try {
      await admin.query(`CREATE DATABASE "${name}"`);
      const url = new URL(engine.config.databaseUrl);
      url.pathname = `/${name}`;
      // Every migration before this one, then a payout and its events as they were written then.
      await fs.cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
      await fs.rm(path.join(dir, '20261121050000_webhooks'), { recursive: true });
      await migrate(url.toString(), { migrationsDir: dir });
      const db = new Client({ connectionString: url.toString() });
      await db.connect();
      try {
        await db.query(
          `INSERT INTO payouts (id, account_id, idempotency_key, workflow_id, amount, asset, network, destination, purpose, created_by, status)
           VALUES ('po_old', 'acct_old', 'k', 'payout-po_old', 1, 'USDC', 'local', '0x90F79bf6EB2c4f870365E785982E1f101E93b906', 'p', 'api', 'completed')`,
        );
        await db.query(
          `INSERT INTO outbox_events (id, aggregate_type, aggregate_id, event_type, payload, published_at)
           VALUES ('evt_po_old_1', 'payout', 'po_old', 'payout.in_progress', '{}', now()), ('evt_po_old_2', 'payout', 'po_old', 'payout.completed', '{}', NULL)`,
        );
        expect((await migrate(url.toString())).applied).toEqual(['20261121050000_webhooks']);
        const { rows } = await db.query('SELECT id, account_id FROM outbox_events ORDER BY id');
        expect(rows).toEqual([
          { id: 'evt_po_old_1', account_id: 'acct_old' },
          { id: 'evt_po_old_2', account_id: 'acct_old' },
        ]);
      } finally {
        await db.end();
      }
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
