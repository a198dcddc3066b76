import { randomBytes } from 'node:crypto';
import { getAddress, zeroAddress } from 'viem';
import { MAX_UINT256 } from './money';
import { itemErrorPath, validateItems, type ItemError, type ValidateItemsOptions } from './mass-payout-items';

const A = '0x90F79bf6EB2c4f870365E785982E1f101E93b906';
const B = '0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65';
const OPTIONS: ValidateItemsOptions = { asset: { symbol: 'USDC', decimals: 6 }, maxItems: 100_000 };

function errorsOf(items: unknown, options: Partial<ValidateItemsOptions> = {}) {
  const result = validateItems(items, { ...OPTIONS, ...options });
  if (result.ok) throw new Error('expected the items to be refused');
  return result;
}

/** [item, field, code] of every reported error, the shape most assertions compare. */
const triples = (errors: ItemError[]) => errors.map((e) => [e.item, e.field, e.code]);

describe('validateItems: valid batches', () => {
  it('returns checksummed destinations, base units, optional fields only when given, and the bigint total', () => {
    const result = validateItems(
      [
        { address: A.toLowerCase(), amount: '12.5' },
        { address: B, amount: '0.000001', reference: 'inv-2026/11:7', memo: 'November, "bonus"\nline two' },
      ],
      OPTIONS,
    );
    expect(result).toEqual({
      ok: true,
      items: [
        { index: 0, destination: A, amountUnits: 12_500_000n },
        { index: 1, destination: B, amountUnits: 1n, reference: 'inv-2026/11:7', memo: 'November, "bonus"\nline two' },
      ],
      totalUnits: 12_500_001n,
    });
  });

  it('pays the same address twice (two invoices to one supplier) and treats references case-sensitively', () => {
    const result = validateItems(
      [
        { address: A, amount: '1', reference: 'INV-1' },
        { address: A, amount: '2', reference: 'inv-1' },
      ],
      OPTIONS,
    );
    expect(result.ok && result.totalUnits).toBe(3_000_000n);
  });

  it('accepts exactly maxItems items', () => {
    const items = Array.from({ length: 3 }, () => ({ address: A, amount: '1' }));
    expect(validateItems(items, { ...OPTIONS, maxItems: 3 }).ok).toBe(true);
  });

  it('accepts 100,000 generated items with the exact total', () => {
    const bytes = randomBytes(20 * 100_000).toString('hex');
    let expected = 0n;
    const items = Array.from({ length: 100_000 }, (_, i) => {
      expected += BigInt(1 + (i % 997)) * 1_000_000n + BigInt(i % 1_000_000);
      return {
        address: `0x${bytes.slice(i * 40, i * 40 + 40)}`,
        amount: `${1 + (i % 997)}.${String(i % 1_000_000).padStart(6, '0')}`,
        reference: `r${i}`,
      };
    });
    const result = validateItems(items, OPTIONS);
    if (!result.ok) throw new Error(JSON.stringify(result.errors.slice(0, 3)));
    expect(result.items).toHaveLength(100_000);
    expect(result.totalUnits).toBe(expected);
    expect(result.items[99_999]!.destination).toBe(getAddress(items[99_999]!.address));
  });
});

describe('validateItems: the batch', () => {
  it.each([
    [undefined, 'not_an_array'],
    [{ address: A, amount: '1' }, 'not_an_array'],
    ['[]', 'not_an_array'],
    [[], 'no_items'],
  ])('refuses %j with %s', (items, code) => {
    expect(triples(errorsOf(items).errors)).toEqual([[null, null, code]]);
  });

  it('refuses one item over maxItems with one clear error, whatever the items hold', () => {
    const items = [{ address: A, amount: '1' }, { address: 'bad', amount: 'bad' }, {}, null];
    const result = errorsOf(items, { maxItems: 3 });
    expect(result.errors).toEqual([
      {
        item: 3, // the first item over the limit
        field: null,
        code: 'too_many_items',
        message: 'a mass payout holds at most 3 items and this one has 4; split it into several mass payouts',
      },
    ]);
    expect(result.errorCount).toBe(1);
  });

  it('refuses a total that no uint256 balance can hold', () => {
    const max = MAX_UINT256.toString();
    const result = errorsOf(
      [
        { address: A, amount: max },
        { address: B, amount: '1' },
      ],
      { asset: { symbol: 'WEI', decimals: 0 } },
    );
    expect(triples(result.errors)).toEqual([[null, 'amount', 'total_too_large']]);
  });

  it('rejects a configuration that could never accept anything', () => {
    expect(() => validateItems([], { ...OPTIONS, maxItems: 0 })).toThrow(RangeError);
    expect(() => validateItems([], { ...OPTIONS, asset: { symbol: 'X', decimals: -1 } })).toThrow(RangeError);
  });
});

