import { randomBytes } from 'node:crypto';
import { getAddress, zeroAddress } from 'viem';
import { CSV_HEADER, validateCsv, type CsvError } from './mass-payout-csv';
import type { ValidateItemsOptions } from './mass-payout-items';

const A = '0x90F79bf6EB2c4f870365E785982E1f101E93b906';
const B = '0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65';
const C = '0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc';
const OPTIONS: ValidateItemsOptions = { asset: { symbol: 'USDC', decimals: 6 }, maxItems: 100_000 };
const BOM = '\uFEFF';

const bytes = (text: string | Buffer) => (typeof text === 'string' ? Buffer.from(text, 'utf8') : text);

function accepted(text: string | Buffer, options: Partial<ValidateItemsOptions> = {}) {
  const result = validateCsv(bytes(text), { ...OPTIONS, ...options });
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.errors.slice(0, 5))}`);
  return result;
}

function refused(text: string | Buffer, options: Partial<ValidateItemsOptions> = {}) {
  const result = validateCsv(bytes(text), { ...OPTIONS, ...options });
  if (result.ok) throw new Error('expected the file to be refused');
  return result;
}

/** [line, column, code] of every reported error. */
const where = (errors: CsvError[]) => errors.map((e) => [e.line, e.column, e.code]);
const problems = (text: string | Buffer, options: Partial<ValidateItemsOptions> = {}) => where(refused(text, options).errors);

describe('validateCsv: valid files', () => {
  it('reads the documented header and returns items with lines, checksummed addresses, base units and the total', () => {
    const result = accepted(`${CSV_HEADER}\n${A.toLowerCase()},12.5,inv-1,November\n${B},0.000001,,\n`);
    expect(result).toEqual({
      ok: true,
      items: [
        { index: 0, line: 2, destination: A, amountUnits: 12_500_000n, reference: 'inv-1', memo: 'November' },
        { index: 1, line: 3, destination: B, amountUnits: 1n },
      ],
      totalUnits: 12_500_001n,
    });
  });

  it('matches header names case-insensitively, trims them, takes any order and leaves out the optional columns', () => {
    const result = accepted(` Amount ,\tADDRESS\n7,${A}\n`);
    expect(result.items).toEqual([{ index: 0, line: 2, destination: A, amountUnits: 7_000_000n }]);
  });

  it('trims spaces around values, quoted or not', () => {
    const result = accepted(`address,amount,memo\n  ${A} , 1.5 ,  "  padded memo "  \n`);
    expect(result.items[0]).toMatchObject({ destination: A, amountUnits: 1_500_000n, memo: 'padded memo' });
  });

  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ])('accepts %s line breaks, with or without a final one, with or without a BOM', (_name, eol) => {
    for (const bom of ['', BOM]) {
      for (const final of ['', eol]) {
        const result = accepted(`${bom}address,amount${eol}${A},1${eol}${B},2${final}`);
        expect(result.items.map((item) => [item.line, item.destination])).toEqual([
          [2, A],
          [3, B],
        ]);
      }
    }
  });

  it('counts lines right with mixed line breaks', () => {
    const result = accepted(`address,amount\r\n${A},1\n${B},2\r${C},3\r\n`);
    expect(result.items.map((item) => item.line)).toEqual([2, 3, 4]);
  });

  it('reads quoted values with commas, doubled quotes and line breaks; a row starts on its first line', () => {
    const text = [
      'address,amount,reference,memo',
      `"${A}","1,000.5","inv-1","Salary, November ""final"""`,
      `${B},2,inv-2,"line one\r\nline two\nline three"`,
      `${C},3,,""`,
      '',
    ].join('\n');
    // "1,000.5" is quoted, so it is one value, and then a bad amount: checked separately below.
    const fixed = text.replace('"1,000.5"', '"1000.5"');
    const result = accepted(fixed);
    expect(result.items).toEqual([
      { index: 0, line: 2, destination: A, amountUnits: 1_000_500_000n, reference: 'inv-1', memo: 'Salary, November "final"' },
      { index: 1, line: 3, destination: B, amountUnits: 2_000_000n, reference: 'inv-2', memo: 'line one\r\nline two\nline three' },
      { index: 2, line: 6, destination: C, amountUnits: 3_000_000n },
    ]);
    expect(problems(text)).toEqual([[2, 'amount', 'amount_invalid_format']]);
  });

  it('accepts UTF-8 beyond ASCII in memos', () => {
    const result = accepted(`${BOM}address,amount,memo\n${A},1,Prämie für Zoë 💸\n`);
    expect(result.items[0]!.memo).toBe('Prämie für Zoë 💸');
  });

  it('accepts exactly maxItems rows', () => {
    expect(accepted(`address,amount\n${A},1\n${B},1\n`, { maxItems: 2 }).items).toHaveLength(2);
  });
});

describe('validateCsv: bad rows, each at its line and column', () => {
  const header = 'address,amount,reference,memo';

  it('reports blank lines: empty, spaces only, only commas, and an extra one at the end', () => {
    const text = [header, `${A},1,,`, '', `${B},1,,`, '   ', ',,,', `${C},1,,`, '', ''].join('\n');
    expect(problems(text)).toEqual([
      [3, null, 'blank_line'],
      [5, null, 'blank_line'],
      [6, null, 'blank_line'],
      [8, null, 'blank_line'],
    ]);
  });

  it('reports rows with extra or missing values, hinting at unquoted commas', () => {
    const result = refused([header, `${A},1,000.50,inv-1,memo`, `${B},1`, `${C},1,,`].join('\r\n'));
    expect(where(result.errors)).toEqual([
      [2, null, 'too_many_columns'],
      [3, null, 'too_few_columns'],
    ]);
    expect(result.errors[0]!.message).toBe(
      'the row has 5 values and the header 4 (address,amount,reference,memo); a value holding a comma must be quoted (and amounts have no thousands separator)',
    );
  });

  it('reports an unterminated quote where its row starts, and reads nothing after it', () => {
    const text = [header, `${A},1,,ok`, `${B},1,,"never closed`, `${C},1,,`, `${C},-5,,`].join('\n');
    expect(problems(text)).toEqual([[3, 'memo', 'unterminated_quote']]);
  });

  it('reports a stray quote in an unquoted value and text after a closing quote', () => {
    const text = [header, `${A},1"5,,`, `${B},1,"inv-2"x,`, `${C},1,,5" screen`].join('\n');
    expect(problems(text)).toEqual([
      [2, 'amount', 'stray_quote'],
      [3, 'reference', 'text_after_quote'],
      [4, 'memo', 'stray_quote'],
    ]);
  });

  it('reports bad addresses: shape, checksum, zero, and screening refusals', () => {
    const text = [header, `${A.slice(0, -1)},1,,`, `${A.replace('0x90F', '0x90f')},1,,`, `${zeroAddress},1,,`, `${B},1,,`, `,1,,`].join(
      '\n',
    );
    const isRefused = (address: string) => (address === B ? 'sanctioned' : undefined);
    expect(problems(text, { isRefused })).toEqual([
      [2, 'address', 'address_invalid'],
      [3, 'address', 'address_checksum'],
      [4, 'address', 'address_zero'],
      [5, 'address', 'address_refused'],
      [6, 'address', 'required'],
    ]);
  });

  it('reports bad amounts by the rules of the asset', () => {
    const text = [header, `${A},1.1234567,,`, `${A},-1,,`, `${A},0,,`, `${A},1e3,,`, `${A},"1,5",,`, `${A},,,`, `${A},0.5,,`].join('\n');
    expect(problems(text)).toEqual([
      [2, 'amount', 'amount_too_many_decimals'],
      [3, 'amount', 'amount_invalid_format'],
      [4, 'amount', 'amount_not_positive'],
      [5, 'amount', 'amount_invalid_format'],
      [6, 'amount', 'amount_invalid_format'],
      [7, 'amount', 'required'],
    ]);
    expect(problems(`address,amount\n${A},0.1\n`, { asset: { symbol: 'WBTC', decimals: 0 } })).toEqual([
      [2, 'amount', 'amount_too_many_decimals'],
    ]);
  });

  it('reports every later use of a reference with the line of the first, case-sensitively', () => {
    const result = refused([header, `${A},1,inv-1,`, `${B},1,INV-1,`, `${C},1,inv-1,`, `${A},1,inv-1,`].join('\n'));
    expect(where(result.errors)).toEqual([
      [4, 'reference', 'reference_duplicate'],
      [5, 'reference', 'reference_duplicate'],
    ]);
    expect(result.errors[0]!.message).toBe('reference "inv-1" is already used by line 2; references must be unique within a mass payout');
  });

  it('reports bad references and memos', () => {
    const text = [header, `${A},1,${'r'.repeat(51)},`, `${A},1,inv #1,`, `${A},1,,${'m'.repeat(201)}`, `${A},1,,"bell\u0007"`].join('\n');
    expect(problems(text)).toEqual([
      [2, 'reference', 'reference_too_long'],
      [3, 'reference', 'reference_invalid'],
      [4, 'memo', 'memo_too_long'],
      [5, 'memo', 'memo_invalid'],
    ]);
  });

  it('reports a multi-line row at the line it starts, and every problem of the rows after it at their own lines', () => {
    const text = [header, `${A},1.0000001,,"two`, `lines"`, `0x123,abc,in v,`, `"${B}",1,,"a`, 'b', `c"x`].join('\r\n');
    expect(problems(text)).toEqual([
      [2, 'amount', 'amount_too_many_decimals'],
      [4, 'address', 'address_invalid'],
      [4, 'amount', 'amount_invalid_format'],
      [4, 'reference', 'reference_invalid'],
      [5, 'memo', 'text_after_quote'],
    ]);
  });

  it('reads quoted header names and values that are only quotes', () => {
    const result = accepted(`"Address","AMOUNT","memo"\n"${A}","1",""""""\n`);
    expect(result.items[0]).toMatchObject({ destination: A, amountUnits: 1_000_000n, memo: '""' });
  });

  it('refuses the whole file for one bad row among good ones', () => {
    const result = refused([header, `${A},1,,`, `${B},x,,`, `${C},1,,`].join('\n'));
    expect(result).toMatchObject({ ok: false, errorCount: 1, badItemCount: 1, truncated: false });
    expect(result).not.toHaveProperty('items');
  });
});

