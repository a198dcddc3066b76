import type { MassPayoutView } from './client';
import { alignDecimals, exitCodeFor, formatFailedItems, formatRejection, formatSummary, nextStepFor, rowProblem } from './report';

describe('a refused file', () => {
  it('reads the rows the API names: line and column fields, or a path', () => {
    expect(
      rowProblem({ field: 'file', line: 19, column: 'amount', code: 'amount_too_many_decimals', message: 'too many decimals' }),
    ).toEqual({
      line: 19,
      column: 'amount',
      reason: 'too many decimals',
    });
    expect(rowProblem({ field: 'file', line: null, column: null, code: 'empty_file', message: 'the file is empty' })).toEqual({
      line: null,
      column: null,
      reason: 'the file is empty',
    });
    expect(rowProblem({ field: 'file', line: 5, column: 'amount', message: 'line 5, amount: amount has 9 decimal places' })).toEqual({
      line: 5,
      column: 'amount',
      reason: 'amount has 9 decimal places',
    });
    expect(rowProblem({ field: 'line 7: address', message: 'bad checksum' })).toEqual({
      line: 7,
      column: 'address',
      reason: 'bad checksum',
    });
    expect(rowProblem({ field: 'items[3].amount', message: 'zero' })).toEqual({ line: 5, column: 'amount', reason: 'zero' });
    expect(rowProblem({ field: 'network', message: 'unknown network' })).toBeNull();
  });

  it('lists at most 50 bad rows, then how many more, and what to do', () => {
    const fields = Array.from({ length: 120 }, (_, i) => ({
      field: 'file',
      line: i + 2,
      column: 'amount',
      code: 'x',
      message: `bad amount ${i}`,
    }));
    const lines = formatRejection({ code: 'invalid_request', message: '120 rows are invalid', fields }, 'pay.csv');
    expect(lines[0]).toBe('pay.csv was refused: 120 problems on 120 lines. Nothing was created.');
    expect(lines[1]).toBe('  line  column  reason');
    expect(lines[2]).toBe('     2  amount  bad amount 0');
    expect(lines.filter((line) => /bad amount/.test(line))).toHaveLength(50);
    expect(lines).toContain('  … and 70 more');
    expect(lines.at(-1)).toMatch(/^Next step: fix these lines in pay\.csv/);
  });

  it('puts a whole-file problem and the request’s own fields apart', () => {
    const lines = formatRejection(
      {
        message: 'invalid',
        fields: [
          { field: 'file', line: null, column: null, code: 'no_items', message: 'a header and no rows' },
          { field: 'asset', message: 'USDT is not available on local' },
        ],
      },
      'pay.csv',
    );
    expect(lines).toContain('  file          a header and no rows');
    expect(lines).toContain('and in the request:');
    expect(lines).toContain('  asset: USDT is not available on local');
  });

  it('without bad rows points at the options', () => {
    const lines = formatRejection(
      { message: '1 field(s) are invalid: network', fields: [{ field: 'network', message: 'unknown network mars' }] },
      'pay.csv',
    );
    expect(lines).toEqual([
      'the request was refused: 1 field(s) are invalid: network. Nothing was created.',
      '  network: unknown network mars',
      expect.stringMatching(/^Next step: correct the options .*GET \/v1\/currencies/),
    ]);
  });
});

const finished: MassPayoutView = {
  id: 'mp_1',
  status: 'partially_completed',
  asset: 'USDC',
  item_count: 10_003,
  total_amount: '50012.5',
  counts: {
    pending_approval: { count: 0, amount: '0' },
    completed: { count: 10_000, amount: '50000' },
    failed: { count: 3, amount: '12.5' },
    canceled: { count: 0, amount: '0' },
  },
  paid_amount: '50000',
  transactions: 18,
  network_fee_total: '0.0123',
  network_fee_asset: 'ETH',
  failure: null,
};

describe('the summary', () => {
  it('gives items and amounts per status, transactions and the network fee', () => {
    expect(formatSummary(finished, 125_000)).toEqual([
      'mass payout mp_1: partially_completed after 2 min 05 s',
      '              items  amount USDC',
      '  completed  10,000      50000  ',
      '  failed          3         12.5',
      '  total      10,003      50012.5',
      '  paid 50000 USDC · 18 transactions · network fee 0.0123 ETH',
    ]);
  });

  it('lines amounts up at the decimal point', () => {
    expect(alignDecimals(['50000', '12.5', '0.000001'])).toEqual(['50000       ', '12.5     ', '0.000001']);
  });

  it('names the batch’s failure', () => {
    const failed = {
      ...finished,
      status: 'failed',
      counts: { failed: { count: 3, amount: '1' } },
      failure: { code: 'insufficient_funds', reason: 'the treasury holds 0 USDC' },
    };
    expect(formatSummary(failed, 1000).at(-1)).toBe('  reason: insufficient_funds: the treasury holds 0 USDC');
  });

  it('lists failed items with their reasons', () => {
    const items = [
      {
        seq: 17,
        address: '0xAbC',
        amount: '2.5',
        reference: 'inv-17',
        status: 'failed',
        failure: { code: 'recipient_blocked', reason: 'the token refuses this address' },
      },
      { seq: 4021, address: '0xDef', amount: '5', reference: null, status: 'failed', failure: null },
    ];
    expect(formatFailedItems(items, 3, 2)).toEqual([
      "failed items (3; #n is the item's 0-based position, the file's data row n + 1):",
      '  #17   0xAbC 2.5 inv-17: recipient_blocked: the token refuses this address',
      '  #4021 0xDef 5: no reason given',
      '  … and 1 more',
    ]);
    expect(formatFailedItems([], 0)).toEqual([]);
  });

  it('exits 0 completed, 2 partially completed, 1 otherwise, with a next step for the unhappy ones', () => {
    expect(['completed', 'partially_completed', 'failed', 'canceled', 'expired'].map(exitCodeFor)).toEqual([0, 2, 1, 1, 1]);
    expect(nextStepFor({ ...finished, status: 'completed' }, 'http://api')).toBeUndefined();
    expect(nextStepFor(finished, 'http://api')).toMatch(/GET http:\/\/api\/v1\/mass-payouts\/mp_1\/items\?status=failed.*3 unpaid items/);
    expect(nextStepFor({ ...finished, status: 'expired' }, 'http://api')).toMatch(/--approve-with/);
  });
});
