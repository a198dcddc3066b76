/**
 * U+0000 is refused with a 400 before any route runs. Against the real app over a stand-in database
 * that fails any query: a request the guard let through to a query would answer 500 here.
 * (Found by probing the fuzz run's blind spot: PostgreSQL answered 22021 and the API 500.)
 */
import { SCOPES } from '../../lib/api-keys';
import { appWithoutDatabase } from '../../test/support/app-without-database';
import { serveDuringTests } from '../../test/support/serve-during-tests';

const { app, keyWith } = appWithoutDatabase();
const key = keyWith(SCOPES);
const served = serveDuringTests(app);

async function call(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${served.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'idempotency-key': `nul-${Math.random()}`, 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: response.status, body: (await response.json()) as { error?: { code: string; fields: { field: string }[] } } };
}

const fieldsOf = (response: Awaited<ReturnType<typeof call>>) => response.body.error?.fields.map((field) => field.field);

describe('the NUL character', () => {
  test('in a body string or key: 400 naming every such field', async () => {
    const payout = { amount: '1', asset: 'USDC', network: 'local', destination: '0x90F79bf6EB2c4f870365E785982E1f101E93b906' };
    const response = await call('POST', '/v1/payouts', JSON.stringify({ ...payout, purpose: 'a\u0000b', external_id: '\u0000' }));
    expect(response.status).toBe(400);
    expect(response.body.error?.code).toBe('invalid_request');
    expect(fieldsOf(response)?.sort()).toEqual(['external_id', 'purpose']);

    const policy = await call('POST', '/v1/approval-policies', JSON.stringify({ rules: { USDC: [{ below: '1' }], ['E\u0000TH']: [] } }));
    expect(policy.status).toBe(400);
    expect(fieldsOf(policy)).toEqual(['rules.E\u0000TH']);

    const reason = await call('POST', '/v1/payouts/po_1/reject', JSON.stringify({ reason: 'no\u0000pe' }));
    expect({ status: reason.status, fields: fieldsOf(reason) }).toEqual({ status: 400, fields: ['reason'] });
  });

  test('in a path parameter or a query parameter: 400', async () => {
    expect(fieldsOf(await call('GET', '/v1/payouts/po%00x'))).toEqual(['path']);
    expect(fieldsOf(await call('POST', '/v1/payouts/%00/cancel'))).toEqual(['path']);
    expect(fieldsOf(await call('GET', '/v1/payouts?cursor=abc%00'))).toEqual(['cursor']);
  });

  test('at any depth, without exhausting the stack', async () => {
    const depth = 100_000;
    const deep = `${'['.repeat(depth)}"\\u0000"${']'.repeat(depth)}`;
    const response = await call('POST', '/v1/payouts', deep);
    expect(response.status).toBe(400);
    expect(fieldsOf(response)).toEqual([`${'[0]'.repeat(depth)}`]);
  });

  test('comes after authentication, and leaves other requests alone', async () => {
    const anonymous = await fetch(`${served.url}/v1/payouts/%00`);
    expect(anonymous.status).toBe(401);
    expect((await call('GET', '/v1/currencies')).status).toBe(200);
    // %2500 is a literal "%00" once decoded, not a NUL.
    expect((await call('GET', '/v1/currencies?note=%2500')).status).toBe(200);
  });
});
