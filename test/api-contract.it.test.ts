/**
 * The API contract against the real engine: API keys and scopes on every route, accounts
 * isolated from each other, approver identity from the key, rate limits, the
 * Idempotency-Key contract on state-changing calls, and one error shape.
 */
import { createApiKey, revokeApiKey, SCOPES, type Scope } from '../lib/api-keys';
import { api, randomAddress, startEngine, type ApiResponse, type Engine } from './support/harness';

let engine: Engine;
const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const payoutBody = (extra: Record<string, string> = {}) => ({
  amount: '1.25',
  asset: 'USDC',
  network: 'local',
  destination: randomAddress(),
  purpose: 'contract test',
  ...extra,
});

function expectErrorShape(response: ApiResponse, status: number, type: string, code?: string) {
  expect(response.status).toBe(status);
  expect(response.body).toEqual({
    error: {
      type,
      code: code ?? expect.any(String),
      message: expect.any(String),
      fields: expect.any(Array),
      request_id: response.headers.get('x-request-id'),
    },
  });
  expect(response.headers.get('x-request-id')).toBeTruthy();
}

/** An account whose payouts need two approvals, so they wait in pending_approval. */
async function accountNeedingTwoApprovals(): Promise<string> {
  const account = `acct_c_${unique()}`;
  const policy = await api(engine, 'POST', '/v1/approval-policies', {
    body: { rules: { USDC: [{ approvals: 2 }], ETH: [{ approvals: 2 }] } },
    headers: { 'X-Account-Id': account, 'X-Actor-Id': 'admin' },
  });
  expect(policy.status).toBe(201);
  return account;
}

async function pendingPayout(account: string): Promise<string> {
  const created = await api(engine, 'POST', '/v1/payouts', {
    body: payoutBody(),
    headers: { 'X-Account-Id': account, 'X-Actor-Id': 'clerk' },
  });
  expect(created.status).toBe(201);
  expect(created.body.status).toBe('pending_approval');
  return created.body.id;
}

beforeAll(async () => {
  engine = await startEngine();
});
afterAll(async () => {
  await engine?.stop();
});