describe('validateCsv: the header', () => {
  it.each([
    ['a data row instead of a header', `${A},1\n${B},2\n`, [[1, null, 'missing_header']]],
    ['a blank first line', `\n${CSV_HEADER}\n${A},1,,\n`, [[1, null, 'missing_header']]],
    [
      'unknown and unnamed columns',
      `address,amount,Colour,\n${A},1,red,\n`,
      [
        [1, 'Colour', 'unknown_column'],
        [1, null, 'unknown_column'],
      ],
    ],
    ['a duplicated column', `address,amount,AMOUNT\n${A},1,1\n`, [[1, 'amount', 'duplicate_column']]],
    ['a missing required column', `address,reference\n${A},inv-1\n`, [[1, 'amount', 'missing_column']]],
    [
      'both required columns missing',
      `reference,memo\ninv-1,x\n`,
      [
        [1, 'address', 'missing_column'],
        [1, 'amount', 'missing_column'],
      ],
    ],
    ['a stray quote in the header', `address,am"ount\n${A},1\n`, [[1, null, 'stray_quote']]],
  ])('refuses %s', (_name, text, expected) => {
    expect(problems(text)).toEqual(expected);
  });

  it('names the expected header in its messages', () => {
    expect(refused(`${A},1\n`).errors[0]!.message).toBe(
      'line 1 looks like a data row; the first line must be the header address,amount,reference,memo (reference and memo are optional)',
    );
  });
});

