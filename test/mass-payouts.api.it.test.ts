/**
 * POST /v1/mass-payouts and its reads through HTTP against the real stack: every bad-row kind of a CSV file refused
 * whole with every bad row listed (line, column, code) and nothing created; JSON items by `items[i].field`; the item
 * and body limits; external_id dedupe; the Idempotency-Key contract; a 100,000-row file accepted; counts, item
 * pages and filters; another account's ids are 404; and the actions mapped to the workflow's answers.
 *
 * The engine pays from a treasury of its own that is never funded, and the test account's policy wants one
 * approval for every amount: whatever the workflow does with these batches, nothing is ever sent on chain.
 */
import { randomBytes } from 'node:crypto';
import { getAddress, type Address } from 'viem';
import { api, newTreasury, readResponse, startEngine, type ApiResponse, type Engine } from './support/harness';

jest.setTimeout(300_000);

let engine: Engine;
const treasury = newTreasury();
const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
/** Every batch of this account waits for one approval (its policy below). */
const ACCOUNT = `acct_mp_${unique()}`;
/** The default policy: small batches start in_progress (and wait for funds that never come). */
const OPEN_ACCOUNT = `acct_mpo_${unique()}`;
const created: string[] = [];

/** A checksummed address nobody holds the key of (harness randomAddress derives a key: too slow for 100,000). */
const randomAddress = (): Address => getAddress(`0x${randomBytes(20).toString('hex')}`);

const as = (account: string, actor = 'creator') => ({ 'X-Account-Id': account, 'X-Actor-Id': actor });

beforeAll(async () => {
  engine = await startEngine({ TREASURY_PRIVATE_KEY: treasury.key });
  const policy = await api(engine, 'POST', '/v1/approval-policies', {
    headers: as(ACCOUNT, 'admin'),
    body: { rules: { USDC: [{ approvals: 1 }], ETH: [{ approvals: 1 }] } },
  });
  expect(policy.status).toBe(201);
});

afterAll(async () => {
  if (!engine) return;
  // The batches were never going to pay anything; end their workflows so none outlives the test.
  for (const id of created) {
    await engine.temporal.workflow
      .getHandle(`mass-payout-${id}`)
      .terminate('test finished')
      .catch(() => undefined);
  }
  await engine.stop();
});

/** A checksummed address with one letter's case flipped: the checksum no longer matches. */
function badChecksum(address: Address): string {
  const i = [...address].findIndex((c, index) => index > 1 && /[a-fA-F]/.test(c));
  const c = address[i]!;
  return address.slice(0, i) + (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) + address.slice(i + 1);
}

const fields = { network: 'local', asset: 'USDC', purpose: 'mass payout API test' };

async function postCsv(
  target: Engine,
  csv: string | Uint8Array,
  options: { query?: Record<string, string>; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  const query = new URLSearchParams(options.query ?? fields).toString();
  const { 'X-Account-Id': account = ACCOUNT, 'X-Actor-Id': actor = 'creator', ...headers } = options.headers ?? {};
  const response = await fetch(`${target.apiUrl}/v1/mass-payouts?${query}`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${await target.keyFor(account, actor)}`,
      'Idempotency-Key': `test-${crypto.randomUUID()}`,
      'Content-Type': 'text/csv',
      ...headers,
    },
    body: csv,
  });
  return readResponse(response, { method: 'POST', path: '/v1/mass-payouts' });
}

async function upload(
  target: Engine,
  csv: string | Uint8Array,
  options: { fields?: Record<string, string>; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  const form = new FormData();
  for (const [name, value] of Object.entries(options.fields ?? fields)) form.set(name, value);
  form.set('file', new Blob([csv], { type: 'text/csv' }), 'batch.csv');
  const { 'X-Account-Id': account = ACCOUNT, 'X-Actor-Id': actor = 'creator', ...headers } = options.headers ?? {};
  const response = await fetch(`${target.apiUrl}/v1/mass-payouts`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${await target.keyFor(account, actor)}`,
      'Idempotency-Key': `test-${crypto.randomUUID()}`,
      ...headers,
    },
    body: form,
  });
  return readResponse(response, { method: 'POST', path: '/v1/mass-payouts' });
}

