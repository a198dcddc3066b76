/** The HTTP contract against the real stack: idempotency, validation, reads. */
import { api, balances, randomAddress, startEngine, waitForStatus, type Engine } from './support/harness';

let engine: Engine;
const unique = () => `${Date.now()}-${Math.random().toString(36).slice(2)}`;

beforeAll(async () => {
  engine = await startEngine();
});
afterAll(async () => {
  await engine?.stop();
});

describe('Idempotency-Key', () => {
  it('turns 20 concurrent identical requests into one payout and one on-chain transfer', async () => {
    const recipient = randomAddress();
    const idempotencyKey = `concurrent-${unique()}`;
    const body = { amount: '3.5', asset: 'USDC', network: 'local', destination: recipient, purpose: 'one payout, twenty requests' };
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => api(engine, 'POST', '/v1/payouts', { headers: { 'Idempotency-Key': idempotencyKey }, body })),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(201));
    const ids = new Set(responses.map((response) => response.body.id));
    expect(ids.size).toBe(1);
    // Every response is the stored first response, byte for byte.
    const first = JSON.stringify(responses[0]!.body);
    for (const response of responses) expect(JSON.stringify(response.body)).toBe(first);
    expect(responses.filter((response) => response.headers.get('idempotent-replayed') === 'true')).toHaveLength(19);

    const [payoutId] = [...ids];
    expect(await engine.db.payout.count({ where: { idempotencyKey } })).toBe(1);
    const done = await waitForStatus(engine, payoutId, ['completed', 'failed']);
    expect(done.status).toBe('completed');
    expect(await engine.db.chainTransaction.count({ where: { payoutId } })).toBe(1);
    expect((await balances(engine, 'local', recipient)).usdc).toBe(3_500_000n);

    // A retry long after completion still gets the first response (201), not the current state.
    const replay = await api(engine, 'POST', '/v1/payouts', { headers: { 'Idempotency-Key': idempotencyKey }, body });
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(responses[0]!.body);
  });

  it('treats the same body with keys in another order as the same request', async () => {
    const idempotencyKey = `order-${unique()}`;
    const destination = randomAddress();
    const a = await api(engine, 'POST', '/v1/payouts', {
      headers: { 'Idempotency-Key': idempotencyKey },
      body: { amount: '1', asset: 'USDC', network: 'local', destination, purpose: 'p' },
    });
    const b = await api(engine, 'POST', '/v1/payouts', {
      headers: { 'Idempotency-Key': idempotencyKey },
      body: { purpose: 'p', destination, network: 'local', asset: 'USDC', amount: '1' },
    });
    expect(b.status).toBe(201);
    expect(b.body.id).toBe(a.body.id);
  });

  it('refuses the same key with a different body (422) and creates nothing', async () => {
    const idempotencyKey = `reuse-${unique()}`;
    const destination = randomAddress();
    const first = await api(engine, 'POST', '/v1/payouts', {
      headers: { 'Idempotency-Key': idempotencyKey },
      body: { amount: '1', asset: 'USDC', network: 'local', destination, purpose: 'first' },
    });
    expect(first.status).toBe(201);
    const count = await engine.db.payout.count();
    const second = await api(engine, 'POST', '/v1/payouts', {
      headers: { 'Idempotency-Key': idempotencyKey },
      body: { amount: '2', asset: 'USDC', network: 'local', destination, purpose: 'first' },
    });
    expect(second.status).toBe(422);
    expect(second.body.error).toMatchObject({ type: 'conflict', code: 'idempotency_key_reused' });
    expect(second.body.error.message).toMatch(/different request/);
    expect(await engine.db.payout.count()).toBe(count);
  });

  it('refuses a second payout with the same external_id, pointing at the first', async () => {
    const externalId = `ext-${unique()}`.slice(0, 50);
    const body = (amount: string) => ({
      amount,
      asset: 'USDC',
      network: 'local',
      destination: randomAddress(),
      purpose: 'x',
      external_id: externalId,
    });
    const first = await api(engine, 'POST', '/v1/payouts', { headers: { 'Idempotency-Key': `ext-a-${unique()}` }, body: body('1') });
    expect(first.status).toBe(201);
    const second = await api(engine, 'POST', '/v1/payouts', { headers: { 'Idempotency-Key': `ext-b-${unique()}` }, body: body('1') });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('external_id_taken');
    expect(second.body.error.message).toContain(first.body.id);
  });
});