describe('validateCsv: encoding and empty files', () => {
  it.each([
    ['nothing', Buffer.alloc(0)],
    ['only a BOM', Buffer.from([0xef, 0xbb, 0xbf])],
    ['only line breaks', Buffer.from('\r\n\n')],
  ])('refuses a file of %s as empty_file', (_name, input) => {
    expect(problems(input)).toEqual([[null, null, 'empty_file']]);
  });

  it('refuses a header without rows', () => {
    expect(problems(`${CSV_HEADER}\r\n`)).toEqual([[null, null, 'no_items']]);
  });

  it('refuses UTF-16 with a clear message', () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`address,amount\n${A},1\n`, 'utf16le')]);
    const result = refused(utf16);
    expect(where(result.errors)).toEqual([[null, null, 'unsupported_encoding']]);
    expect(result.errors[0]!.message).toBe('the file is UTF-16; save it as UTF-8');
  });

  it('reports invalid UTF-8 at the row and column holding it, and still checks the rest', () => {
    const latin1 = Buffer.from(`address,amount,memo\n${A},1,ok\n${B},1,Pr\u00e4mie\n${C},-1,caf\u00e9\n`, 'latin1');
    const result = refused(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), latin1]));
    expect(where(result.errors)).toEqual([
      [3, 'memo', 'invalid_utf8'],
      [4, 'amount', 'amount_invalid_format'],
      [4, 'memo', 'invalid_utf8'],
    ]);
    expect(result.errors[0]!.message).toBe('not valid UTF-8 (byte 0xE4); save the file as UTF-8 (in Excel: "CSV UTF-8")');
  });

  it.each([
    ['an overlong encoding', [0xc0, 0xaf]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['a truncated sequence', [0xe2, 0x82]],
    ['a lone continuation byte', [0x80]],
  ])('refuses %s', (_name, sequence) => {
    const input = Buffer.concat([Buffer.from(`address,amount,memo\n${A},1,"a\nb"\n${B},1,x`), Buffer.from(sequence), Buffer.from('y\n')]);
    expect(problems(input)).toEqual([[4, 'memo', 'invalid_utf8']]);
  });

  it('reports invalid UTF-8 in the header, and in rows whose values cannot be matched to columns', () => {
    expect(problems(Buffer.concat([Buffer.from('address,amount,m'), Buffer.from([0xe9]), Buffer.from(`mo\n${A},1,x\n`)]))).toEqual([
      [1, null, 'invalid_utf8'],
    ]);
    const input = Buffer.concat([Buffer.from(`address,amount\n${A},1,`), Buffer.from([0xff]), Buffer.from('\n')]);
    expect(problems(input)).toEqual([
      [2, null, 'invalid_utf8'],
      [2, null, 'too_many_columns'],
    ]);
  });
});