/** Rows of mass payouts and items: a refused request must leave both unchanged. */
async function rowCounts(target: Engine = engine) {
  return { massPayouts: await target.db.massPayout.count(), items: await target.db.massPayoutItem.count() };
}

function track(response: ApiResponse): ApiResponse {
  if (response.status === 201) created.push(response.body.id);
  return response;
}

/** The row errors of a refusal, as (line, column, code). */
const rowErrors = (response: ApiResponse) =>
  (response.body.error.fields as { line?: number | null; column?: string | null; code?: string }[]).map(({ line, column, code }) => ({
    line,
    column,
    code,
  }));

const [a, b, c, d] = [randomAddress(), randomAddress(), randomAddress(), randomAddress()];

describe('a CSV file with bad rows is refused whole, every bad row listed, nothing created', () => {
  const cases: { name: string; csv: string; errors: { line: number | null; column: string | null; code: string }[] }[] = [
    {
      name: 'bad checksum',
      csv: `address,amount\n${a},1\n${badChecksum(b)},2\n${c},3\n`,
      errors: [{ line: 3, column: 'address', code: 'address_checksum' }],
    },
    {
      name: 'bad amounts (format, too many decimals, zero)',
      csv: `address,amount\n${a},1.5\n${b},1.1234567\n${c},12,5\n${d},0\n${a},-1\n`,
      errors: [
        { line: 3, column: 'amount', code: 'amount_too_many_decimals' },
        { line: 4, column: null, code: 'too_many_columns' },
        { line: 5, column: 'amount', code: 'amount_not_positive' },
        { line: 6, column: 'amount', code: 'amount_invalid_format' },
      ],
    },
    {
      name: 'duplicate reference',
      csv: `address,amount,reference\n${a},1,inv-1\n${b},2,inv-2\n${c},3,inv-1\n${d},4,inv-2\n`,
      errors: [
        { line: 4, column: 'reference', code: 'reference_duplicate' },
        { line: 5, column: 'reference', code: 'reference_duplicate' },
      ],
    },
    {
      name: 'blank lines',
      csv: `address,amount\n${a},1\n\n${b},2\n,\n${c},3\n`,
      errors: [
        { line: 3, column: null, code: 'blank_line' },
        { line: 5, column: null, code: 'blank_line' },
      ],
    },
    {
      name: 'extra and missing columns',
      csv: `address,amount,reference,memo\n${a},1,r1,m\n${b},2,r2,m,extra\n${c},3\n`,
      errors: [
        { line: 3, column: null, code: 'too_many_columns' },
        { line: 4, column: null, code: 'too_few_columns' },
      ],
    },
    {
      name: 'a header without the amount column',
      csv: `address,reference\n${a},r1\n`,
      errors: [{ line: 1, column: 'amount', code: 'missing_column' }],
    },
    {
      name: 'a bad header (unknown column)',
      csv: `address,amount,note\n${a},1,x\n`,
      errors: [{ line: 1, column: 'note', code: 'unknown_column' }],
    },
    {
      name: 'no header at all',
      csv: `${a},1\n${b},2\n`,
      errors: [{ line: 1, column: null, code: 'missing_header' }],
    },
    {
      name: 'every kind at once',
      csv:
        `address,amount,reference\n${badChecksum(a)},1,r1\n${b},1.0000001,r2\n\n${c},3,r1\n${d},4,r4,extra\n` +
        `0x0000000000000000000000000000000000000000,5,r5\nnot-an-address,6,r6\n`,
      errors: [
        { line: 2, column: 'address', code: 'address_checksum' },
        { line: 3, column: 'amount', code: 'amount_too_many_decimals' },
        { line: 4, column: null, code: 'blank_line' },
        { line: 5, column: 'reference', code: 'reference_duplicate' },
        { line: 6, column: null, code: 'too_many_columns' },
        { line: 7, column: 'address', code: 'address_zero' },
        { line: 8, column: 'address', code: 'address_invalid' },
      ],
    },
  ];

  test.each(cases.map((testCase) => [testCase.name, testCase] as const))('%s (text/csv and multipart)', async (_name, testCase) => {
    const before = await rowCounts();
    for (const response of [await postCsv(engine, testCase.csv), await upload(engine, testCase.csv)]) {
      expect(response.status).toBe(400);
      expect(response.body.error).toMatchObject({ type: 'validation', code: 'invalid_request' });
      expect(rowErrors(response)).toEqual(testCase.errors);
      for (const field of response.body.error.fields) {
        expect(field.field).toBe('file');
        if (field.line !== null) expect(field.message).toMatch(new RegExp(`^line ${field.line}\\b`));
      }
      expect(response.body.error.message).toMatch(/nothing was created/);
    }
    expect(await rowCounts()).toEqual(before);
  });

  it('accepts a file with a BOM and CRLF line breaks', async () => {
    const csv = `\uFEFFAddress,Amount,Reference\r\n${a},1.5,bom-1\r\n${b.toLowerCase()},2,bom-2\r\n`;
    const response = track(await postCsv(engine, csv));
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ item_count: 2, total_amount: '3.5', source: 'csv', status: 'pending_approval' });
    const items = await engine.db.massPayoutItem.findMany({ where: { massPayoutId: response.body.id }, orderBy: { seq: 'asc' } });
    expect(items.map((item) => [item.seq, item.address, item.amount.toFixed(), item.reference])).toEqual([
      [0, a, '1500000', 'bom-1'],
      [1, b, '2000000', 'bom-2'], // stored checksummed
    ]);
  });

  it('accepts quoted fields: commas, doubled quotes and line breaks inside quotes', async () => {
    const csv = `address,amount,reference,memo\n"${a}","1.25",q-1,"Salary, November ""final"""\n${b},2,q-2,"two\nlines, {braces} and a \\ backslash"\n${c},3,,\n`;
    const response = track(await upload(engine, csv));
    expect(response.status).toBe(201);
    const items = await engine.db.massPayoutItem.findMany({ where: { massPayoutId: response.body.id }, orderBy: { seq: 'asc' } });
    expect(items.map((item) => [item.amount.toFixed(), item.reference, item.memo])).toEqual([
      ['1250000', 'q-1', 'Salary, November "final"'],
      ['2000000', 'q-2', 'two\nlines, {braces} and a \\ backslash'],
      ['3000000', null, null],
    ]);
  });

  it('reports invalid UTF-8 at its line and column, and refuses a file part under another name', async () => {
    const bytes = new Uint8Array([...Buffer.from(`address,amount,memo\n${a},1,caf`), 0xe9, ...Buffer.from('\n')]);
    const response = await postCsv(engine, bytes);
    expect(response.status).toBe(400);
    expect(rowErrors(response)).toEqual([{ line: 2, column: 'memo', code: 'invalid_utf8' }]);

    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.set(name, value);
    form.set('upload', new Blob([`address,amount\n${a},1\n`]), 'batch.csv');
    const misnamed = await readResponse(
      await fetch(`${engine.apiUrl}/v1/mass-payouts`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${await engine.keyFor(ACCOUNT, 'creator')}`, 'Idempotency-Key': unique() },
        body: form,
      }),
      { method: 'POST', path: '/v1/mass-payouts' },
    );
    expect(misnamed.status).toBe(400);
    expect(misnamed.body.error.fields).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'upload' }),
        expect.objectContaining({ field: 'file', message: expect.stringMatching(/required/) }),
      ]),
    );
  });
});

describe('JSON items and the batch fields', () => {
  it('names every bad item as items[i].field and creates nothing', async () => {
    const before = await rowCounts();
    const response = await api(engine, 'POST', '/v1/mass-payouts', {
      headers: as(ACCOUNT),
      body: {
        ...fields,
        items: [
          { address: a, amount: '1' },
          { address: b, amount: 2 },
          { address: badChecksum(c), amount: '1.1234567', reference: 'x' },
          { address: d, amount: '1', reference: 'x', note: 'typo' },
          'not an item',
        ],
      },
    });
    expect(response.status).toBe(400);
    expect(response.body.error.fields.map((field: { field: string; code: string }) => [field.field, field.code])).toEqual([
      ['items[1].amount', 'not_a_string'],
      ['items[2].address', 'address_checksum'],
      ['items[2].amount', 'amount_too_many_decimals'],
      ['items[3].note', 'unknown_field'],
      ['items[3].reference', 'reference_duplicate'],
      ['items[4]', 'not_an_object'],
    ]);
    expect(await rowCounts()).toEqual(before);
  });

  it('names unknown networks and assets with what is allowed, and every missing field', async () => {
    const unknownNetwork = await api(engine, 'POST', '/v1/mass-payouts', {
      headers: as(ACCOUNT),
      body: { network: 'mainnet', asset: 'USDC', items: [{ address: a, amount: '1' }], extra: 1 },
    });
    expect(unknownNetwork.status).toBe(400);
    expect(unknownNetwork.body.error.fields).toEqual(
      expect.arrayContaining([
        { field: 'network', message: expect.stringMatching(/unknown network "mainnet"; supported: local, local-l2/) },
        { field: 'purpose', message: 'purpose is required' },
        { field: 'extra', message: expect.stringMatching(/unknown field; allowed: network, asset, purpose, external_id, items/) },
      ]),
    );
    const unknownAsset = await postCsv(engine, `address,amount\n${a},1\n`, { query: { network: 'local-l2', asset: 'USDC', purpose: 'p' } });
    expect(unknownAsset.status).toBe(400);
    expect(unknownAsset.body.error.fields).toEqual([
      { field: 'asset', message: expect.stringMatching(/USDC is not configured on network "local-l2"; it is available on: local/) },
    ]);
    const noFields = await postCsv(engine, `address,amount\n${a},1\n`, { query: {} });
    expect(noFields.body.error.fields.map((field: { field: string }) => field.field).sort()).toEqual(['asset', 'network', 'purpose']);
    const noItems = await api(engine, 'POST', '/v1/mass-payouts', { headers: as(ACCOUNT), body: { ...fields } });
    expect(noItems.body.error.fields).toEqual([{ field: 'items', message: expect.stringMatching(/items is required/) }]);
  });

  it('refuses a media type it does not read (415) and a missing body (400)', async () => {
    const xml = await api(engine, 'POST', '/v1/mass-payouts', {
      headers: { ...as(ACCOUNT), 'content-type': 'application/xml' },
      rawBody: '<items/>',
    });
    expect(xml.status).toBe(415);
    expect(xml.body.error.code).toBe('unsupported_media_type');
    const none = await api(engine, 'POST', '/v1/mass-payouts', { headers: as(ACCOUNT) });
    expect(none.status).toBe(400);
  });

  it('reads a JSON body far over the 1 MB of other routes (12,000 items)', async () => {
    const items = Array.from({ length: 12_000 }, (_, i) => ({ address: randomAddress(), amount: '0.01', reference: `j-${i}` }));
    const body = { ...fields, items };
    expect(JSON.stringify(body).length).toBeGreaterThan(1024 * 1024);
    const response = track(await api(engine, 'POST', '/v1/mass-payouts', { headers: as(ACCOUNT), body }));
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ item_count: 12_000, total_amount: '120', source: 'json' });
    expect(await engine.db.massPayoutItem.count({ where: { massPayoutId: response.body.id } })).toBe(12_000);
  });
});

describe('limits (MASS_PAYOUT_MAX_ITEMS=5, MASS_PAYOUT_MAX_BODY_BYTES=4096)', () => {
  let small: Engine;
  beforeAll(async () => {
    small = await startEngine({ TREASURY_PRIVATE_KEY: treasury.key, MASS_PAYOUT_MAX_ITEMS: '5', MASS_PAYOUT_MAX_BODY_BYTES: '4096' });
  });
  afterAll(async () => {
    await small?.stop();
  });

  const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ address: randomAddress(), amount: '1', reference: `l-${i}` }));
  const csvOf = (items: ReturnType<typeof rows>) =>
    `address,amount,reference\n${items.map((i) => `${i.address},1,${i.reference}`).join('\n')}\n`;

  it('refuses one item over the limit with 413 naming it, in every form', async () => {
    const before = await rowCounts(small);
    const json = await api(small, 'POST', '/v1/mass-payouts', { headers: as(ACCOUNT), body: { ...fields, items: rows(6) } });
    const csv = await postCsv(small, csvOf(rows(6)));
    const multipart = await upload(small, csvOf(rows(6)));
    for (const response of [json, csv, multipart]) {
      expect(response.status).toBe(413);
      expect(response.body.error).toMatchObject({ type: 'validation', code: 'too_many_items' });
      expect(response.body.error.message).toMatch(/at most 5 items/);
      expect(response.body.error.message).toMatch(/MASS_PAYOUT_MAX_ITEMS=5/);
    }
    // The first item over the limit: the sixth row is line 7 of the file (after the header), items[5] in JSON.
    expect(json.body.error.fields).toEqual([{ field: 'items[5]', code: 'too_many_items', message: expect.any(String) }]);
    for (const response of [csv, multipart]) {
      expect(response.body.error.fields).toEqual([
        { field: 'file', line: 7, column: null, code: 'too_many_items', message: expect.any(String) },
      ]);
    }
    expect(await rowCounts(small)).toEqual(before);
    const five = track(await upload(small, csvOf(rows(5))));
    expect(five.status).toBe(201);
  });

  it('refuses a body over MASS_PAYOUT_MAX_BODY_BYTES with 413 naming the setting, in every form', async () => {
    const memo = 'm'.repeat(190);
    const big = `address,amount,memo\n${Array.from({ length: 5 }, () => `${randomAddress()},1,${memo}`).join('\n')}\n`.repeat(4);
    expect(big.length).toBeGreaterThan(4096);
    const json = await api(small, 'POST', '/v1/mass-payouts', {
      headers: as(ACCOUNT),
      body: { ...fields, items: rows(20).map((item) => ({ ...item, memo })) },
    });
    const csv = await postCsv(small, big);
    const multipart = await upload(small, big);
    for (const response of [json, csv, multipart]) {
      expect(response.status).toBe(413);
      expect(response.body.error).toMatchObject({ type: 'validation', code: 'body_too_large' });
      expect(response.body.error.message).toMatch(/larger than 4,096 bytes.*MASS_PAYOUT_MAX_BODY_BYTES/);
    }
  });
});

describe('external_id and Idempotency-Key', () => {
  it('refuses the same external_id within 30 days with 409 naming the original', async () => {
    const externalId = `batch-${unique()}`;
    const csv = `address,amount\n${a},1\n`;
    const first = track(await postCsv(engine, csv, { query: { ...fields, external_id: externalId } }));
    expect(first.status).toBe(201);
    expect(first.body.external_id).toBe(externalId);
    const before = await rowCounts();
    const again = await api(engine, 'POST', '/v1/mass-payouts', {
      headers: as(ACCOUNT),
      body: { ...fields, external_id: externalId, items: [{ address: b, amount: '2' }] },
    });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({
      type: 'conflict',
      code: 'external_id_taken',
      fields: [{ field: 'external_id', message: `already used by mass payout ${first.body.id}` }],
    });
    expect(again.body.error.message).toContain(first.body.id);
    expect(await rowCounts()).toEqual(before);
    // Another account may use the same external_id.
    const elsewhere = track(await postCsv(engine, csv, { query: { ...fields, external_id: externalId }, headers: as(OPEN_ACCOUNT) }));
    expect(elsewhere.status).toBe(201);
  });

  it('lets exactly one of concurrent requests with one new external_id through', async () => {
    const externalId = `race-${unique()}`;
    const responses = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        api(engine, 'POST', '/v1/mass-payouts', {
          headers: as(ACCOUNT),
          body: { ...fields, external_id: externalId, items: [{ address: a, amount: `${i + 1}` }] },
        }),
      ),
    );
    responses.forEach(track);
    expect(responses.map((response) => response.status).sort()).toEqual([201, 409, 409, 409, 409]);
    const winner = responses.find((response) => response.status === 201)!.body.id;
    for (const response of responses.filter((r) => r.status === 409)) expect(response.body.error.message).toContain(winner);
    expect(await engine.db.massPayout.count({ where: { accountId: ACCOUNT, externalId } })).toBe(1);
  });

  it('replays the first answer to the same key and body, and refuses the key with another body (422)', async () => {
    const key = `idem-${unique()}`;
    const csv = `address,amount,reference\n${a},1,i-1\n${b},2,i-2\n`;
    const first = track(await upload(engine, csv, { headers: { 'Idempotency-Key': key } }));
    expect(first.status).toBe(201);
    const replay = await upload(engine, csv, { headers: { 'Idempotency-Key': key } });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(first.body);
    expect(await engine.db.massPayout.count({ where: { idempotencyKey: key } })).toBe(1);

    const other = await upload(engine, `address,amount,reference\n${a},1,i-1\n${b},3,i-2\n`, { headers: { 'Idempotency-Key': key } });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');

    // The same items as JSON, keys in another order: the same request only when sent the same way.
    const jsonKey = `idem-${unique()}`;
    const body = { ...fields, items: [{ amount: '1', address: a }] };
    const jsonFirst = track(
      await api(engine, 'POST', '/v1/mass-payouts', { headers: { ...as(ACCOUNT), 'Idempotency-Key': jsonKey }, body }),
    );
    const jsonReplay = await api(engine, 'POST', '/v1/mass-payouts', {
      headers: { ...as(ACCOUNT), 'Idempotency-Key': jsonKey },
      body: { items: [{ address: a.toLowerCase(), amount: '1' }], purpose: fields.purpose, asset: 'USDC', network: 'local' },
    });
    expect(jsonReplay.status).toBe(201);
    expect(jsonReplay.body.id).toBe(jsonFirst.body.id);
  });
});

describe('reading mass payouts', () => {
  let id: string;
  const items = Array.from({ length: 7 }, (_, i) => ({ address: randomAddress(), amount: `${i + 1}.5`, reference: `read-${i}` }));

  beforeAll(async () => {
    const response = track(await api(engine, 'POST', '/v1/mass-payouts', { headers: as(ACCOUNT), body: { ...fields, items } }));
    expect(response.status).toBe(201);
    id = response.body.id;
    expect(response.body).toMatchObject({
      object: 'mass_payout',
      status: 'pending_approval',
      approvals_required: 1,
      item_count: 7,
      total_amount: '31.5',
      total_amount_units: '31500000',
      available_actions: ['approve', 'reject', 'cancel'],
      counts: { pending_approval: { count: 7, amount: '31.5' }, completed: { count: 0, amount: '0' } },
      paid_amount: '0',
      transactions: 0,
      network_fee_total: '0',
      workflow_id: `mass-payout-${id}`,
    });
    expect(id).toMatch(/^mp_/);
  });

  it('counts items and amounts per status, paid amount, transactions and gas', async () => {
    // Stand in for deliveries: two items paid by one transaction, one failed.
    const hash = `0x${'ab'.repeat(32)}`;
    await engine.db.massPayoutDelivery.create({
      data: {
        id: `${id}:chunk:0`,
        massPayoutId: id,
        chunkIndex: 0,
        mode: 'batch',
        itemCount: 2,
        totalAmount: '3000000',
        state: 'completed',
        txHash: hash,
        networkFee: '123450000000000',
      },
    });
    await engine.db.massPayoutItem.updateMany({
      where: { massPayoutId: id, seq: { in: [0, 1] } },
      data: { status: 'completed', txHash: hash, deliveryId: `${id}:chunk:0`, chunkIndex: 0 },
    });
    await engine.db.massPayoutItem.updateMany({
      where: { massPayoutId: id, seq: 6 },
      data: { status: 'failed', failureCode: 'simulation_reverted', failureReason: 'blocked' },
    });
    const view = await api(engine, 'GET', `/v1/mass-payouts/${id}`, { headers: as(ACCOUNT) });
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({
      counts: {
        pending_approval: { count: 4, amount: '20' },
        completed: { count: 2, amount: '4' },
        failed: { count: 1, amount: '7.5' },
        in_progress: { count: 0, amount: '0' },
      },
      paid_amount: '4',
      transactions: 1,
      network_fee_total: '0.00012345',
      network_fee_asset: 'ETH',
    });
  });

  it('pages through items by seq, filters by status and reference', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: ApiResponse = await api(engine, 'GET', `/v1/mass-payouts/${id}/items?limit=3${cursor ? `&cursor=${cursor}` : ''}`, {
        headers: as(ACCOUNT),
      });
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((item: { seq: number }) => item.seq));
      cursor = page.body.next_cursor;
      expect(page.body.has_more).toBe(cursor !== null);
      pages++;
    } while (cursor);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(pages).toBe(3);

    const failed = await api(engine, 'GET', `/v1/mass-payouts/${id}/items?status=failed`, { headers: as(ACCOUNT) });
    expect(failed.body.data).toEqual([
      expect.objectContaining({
        seq: 6,
        address: items[6]!.address,
        amount: '7.5',
        amount_units: '7500000',
        reference: 'read-6',
        status: 'failed',
        failure: { code: 'simulation_reverted', reason: 'blocked' },
      }),
    ]);
    const paid = await api(engine, 'GET', `/v1/mass-payouts/${id}/items?status=completed,failed&limit=2`, { headers: as(ACCOUNT) });
    expect(paid.body.data.map((item: { seq: number }) => item.seq)).toEqual([0, 1]);
    expect(paid.body.data[0]).toMatchObject({ tx_hash: `0x${'ab'.repeat(32)}`, delivery_id: `${id}:chunk:0`, chunk_index: 0 });
    const next = await api(engine, 'GET', `/v1/mass-payouts/${id}/items?status=completed,failed&limit=2&cursor=${paid.body.next_cursor}`, {
      headers: as(ACCOUNT),
    });
    expect(next.body.data.map((item: { seq: number }) => item.seq)).toEqual([6]);
    const byReference = await api(engine, 'GET', `/v1/mass-payouts/${id}/items?reference=read-3`, { headers: as(ACCOUNT) });
    expect(byReference.body.data.map((item: { seq: number }) => item.seq)).toEqual([3]);

    for (const query of ['status=paid', 'cursor=nonsense', 'limit=0', 'color=red']) {
      const refused = await api(engine, 'GET', `/v1/mass-payouts/${id}/items?${query}`, { headers: as(ACCOUNT) });
      expect({ query, status: refused.status }).toEqual({ query, status: 400 });
    }
  });

  it('lists the account’s mass payouts newest first, filtered by status', async () => {
    const first = await api(engine, 'GET', '/v1/mass-payouts?status=pending_approval&limit=2', { headers: as(ACCOUNT) });
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(2);
    expect(
      first.body.data.every(
        (row: { status: string; account_id: string }) => row.status === 'pending_approval' && row.account_id === ACCOUNT,
      ),
    ).toBe(true);
    const second = await api(engine, 'GET', `/v1/mass-payouts?status=pending_approval&limit=2&cursor=${first.body.next_cursor}`, {
      headers: as(ACCOUNT),
    });
    expect(second.status).toBe(200);
    const ids = [...first.body.data, ...second.body.data].map((row: { id: string }) => row.id);
    expect(new Set(ids).size).toBe(ids.length);
    const times = [...first.body.data, ...second.body.data].map((row: { created_at: string }) => row.created_at);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('is 404 for another account, on every route', async () => {
    const other = as(`acct_other_${unique()}`);
    for (const [method, path] of [
      ['GET', `/v1/mass-payouts/${id}`],
      ['GET', `/v1/mass-payouts/${id}/items`],
      ['POST', `/v1/mass-payouts/${id}/approve`],
      ['POST', `/v1/mass-payouts/${id}/reject`],
      ['POST', `/v1/mass-payouts/${id}/cancel`],
    ] as const) {
      const response = await api(engine, method, path, { headers: other });
      expect({ method, path, status: response.status, code: response.body.error?.code }).toEqual({
        method,
        path,
        status: 404,
        code: 'mass_payout_not_found',
      });
    }
    const list = await api(engine, 'GET', '/v1/mass-payouts', { headers: other });
    expect(list.body.data).toEqual([]);
  });
});

describe('actions: the workflow’s answers as HTTP statuses', () => {
  const create = async (account: string) => {
    const response = track(
      await api(engine, 'POST', '/v1/mass-payouts', {
        headers: as(account),
        body: { ...fields, items: [{ address: randomAddress(), amount: '1' }] },
      }),
    );
    expect(response.status).toBe(201);
    return response.body;
  };

  it('approve: not by its creator (403 own_payout), then by another actor; a second answer is replayed', async () => {
    const batch = await create(ACCOUNT);
    const own = await api(engine, 'POST', `/v1/mass-payouts/${batch.id}/approve`, { headers: as(ACCOUNT, 'creator') });
    expect(own.status).toBe(403);
    expect(own.body.error.code).toBe('own_payout');
    const key = `approve-${unique()}`;
    const approved = await api(engine, 'POST', `/v1/mass-payouts/${batch.id}/approve`, {
      headers: { ...as(ACCOUNT, 'alice'), 'Idempotency-Key': key },
    });
    expect(approved.status).toBe(200);
    expect(approved.body).toEqual({ mass_payout_id: batch.id, result: 'approved', approved_by: ['alice'], remaining: 0 });
    const replay = await api(engine, 'POST', `/v1/mass-payouts/${batch.id}/approve`, {
      headers: { ...as(ACCOUNT, 'alice'), 'Idempotency-Key': key },
    });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(approved.body);
    const again = await api(engine, 'POST', `/v1/mass-payouts/${batch.id}/approve`, { headers: as(ACCOUNT, 'alice') });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('already_approved');
  });

  it('reject by another actor; cancel by anyone; a finished batch refuses (409)', async () => {
    const rejected = await create(ACCOUNT);
    const reject = await api(engine, 'POST', `/v1/mass-payouts/${rejected.id}/reject`, {
      headers: as(ACCOUNT, 'alice'),
      body: { reason: 'wrong month' },
    });
    expect(reject.status).toBe(200);
    expect(reject.body).toEqual({ mass_payout_id: rejected.id, result: 'rejected' });

    const open = await create(OPEN_ACCOUNT);
    expect(open).toMatchObject({ status: 'in_progress', counts: { in_progress: { count: 1, amount: '1' } } });
    const cancel = await api(engine, 'POST', `/v1/mass-payouts/${open.id}/cancel`, { headers: as(OPEN_ACCOUNT, 'creator') });
    expect(cancel.status).toBe(200);
    expect(cancel.body).toMatchObject({ mass_payout_id: open.id, result: expect.stringMatching(/^(canceled|cancel_requested)$/) });

    const badBody = await api(engine, 'POST', `/v1/mass-payouts/${open.id}/cancel`, { headers: as(OPEN_ACCOUNT), body: { why: 'x' } });
    expect(badBody.status).toBe(400);

    // Once the read model says it is finished, the API refuses without asking the workflow.
    await engine.db.massPayout.update({ where: { id: rejected.id }, data: { status: 'failed' } });
    const late = await api(engine, 'POST', `/v1/mass-payouts/${rejected.id}/cancel`, { headers: as(ACCOUNT) });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('mass_payout_terminal');
  });
});

describe('a 100,000-row file', () => {
  it('is accepted in one request: 201, 100,000 item rows', async () => {
    const rows = Array.from({ length: 100_000 }, (_, i) => `${randomAddress()},${(i % 1000) + 1}.25,row-${i}`);
    const csv = `address,amount,reference\n${rows.join('\n')}\n`;
    // Building the file blocked this process (client and server) for seconds: let the keep-alive sockets that timed
    // out meanwhile close first, or fetch may send the upload on one the server is closing (ECONNRESET).
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = performance.now();
    const response = track(await upload(engine, csv));
    const elapsed = performance.now() - started;
    expect(response.status).toBe(201);
    console.log(`100,000-row CSV (${(csv.length / 1024 / 1024).toFixed(1)} MB, multipart) accepted in ${(elapsed / 1000).toFixed(2)} s`);
    expect(response.body).toMatchObject({ item_count: 100_000, source: 'csv', counts: { pending_approval: { count: 100_000 } } });
    expect(await engine.db.massPayoutItem.count({ where: { massPayoutId: response.body.id } })).toBe(100_000);
    const last = await api(engine, 'GET', `/v1/mass-payouts/${response.body.id}/items?reference=row-99999`, { headers: as(ACCOUNT) });
    expect(last.body.data).toEqual([expect.objectContaining({ seq: 99_999, reference: 'row-99999', amount: '1000.25' })]);
  });
});