describe('validateItems: every problem of every item', () => {
  it('reports each bad field with its index and code, and no item when any is bad', () => {
    const result = errorsOf([
      { address: A, amount: '1' },
      { address: A.slice(0, -1), amount: '1' },
      { address: A.toLowerCase().replace('0x90f', '0x90F'), amount: '1' },
      { address: zeroAddress, amount: '1' },
      { address: A, amount: 12.5 },
      { address: A, amount: '1.1234567' },
      { address: A, amount: '-1' },
      { address: A, amount: '0.000' },
      { address: A, amount: '1e3' },
      { address: A, amount: (MAX_UINT256 + 1n).toString() },
      { amount: '1' },
      { address: A },
      { address: 42, amount: '1', colour: 'red' },
      null,
      ['0x', '1'],
      { address: 'nope', amount: 'nope' },
    ]);
    expect(triples(result.errors)).toEqual([
      [1, 'address', 'address_invalid'],
      [2, 'address', 'address_checksum'],
      [3, 'address', 'address_zero'],
      [4, 'amount', 'not_a_string'],
      [5, 'amount', 'amount_too_many_decimals'],
      [6, 'amount', 'amount_invalid_format'],
      [7, 'amount', 'amount_not_positive'],
      [8, 'amount', 'amount_invalid_format'],
      [9, 'amount', 'amount_too_large'],
      [10, 'address', 'required'],
      [11, 'amount', 'required'],
      [12, 'address', 'not_a_string'],
      [12, 'colour', 'unknown_field'],
      [13, null, 'not_an_object'],
      [14, null, 'not_an_object'],
      [15, 'address', 'address_invalid'],
      [15, 'amount', 'amount_invalid_format'],
    ]);
    expect(result).toMatchObject({ errorCount: 17, badItemCount: 15, truncated: false });
  });

  it('explains amounts in the asset of the batch, and JSON numbers as such', () => {
    const { errors } = errorsOf([
      { address: A, amount: '1.1234567' },
      { address: A, amount: 1 },
    ]);
    expect(errors[0]!.message).toBe('amount has 7 decimal places; USDC allows at most 6');
    expect(errors[1]!.message).toMatch(/not a JSON number/);
  });

  it('reports every later use of a reference, pointing at the first', () => {
    const { errors } = errorsOf([
      { address: A, amount: '1', reference: 'inv-1' },
      { address: A, amount: '1', reference: 'inv-2' },
      { address: B, amount: '1', reference: 'inv-1' },
      { address: B, amount: '1', reference: 'inv-1' },
    ]);
    expect(triples(errors)).toEqual([
      [2, 'reference', 'reference_duplicate'],
      [3, 'reference', 'reference_duplicate'],
    ]);
    expect(errors[0]!.message).toBe('reference "inv-1" is already used by item 0; references must be unique within a mass payout');
  });

  it('applies the external_id rules to references: 1-50 of letters, digits and ._:/-', () => {
    const { errors } = errorsOf([
      { address: A, amount: '1', reference: 'x'.repeat(50) },
      { address: A, amount: '1', reference: 'x'.repeat(51) },
      { address: A, amount: '1', reference: 'inv 1' },
      { address: A, amount: '1', reference: 'inv#1' },
      { address: A, amount: '1', reference: '' },
      { address: A, amount: '1', reference: 7 },
    ]);
    expect(triples(errors)).toEqual([
      [1, 'reference', 'reference_too_long'],
      [2, 'reference', 'reference_invalid'],
      [3, 'reference', 'reference_invalid'],
      [4, 'reference', 'reference_invalid'],
      [5, 'reference', 'not_a_string'],
    ]);
  });

  it('limits memos to 200 characters counted as code points, and refuses control characters', () => {
    const emoji = '\u{1F4B8}'; // two UTF-16 units, one character
    const { errors } = errorsOf([
      { address: A, amount: '1', memo: emoji.repeat(200) },
      { address: A, amount: '1', memo: emoji.repeat(201) },
      { address: A, amount: '1', memo: 'tab\tand\r\nbreaks are fine' },
      { address: A, amount: '1', memo: 'bell\u0007' },
      { address: A, amount: '1', memo: 'nul\u0000' },
      { address: A, amount: '1', memo: 'lone \ud800 surrogate' },
    ]);
    expect(triples(errors)).toEqual([
      [1, 'memo', 'memo_too_long'],
      [3, 'memo', 'memo_invalid'],
      [4, 'memo', 'memo_invalid'],
      [5, 'memo', 'memo_invalid'],
    ]);
  });

  it('screens each distinct checksummed address once and reports the reason', () => {
    const screened: string[] = [];
    const isRefused = (address: string) => {
      screened.push(address);
      return address === B ? 'on the sanctions list' : undefined;
    };
    const { errors } = errorsOf(
      [
        { address: A, amount: '1' },
        { address: B.toLowerCase(), amount: '1' },
        { address: B, amount: '2' },
      ],
      { isRefused },
    );
    expect(screened).toEqual([A, B]);
    expect(errors).toEqual([
      { item: 1, field: 'address', code: 'address_refused', message: 'address refused: on the sanctions list' },
      { item: 2, field: 'address', code: 'address_refused', message: 'address refused: on the sanctions list' },
    ]);
  });

  it('caps the report and says how many errors there are in all', () => {
    const items = Array.from({ length: 1500 }, () => ({ address: A, amount: '-1' }));
    const result = errorsOf(items);
    expect(result.errors).toHaveLength(1000);
    expect(result).toMatchObject({ errorCount: 1500, badItemCount: 1500, truncated: true });
    expect(errorsOf(items, { maxReportedErrors: 10 }).errors).toHaveLength(10);
  });
});

describe('itemErrorPath', () => {
  it.each([
    [{ item: 3, field: 'amount' }, 'items[3].amount'],
    [{ item: 3, field: null }, 'items[3]'],
    [{ item: null, field: null }, 'items'],
    [{ item: null, field: 'amount' }, 'items[].amount'],
  ])('names %j as %s', (where, path) => {
    expect(itemErrorPath({ ...where, code: 'required', message: '' })).toBe(path);
  });
});
