/**
 * The Idempotency-Key contract's storage rules against real PostgreSQL, through a real
 * express route: a 5xx is stored and replayed, a transient outage is not (the retry
 * finishes the same resource), and keys expire after the configured TTL.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { loadConfig } from '../../lib/config';
import { createDb, type Db } from '../../lib/db';
import { errorHandler } from './errors';
import { respondIdempotently, requireIdempotencyKeyOnWrites } from './idempotency';
import { requestId } from './request-context';

let db: Db;
let server: Server;
let url = '';
const executions: string[] = [];
let behaviour: 'bug' | 'outage' | 'ok' = 'ok';
const account = `acct_idem_${Date.now().toString(36)}`;

beforeAll(async () => {
  db = createDb(process.env.DATABASE_URL!);
  const app = express();
  app.use(requestId, express.json());
  app.use((_req, res, next) => {
    res.locals.caller = { accountId: account, actor: 'tester', keyId: 'k', scopes: [] };
    next();
  });
  app.post('/things', requireIdempotencyKeyOnWrites, async (req, res) => {
    const ttlMs = Number(req.query.ttl ?? 60_000);
    await respondIdempotently(
      req,
      res,
      { db, ttlMs, log: () => undefined, newResourceId: () => `thing_${executions.length}` },
      async (id) => {
        executions.push(id);
        if (behaviour === 'bug') throw new Error('SELECT secret FROM somewhere failed at line 12');
        if (behaviour === 'outage') throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
        return { status: 201, body: { id, name: req.body.name } };
      },
    );
  });
  app.use(errorHandler(() => undefined));
  server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await db?.$disconnect();
});

async function post(key: string, body: unknown, query = '') {
  const response = await fetch(`${url}/things${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'Idempotency-Key': key },
    body: JSON.stringify(body),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

beforeEach(() => {
  executions.length = 0;
  behaviour = 'ok';
});

it('stores a 5xx and replays it without executing again; no internals leak', async () => {
  behaviour = 'bug';
  const key = `bug-${Date.now()}`;
  const first = await post(key, { name: 'a' });
  expect(first.status).toBe(500);
  expect(first.body.error).toMatchObject({ type: 'terminal', code: 'internal_error' });
  expect(JSON.stringify(first.body)).not.toMatch(/SELECT|secret|line 12/);
  behaviour = 'ok';
  const replay = await post(key, { name: 'a' });
  expect(replay.status).toBe(500);
  expect(replay.headers.get('idempotent-replayed')).toBe('true');
  expect(replay.body.error.code).toBe('internal_error');
  expect(executions).toHaveLength(1);
});

it('does not store a transient outage: 503 with Retry-After, and the retry finishes the same resource', async () => {
  behaviour = 'outage';
  const key = `outage-${Date.now()}`;
  const first = await post(key, { name: 'b' });
  expect(first.status).toBe(503);
  expect(first.headers.get('retry-after')).toBe('5');
  expect(first.body.error).toMatchObject({ type: 'retryable', code: 'service_unavailable' });
  behaviour = 'ok';
  const retry = await post(key, { name: 'b' });
  expect(retry.status).toBe(201);
  expect(executions).toEqual([executions[0], executions[0]]); // one resource id for both attempts
  expect(retry.body.id).toBe(executions[0]);
});

it('keeps a key for the configured TTL, then lets it start a new request', async () => {
  const key = `ttl-${Date.now()}`;
  const first = await post(key, { name: 'c' }, '?ttl=1000');
  expect(first.status).toBe(201);
  const record = await db.idempotencyRecord.findUniqueOrThrow({ where: { accountId_key: { accountId: account, key } } });
  expect(record.expiresAt.getTime() - record.createdAt.getTime()).toBeGreaterThanOrEqual(990);
  expect(record.expiresAt.getTime() - record.createdAt.getTime()).toBeLessThanOrEqual(1100);
  expect((await post(key, { name: 'c' }, '?ttl=1000')).headers.get('idempotent-replayed')).toBe('true');
  await new Promise((resolve) => setTimeout(resolve, 1200));
  const afterExpiry = await post(key, { name: 'c' }, '?ttl=1000');
  expect(afterExpiry.status).toBe(201);
  expect(afterExpiry.headers.get('idempotent-replayed')).toBeNull();
  expect(executions).toHaveLength(2);
});

it('defaults to keeping keys 24 hours', () => {
  // The engine's configuration: IDEMPOTENCY_KEY_TTL_MS, at least a day unless someone shortens it.
  expect(loadConfig({ DATABASE_URL: 'postgres://x' }).idempotencyKeyTtlMs).toBe(24 * 60 * 60 * 1000);
});