describe('authentication', () => {
  it('refuses a request without a key, a malformed key, an unknown key and a revoked key', async () => {
    const none = await api(engine, 'GET', '/v1/payouts', { auth: false });
    expectErrorShape(none, 401, 'auth', 'api_key_missing');
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);

    const malformed = await api(engine, 'GET', '/v1/payouts', { headers: bearer('not-a-key') });
    expectErrorShape(malformed, 401, 'auth', 'api_key_malformed');

    const real = await createApiKey(engine.db, { accountId: 'acct_demo', actor: 'temp', scopes: ['payouts:read'] });
    const forged = `${real.token.slice(0, -4)}AAAA`;
    expectErrorShape(await api(engine, 'GET', '/v1/payouts', { headers: bearer(forged) }), 401, 'auth', 'api_key_invalid');

    expect((await api(engine, 'GET', '/v1/payouts', { headers: bearer(real.token) })).status).toBe(200);
    expect(await revokeApiKey(engine.db, real.keyId)).toBe(true);
    expectErrorShape(await api(engine, 'GET', '/v1/payouts', { headers: bearer(real.token) }), 401, 'auth', 'api_key_revoked');
  });

  it('stores only a hash of the secret', async () => {
    const key = await createApiKey(engine.db, { accountId: 'acct_demo', actor: 'hash-check', scopes: ['payouts:read'] });
    const row = await engine.db.apiKey.findUniqueOrThrow({ where: { id: key.keyId } });
    const secret = key.token.split('_').slice(2).join('_');
    expect(JSON.stringify(row)).not.toContain(secret);
    expect(row.secretHash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('scopes', () => {
  // Every /v1 route with the scope it needs. A route missing here fails the completeness check below.
  const routes: { method: string; path: (id: string) => string; scope: Scope; body?: unknown }[] = [
    { method: 'POST', path: () => '/v1/payouts', scope: 'payouts:create', body: payoutBody() },
    { method: 'GET', path: () => '/v1/payouts', scope: 'payouts:read' },
    { method: 'GET', path: (id) => `/v1/payouts/${id}`, scope: 'payouts:read' },
    { method: 'POST', path: (id) => `/v1/payouts/${id}/approve`, scope: 'payouts:approve', body: {} },
    { method: 'POST', path: (id) => `/v1/payouts/${id}/reject`, scope: 'payouts:approve', body: {} },
    { method: 'POST', path: (id) => `/v1/payouts/${id}/confirm-conversion`, scope: 'payouts:approve', body: {} },
    { method: 'POST', path: (id) => `/v1/payouts/${id}/cancel`, scope: 'payouts:cancel', body: {} },
    { method: 'GET', path: () => '/v1/approval-policies', scope: 'payouts:read' },
    {
      method: 'POST',
      path: () => '/v1/approval-policies',
      scope: 'approval_policies:manage',
      body: { rules: { USDC: [{ approvals: 0 }] } },
    },
    { method: 'GET', path: () => '/v1/exports/payouts?format=json', scope: 'exports:read' },
    { method: 'GET', path: () => '/v1/balances', scope: 'payouts:read' },
  ];

  it.each(routes.map((route) => [`${route.method} ${route.path(':id')}`, route] as const))(
    '%s needs its scope: 403 naming it without, not 403 with only it',
    async (_name, route) => {
      const account = `acct_s_${unique()}`;
      const otherScopes = SCOPES.filter((scope) => scope !== route.scope);
      const without = await createApiKey(engine.db, { accountId: account, actor: 'someone', scopes: otherScopes });
      const only = await createApiKey(engine.db, { accountId: account, actor: 'someone-else', scopes: [route.scope] });
      const path = route.path('po_doesnotexist');

      const refused = await api(engine, route.method, path, { body: route.body, headers: bearer(without.token) });
      expectErrorShape(refused, 403, 'auth', 'missing_scope');
      expect(refused.body.error.message).toContain(route.scope);

      const allowed = await api(engine, route.method, path, { body: route.body, headers: bearer(only.token) });
      expect(allowed.status).not.toBe(403);
      expect(allowed.status).not.toBe(401);
    },
  );
});

describe('accounts are isolated', () => {
  it('another account cannot read, list, approve, reject, cancel or confirm a payout, nor see its policies', async () => {
    const owner = await accountNeedingTwoApprovals();
    const payoutId = await pendingPayout(owner);
    const intruder = { 'X-Account-Id': `acct_x_${unique()}`, 'X-Actor-Id': 'mallory' };

    expectErrorShape(await api(engine, 'GET', `/v1/payouts/${payoutId}`, { headers: intruder }), 404, 'not_found', 'payout_not_found');
    const list = await api(engine, 'GET', '/v1/payouts?limit=100', { headers: intruder });
    expect(list.body.data.map((p: { id: string }) => p.id)).not.toContain(payoutId);
    for (const action of ['approve', 'reject', 'cancel', 'confirm-conversion']) {
      const response = await api(engine, 'POST', `/v1/payouts/${payoutId}/${action}`, { body: {}, headers: intruder });
      expectErrorShape(response, 404, 'not_found', 'payout_not_found');
    }
    const policies = await api(engine, 'GET', '/v1/approval-policies', { headers: intruder });
    expect(policies.body.data).toEqual([]);

    const untouched = await api(engine, 'GET', `/v1/payouts/${payoutId}`, { headers: { 'X-Account-Id': owner } });
    expect(untouched.body).toMatchObject({ status: 'pending_approval', approved_by: [] });
  });
});

describe('approver identity', () => {
  it('comes from the key; a body that names an approver is refused', async () => {
    const account = await accountNeedingTwoApprovals();
    const payoutId = await pendingPayout(account);
    const named = await api(engine, 'POST', `/v1/payouts/${payoutId}/approve`, {
      body: { approver: 'someone-else' },
      headers: { 'X-Account-Id': account, 'X-Actor-Id': 'ann' },
    });
    expectErrorShape(named, 400, 'validation');
    expect(named.body.error.fields.map((f: { field: string }) => f.field)).toContain('approver');

    const approved = await api(engine, 'POST', `/v1/payouts/${payoutId}/approve`, {
      body: {},
      headers: { 'X-Account-Id': account, 'X-Actor-Id': 'ann' },
    });
    expect(approved.body).toMatchObject({ result: 'needs_more_approvals', approved_by: ['ann'], remaining: 1 });
  });
});

describe('rate limiting', () => {
  it('answers 429 with Retry-After past the key limit, with RateLimit headers throughout; other keys are unaffected', async () => {
    // Stay inside one fixed window: start at least 5 s before the minute turns.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 55_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 100));
    const limited = await createApiKey(engine.db, {
      accountId: 'acct_demo',
      actor: 'limited',
      scopes: ['payouts:read'],
      rateLimitPerMinute: 3,
    });
    const statuses: number[] = [];
    let last: ApiResponse | undefined;
    for (let i = 0; i < 5; i++) {
      last = await api(engine, 'GET', '/v1/currencies', { headers: bearer(limited.token) });
      statuses.push(last.status);
      expect(last.headers.get('ratelimit-limit')).toBe('3');
      expect(last.headers.get('ratelimit-policy')).toBe('3;w=60');
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expectErrorShape(last!, 429, 'rate_limited', 'rate_limited');
    expect(last!.headers.get('ratelimit-remaining')).toBe('0');
    const retryAfter = Number(last!.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);

    const other = await createApiKey(engine.db, { accountId: 'acct_demo', actor: 'unlimited', scopes: ['payouts:read'] });
    expect((await api(engine, 'GET', '/v1/currencies', { headers: bearer(other.token) })).status).toBe(200);
  });
});

describe('Idempotency-Key on state-changing calls', () => {
  it('is required on every write', async () => {
    const account = await accountNeedingTwoApprovals();
    const payoutId = await pendingPayout(account);
    const headers = { 'X-Account-Id': account, 'Idempotency-Key': '' };
    const writes = [
      '/v1/payouts',
      `/v1/payouts/${payoutId}/approve`,
      `/v1/payouts/${payoutId}/reject`,
      `/v1/payouts/${payoutId}/cancel`,
      `/v1/payouts/${payoutId}/confirm-conversion`,
      '/v1/approval-policies',
    ];
    for (const path of writes) {
      const response = await api(engine, 'POST', path, { body: {}, headers });
      expectErrorShape(response, 400, 'validation', 'idempotency_key_missing');
    }
    expect((await api(engine, 'GET', `/v1/payouts/${payoutId}`, { headers })).body.status).toBe('pending_approval');
  });

  it('replays a stored refusal (4xx) with its status and the first body, byte for byte; the replay has its own request id in the header', async () => {
    const account = await accountNeedingTwoApprovals();
    const payoutId = await pendingPayout(account);
    const key = `own-${unique()}`;
    const headers = { 'X-Account-Id': account, 'X-Actor-Id': 'clerk', 'Idempotency-Key': key };
    const first = await api(engine, 'POST', `/v1/payouts/${payoutId}/approve`, { body: {}, headers });
    expectErrorShape(first, 403, 'conflict', 'own_payout');
    const again = await api(engine, 'POST', `/v1/payouts/${payoutId}/approve`, { body: {}, headers });
    expect(again.status).toBe(403);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.text).toBe(first.text);
    // As Stripe does: the body names the request that executed, the header the one that asked again.
    expect(again.body.error.request_id).toBe(first.headers.get('x-request-id'));
    expect(again.headers.get('x-request-id')).toMatch(/^req_/);
    expect(again.headers.get('x-request-id')).not.toBe(first.headers.get('x-request-id'));
  });

  it('refuses the same key with a different body or on a different call (422), executing nothing', async () => {
    const account = await accountNeedingTwoApprovals();
    const payoutId = await pendingPayout(account);
    const key = `reuse-${unique()}`;
    const headers = { 'X-Account-Id': account, 'X-Actor-Id': 'ann', 'Idempotency-Key': key };
    const rejected = await api(engine, 'POST', `/v1/payouts/${payoutId}/reject`, { body: { reason: 'duplicate' }, headers });
    expect(rejected.status).toBe(200);
    const otherBody = await api(engine, 'POST', `/v1/payouts/${payoutId}/reject`, { body: { reason: 'typo' }, headers });
    expectErrorShape(otherBody, 422, 'conflict', 'idempotency_key_reused');
    expect(otherBody.body.error.fields).toEqual([{ field: 'Idempotency-Key', message: expect.stringContaining('different request') }]);
    const otherCall = await api(engine, 'POST', `/v1/payouts/${payoutId}/cancel`, { body: { reason: 'duplicate' }, headers });
    expectErrorShape(otherCall, 422, 'conflict', 'idempotency_key_reused');
  });

  it('runs concurrent requests with one key once: every caller gets the same answer', async () => {
    const account = await accountNeedingTwoApprovals();
    const payoutId = await pendingPayout(account);
    const headers = { 'X-Account-Id': account, 'X-Actor-Id': 'ann', 'Idempotency-Key': `conc-${unique()}` };
    const responses = await Promise.all(
      Array.from({ length: 12 }, () => api(engine, 'POST', `/v1/payouts/${payoutId}/approve`, { body: {}, headers })),
    );
    // Without the contract, all but one would have been answered 409 already_approved.
    for (const response of responses) {
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ payout_id: payoutId, result: 'needs_more_approvals', approved_by: ['ann'], remaining: 1 });
    }
    expect(responses.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(11);
    const events = await engine.db.idempotencyRecord.findMany({ where: { accountId: account, key: headers['Idempotency-Key'] } });
    expect(events).toHaveLength(1);
  });
});

describe('methods', () => {
  it('answers 405 with Allow for a path served with other methods, before asking for a key', async () => {
    const del = await api(engine, 'DELETE', '/v1/payouts/po_123', { auth: false, headers: { 'Idempotency-Key': '' } });
    expectErrorShape(del, 405, 'validation', 'method_not_allowed');
    expect(del.headers.get('allow')).toBe('GET, HEAD');
    const put = await api(engine, 'PUT', '/v1/payouts', { body: {} });
    expectErrorShape(put, 405, 'validation', 'method_not_allowed');
    expect(put.headers.get('allow')).toBe('GET, HEAD, POST');
    expect((await api(engine, 'POST', '/health', { auth: false })).status).toBe(405);
    // A path the API does not serve stays 404 (after authentication under /v1).
    expect((await api(engine, 'DELETE', '/v1/nothing-here', { auth: false, headers: { 'Idempotency-Key': '' } })).status).toBe(401);
  });
});

describe('one error shape', () => {
  it('for unknown routes, malformed JSON and an unknown route under /v1', async () => {
    expectErrorShape(await api(engine, 'GET', '/nope', { auth: false }), 404, 'not_found', 'route_not_found');
    expectErrorShape(await api(engine, 'GET', '/v1/nope'), 404, 'not_found', 'route_not_found');
    const malformed = await api(engine, 'POST', '/v1/payouts', { rawBody: '{"amount": ' });
    expectErrorShape(malformed, 400, 'validation', 'malformed_json');
  });
});