describe('bad input', () => {
  const good = () => ({ amount: '10', asset: 'USDC', network: 'local', destination: randomAddress(), purpose: 'valid' });
  // Mixed case with one letter's case flipped: a valid address whose EIP-55 checksum fails.
  const badChecksum = () => {
    const address = '0x52908400098527886E0F7030069857D2E4169EE7';
    return address.replace('EE7', 'Ee7');
  };

  const cases: [string, { body?: unknown; rawBody?: string; headers?: Record<string, string> }, number, string][] = [
    ['missing Idempotency-Key', { body: good(), headers: { 'Idempotency-Key': '' } }, 400, 'Idempotency-Key'],
    ['amount as a JSON number', { body: { ...good(), amount: 10 } }, 400, 'amount'],
    ['amount zero', { body: { ...good(), amount: '0' } }, 400, 'amount'],
    ['negative amount', { body: { ...good(), amount: '-5' } }, 400, 'amount'],
    ['exponent notation', { body: { ...good(), amount: '1e3' } }, 400, 'amount'],
    ['more decimals than USDC has', { body: { ...good(), amount: '1.0000001' } }, 400, 'amount'],
    ['amount missing', { body: { ...good(), amount: undefined } }, 400, 'amount'],
    ['unknown asset', { body: { ...good(), asset: 'DOGE' } }, 400, 'asset'],
    ['USDC on a network without USDC', { body: { ...good(), network: 'local-l2' } }, 400, 'asset'],
    ['unknown network', { body: { ...good(), network: 'mainnet-ish' } }, 400, 'network'],
    ['address with a bad checksum', { body: { ...good(), destination: badChecksum() } }, 400, 'destination'],
    ['address too short', { body: { ...good(), destination: '0x1234' } }, 400, 'destination'],
    ['zero address', { body: { ...good(), destination: '0x0000000000000000000000000000000000000000' } }, 400, 'destination'],
    ['empty purpose', { body: { ...good(), purpose: '  ' } }, 400, 'purpose'],
    ['external_id over 50 characters', { body: { ...good(), external_id: 'x'.repeat(51) } }, 400, 'external_id'],
    ['unknown field', { body: { ...good(), memo: 'hello' } }, 400, 'memo'],
    ['malformed JSON', { rawBody: '{"amount": "1",' }, 400, ''],
    ['a JSON array instead of an object', { body: [good()] }, 400, 'body'],
  ];

  it.each(cases)('%s -> %i, names the field, creates nothing', async (_name, request, status, field) => {
    const before = await Promise.all([engine.db.payout.count(), engine.db.idempotencyRecord.count()]);
    const headers = { 'Idempotency-Key': `bad-${unique()}`, ...request.headers };
    const response = await api(engine, 'POST', '/v1/payouts', { ...request, headers });
    expect(response.status).toBe(status);
    expect(response.body.error.type).toBe('validation');
    expect(response.body.error.request_id).toBe(response.headers.get('x-request-id'));
    if (field) expect(response.body.error.fields.map((f: { field: string }) => f.field)).toContain(field);
    expect(await Promise.all([engine.db.payout.count(), engine.db.idempotencyRecord.count()])).toEqual(before);
  });

  it('reports every bad field at once', async () => {
    const response = await api(engine, 'POST', '/v1/payouts', {
      headers: { 'Idempotency-Key': `many-${unique()}` },
      body: { amount: '1e3', asset: 'USDC', network: 'local', destination: '0x12', purpose: '', extra: true },
    });
    expect(response.status).toBe(400);
    expect(response.body.error.fields.map((f: { field: string }) => f.field).sort()).toEqual(['amount', 'destination', 'extra', 'purpose']);
  });

  it('names the networks where an asset is available', async () => {
    const response = await api(engine, 'POST', '/v1/payouts', {
      headers: { 'Idempotency-Key': `l2-${unique()}` },
      body: { amount: '1', asset: 'USDC', network: 'local-l2', destination: randomAddress(), purpose: 'x' },
    });
    expect(response.body.error.fields[0].message).toMatch(/USDC is not configured on network "local-l2"; it is available on: local/);
  });

  it('answers unknown routes and ids in the same error shape', async () => {
    const route = await api(engine, 'GET', '/v1/nope');
    expect(route.status).toBe(404);
    expect(route.body.error).toMatchObject({ type: 'not_found', code: 'route_not_found' });
    const missing = await api(engine, 'GET', '/v1/payouts/po_doesnotexist');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('payout_not_found');
  });
});

describe('reads', () => {
  it('lists the supported currencies from the registry', async () => {
    const response = await api(engine, 'GET', '/v1/currencies');
    expect(response.status).toBe(200);
    const pairs = response.body.data.map((c: { asset: string; network: string }) => `${c.asset}@${c.network}`).sort();
    expect(pairs).toEqual(['ETH@local', 'ETH@local-l2', 'USDC@local']);
    expect(response.body.data.find((c: { asset: string }) => c.asset === 'USDC')).toMatchObject({ decimals: 6, chain_id: 31337 });
  });

  it('keeps accounts apart and pages with a cursor, filtered by status', async () => {
    const account = `acct_${unique()}`.slice(0, 40);
    const headers = { 'X-Account-Id': account };
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const created = await api(engine, 'POST', '/v1/payouts', {
        headers: { ...headers, 'Idempotency-Key': `page-${i}-${unique()}` },
        body: { amount: '20000', asset: 'USDC', network: 'local', destination: randomAddress(), purpose: `page ${i}` },
      });
      expect(created.status).toBe(201);
      ids.push(created.body.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `/v1/payouts?status=pending_approval&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await api(engine, 'GET', query, { headers });
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((p: { id: string }) => p.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());

    expect((await api(engine, 'GET', `/v1/payouts/${ids[0]}`, { headers: { 'X-Account-Id': 'acct_other' } })).status).toBe(404);
    expect((await api(engine, 'GET', '/v1/payouts?status=bogus', { headers })).status).toBe(400);
    expect((await api(engine, 'GET', '/v1/payouts?limit=1000', { headers })).status).toBe(400);
    expect((await api(engine, 'GET', '/v1/payouts?cursor=garbage', { headers })).status).toBe(400);

    for (const id of ids) await api(engine, 'POST', `/v1/payouts/${id}/cancel`, { headers });
  });
});