describe('validateCsv: limits and the report', () => {
  it('refuses one row over maxItems with a single error at the first row over it, whatever else is wrong', () => {
    const text = ['address,amount', `${A},1`, 'bad,bad', `${B},1`, `${C},1`, `${C},1`].join('\n');
    const result = refused(text, { maxItems: 3 });
    expect(result.errors).toEqual([
      {
        line: 5,
        column: null,
        code: 'too_many_items',
        message: 'a mass payout holds at most 3 items and this file has more; split it into several mass payouts (line 5 is row 4)',
      },
    ]);
    expect(result.errorCount).toBe(1);
  });

  it('caps the report at 1,000 errors and counts them all', () => {
    const rows = Array.from({ length: 1200 }, () => `${A},-1`);
    const result = refused(['address,amount', ...rows].join('\n'));
    expect(result.errors).toHaveLength(1000);
    expect(result).toMatchObject({ errorCount: 1200, badItemCount: 1200, truncated: true });
    expect(result.errors[999]!.line).toBe(1001);
  });
});

describe('validateCsv: 100,000 rows', () => {
  const ROWS = 100_000;
  const hex = randomBytes(20 * ROWS).toString('hex');
  const address = (i: number) => `0x${hex.slice(i * 40, i * 40 + 40)}`;
  const amount = (i: number) => `${1 + (i % 997)}.${String(i % 1_000_000).padStart(6, '0')}`;
  const lines = Array.from({ length: ROWS }, (_, i) => `${address(i)},${amount(i)},pay-${i},"row ${i}, November"`);
  const file = (rows: string[]) => Buffer.from(`${BOM}address,amount,reference,memo\r\n${rows.join('\r\n')}\r\n`);

  it('accepts a valid file with the exact bigint total', () => {
    let expected = 0n;
    for (let i = 0; i < ROWS; i++) expected += BigInt(1 + (i % 997)) * 1_000_000n + BigInt(i % 1_000_000);
    const result = accepted(file(lines));
    expect(result.items).toHaveLength(ROWS);
    expect(result.totalUnits).toBe(expected);
    const last = result.items[ROWS - 1]!;
    expect(last).toEqual({
      index: ROWS - 1,
      line: ROWS + 1,
      destination: getAddress(address(ROWS - 1)),
      amountUnits: BigInt(1 + ((ROWS - 1) % 997)) * 1_000_000n + BigInt(ROWS - 1),
      reference: `pay-${ROWS - 1}`,
      memo: `row ${ROWS - 1}, November`,
    });
  });

  it('reports exactly the 3 scattered bad rows of a file', () => {
    const bad = [...lines];
    bad[17] = `${address(17)},12.3456789,pay-17,x`; // line 19
    bad[50_000] = `${address(50_000)},1,pay-3,x`; // line 50,002: reference of row index 3 (line 5)
    bad[99_998] = `${address(99_998).slice(0, 41)},1,pay-99998,x`; // line 100,000
    const result = refused(file(bad));
    expect(where(result.errors)).toEqual([
      [19, 'amount', 'amount_too_many_decimals'],
      [50_002, 'reference', 'reference_duplicate'],
      [100_000, 'address', 'address_invalid'],
    ]);
    expect(result.errors[1]!.message).toMatch(/already used by line 5;/);
  });
});
