/** Validation of POST /v1/mass-payouts in its three forms, without a server: what is refused, how, and what is kept. */
import { loadConfig } from '../../lib/config';
import { arrayLiteral } from './create';
import { ApiError } from '../http/errors';
import type { MassPayoutBody } from './body';
import { validateMassPayoutRequest } from './request';

const registry = loadConfig({ DATABASE_URL: 'postgres://unused' }).registry;
const limits = { registry, maxItems: 3 };
const A = '0x90F79bf6EB2c4f870365E785982E1f101E93b906';
const B = '0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65';
const fields = { network: 'local', asset: 'USDC', purpose: 'payroll' };

const json = (body: unknown): MassPayoutBody => ({ form: 'json', body });
const csv = (text: string): MassPayoutBody => ({ form: 'csv', file: Buffer.from(text) });

function refusal(run: () => unknown): ApiError {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('validateMassPayoutRequest', () => {
  it('accepts JSON items: checksummed addresses, base units, the total', () => {
    const valid = validateMassPayoutRequest(
      json({
        ...fields,
        external_id: 'batch-1',
        items: [
          { address: B.toLowerCase(), amount: '1.5', reference: 'r1' },
          { address: A, amount: '2' },
        ],
      }),
      {},
      limits,
    );
    expect(valid).toMatchObject({ network: 'local', purpose: 'payroll', externalId: 'batch-1', source: 'json', totalUnits: 3_500_000n });
    expect(valid.asset.symbol).toBe('USDC');
    expect(valid.items.map((item) => [item.index, item.destination, item.amountUnits, item.reference])).toEqual([
      [0, B, 1_500_000n, 'r1'],
      [1, A, 2_000_000n, undefined],
    ]);
  });

  it('fingerprints what the request says, not how it is spelled', () => {
    const one = validateMassPayoutRequest(json({ ...fields, items: [{ address: A, amount: '1' }] }), {}, limits);
    const same = validateMassPayoutRequest(
      json({ items: [{ amount: '1', address: A.toLowerCase() }], purpose: 'payroll', asset: 'USDC', network: 'local' }),
      {},
      limits,
    );
    const other = validateMassPayoutRequest(json({ ...fields, items: [{ address: A, amount: '1.000001' }] }), {}, limits);
    const asCsv = validateMassPayoutRequest(csv(`address,amount\n${A},1\n`), fields, limits);
    expect(same.fingerprint).toEqual(one.fingerprint);
    expect(other.fingerprint).not.toEqual(one.fingerprint);
    expect(asCsv.fingerprint).not.toEqual(one.fingerprint); // another form is another request
    expect(asCsv.fingerprint.items).toBe(one.fingerprint.items);
  });

  it('lists every bad CSV row as field "file" with line, column and code', () => {
    const error = refusal(() => validateMassPayoutRequest(csv(`address,amount\n${A},1.1234567\n\n${B},x\n`), fields, limits));
    expect(error.status).toBe(400);
    expect(error.code).toBe('invalid_request');
    expect(error.message).toMatch(/^3 bad rows \(3 problems\); nothing was created/);
    expect(error.fields).toEqual([
      {
        field: 'file',
        line: 2,
        column: 'amount',
        code: 'amount_too_many_decimals',
        message: 'line 2, amount: amount has 7 decimal places; USDC allows at most 6',
      },
      { field: 'file', line: 3, column: null, code: 'blank_line', message: expect.stringMatching(/^line 3: blank line/) },
      { field: 'file', line: 4, column: 'amount', code: 'amount_invalid_format', message: expect.stringMatching(/^line 4, amount: /) },
    ]);
  });

  it('names JSON items by path, with the batch fields’ own errors alongside', () => {
    const error = refusal(() =>
      validateMassPayoutRequest(json({ network: 'local', asset: 'USDC', items: [{ address: A, amount: 1 }], extra: true }), {}, limits),
    );
    expect(error.fields).toEqual([
      { field: 'purpose', message: 'purpose is required' },
      { field: 'extra', message: 'unknown field; allowed: network, asset, purpose, external_id, items' },
      { field: 'items[0].amount', code: 'not_a_string', message: expect.stringMatching(/not a JSON number/) },
    ]);
    expect(error.message).toBe(
      '2 field(s) are invalid: purpose, extra; 1 bad item (1 problem); nothing was created: every one is listed in fields',
    );
  });

  it('refuses one item over the limit with a single 413 naming MASS_PAYOUT_MAX_ITEMS', () => {
    const items = Array.from({ length: 4 }, () => ({ address: A, amount: '1' }));
    for (const body of [json({ ...fields, items }), csv(`address,amount\n${items.map(() => `${A},1`).join('\n')}\n`)]) {
      const error = refusal(() => validateMassPayoutRequest(body, body.form === 'csv' ? fields : {}, limits));
      expect(error.status).toBe(413);
      expect(error.code).toBe('too_many_items');
      expect(error.message).toMatch(/at most 3 items.*MASS_PAYOUT_MAX_ITEMS=3/);
      expect(error.fields).toHaveLength(1);
      // Like every other row error, it says where: the first item over the limit (the header is line 1).
      const where = body.form === 'csv' ? { field: 'file', line: 5, column: null } : { field: 'items[3]' };
      expect(error.fields![0]).toEqual({ ...where, code: 'too_many_items', message: expect.stringMatching(/at most 3 items/) });
    }
  });

  it('names unknown networks and assets with what exists, and leaves the items unchecked', () => {
    const network = refusal(() => validateMassPayoutRequest(csv('nonsense'), { ...fields, network: 'mainnet' }, limits));
    expect(network.fields).toEqual([{ field: 'network', message: 'unknown network "mainnet"; supported: local, local-l2' }]);
    const asset = refusal(() => validateMassPayoutRequest(csv('nonsense'), { ...fields, asset: 'DOGE' }, limits));
    expect(asset.fields).toEqual([{ field: 'asset', message: expect.stringMatching(/^unknown asset "DOGE"; supported: .*ETH/) }]);
  });

  it('refuses query parameters outside the text/csv form, a NUL, a repeated field and a missing file', () => {
    const query = refusal(() =>
      validateMassPayoutRequest(json({ ...fields, items: [{ address: A, amount: '1' }] }), { network: 'x' }, limits),
    );
    expect(query.fields).toEqual([{ field: 'network', message: expect.stringMatching(/only with a text\/csv body/) }]);
    const nul = refusal(() => validateMassPayoutRequest(csv(`address,amount\n${A},1\n`), { ...fields, purpose: 'a\0b' }, limits));
    expect(nul.fields).toEqual([{ field: 'purpose', message: 'must not contain the NUL character (U+0000)' }]);
    const multipart = refusal(() =>
      validateMassPayoutRequest(
        { form: 'multipart', fields: { ...fields, asset: ['USDC', 'ETH'] }, file: undefined, problems: [] },
        {},
        limits,
      ),
    );
    expect(multipart.fields.map((field) => field.field)).toEqual(['file', 'asset']);
    const asText = refusal(() =>
      validateMassPayoutRequest(
        { form: 'multipart', fields: { ...fields, file: `address,amount\n${A},1\n` }, file: undefined, problems: [] },
        {},
        limits,
      ),
    );
    expect(asText.fields).toEqual([{ field: 'file', message: expect.stringMatching(/as a file part .*not as a text field/) }]);
  });
});

describe('arrayLiteral', () => {
  it('quotes every value and escapes quotes and backslashes; null is NULL', () => {
    expect(arrayLiteral(['a', 'say "hi"', 'back\\slash', '{,}', 'NULL', null, ''])).toBe(
      '{"a","say \\"hi\\"","back\\\\slash","{,}","NULL",NULL,""}',
    );
  });
});
