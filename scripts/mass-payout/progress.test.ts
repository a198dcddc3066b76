import type { MassPayoutView } from './client';
import { finalItems, formatBytes, formatDuration, formatSeconds, progressBar, progressState, renderProgress } from './progress';

const view = (overrides: Partial<MassPayoutView> = {}): MassPayoutView => ({
  id: 'mp_1',
  status: 'in_progress',
  asset: 'USDC',
  item_count: 10_000,
  total_amount: '50000',
  counts: {
    completed: { count: 4200, amount: '21000' },
    failed: { count: 3, amount: '15' },
    in_progress: { count: 5797, amount: '28985' },
  },
  transactions: 12,
  ...overrides,
});

describe('progress line', () => {
  it('shows the bar, paid, failed, transactions and time', () => {
    expect(renderProgress(view(), 37_400)).toBe('[####------] 4,200/10,000 paid · 3 failed · 12 txs · 37 s');
  });

  it('fills the bar with every final item, and names canceled and expired ones only when there are some', () => {
    const line = renderProgress(
      view({
        counts: { completed: { count: 9000, amount: '1' }, failed: { count: 500, amount: '1' }, canceled: { count: 500, amount: '1' } },
      }),
      125_000,
    );
    expect(line).toBe('[##########] 9,000/10,000 paid · 500 failed · 500 canceled · 12 txs · 2 min 05 s');
  });

  it('says what the batch waits for', () => {
    expect(renderProgress(view({ status: 'pending_approval', counts: {}, transactions: 0 }), 3_000)).toBe(
      '[----------] 0/10,000 paid · 0 failed · 0 txs · 3 s · waiting for approval',
    );
    expect(renderProgress(view({ attention: { code: 'insufficient_funds', type: 'action_required' }, transactions: 1 }), 0)).toMatch(
      /1 tx · 0 s · needs attention: insufficient_funds$/,
    );
  });

  it('changes its state (not the clock) only when something happened', () => {
    expect(progressState(view())).toEqual(progressState(view()));
    expect(progressState(view({ transactions: 13 }))).not.toEqual(progressState(view()));
    expect(progressState(view({ status: 'completed' })).status).toBe('completed');
  });

  it('never overfills or divides by zero', () => {
    expect(progressBar(11, 10, 10)).toBe('[##########]');
    expect(progressBar(0, 0, 5)).toBe('[-----]');
    expect(progressBar(1, 3, 10)).toBe('[###-------]');
    expect(finalItems({ counts: { expired: { count: 2, amount: '1' }, processing: { count: 7, amount: '1' } } })).toBe(2);
  });

  it('formats durations', () => {
    expect([0, 9_999, 60_000, 3_599_000, 3_600_000, 7_380_000].map(formatDuration)).toEqual([
      '0 s',
      '9 s',
      '1 min 00 s',
      '59 min 59 s',
      '1 h 00 min',
      '2 h 03 min',
    ]);
    expect(formatSeconds(1_834)).toBe('1.8 s');
    expect(formatSeconds(95_000)).toBe('1 min 35 s');
    expect([512, 48_200, 6_240_000].map(formatBytes)).toEqual(['512 bytes', '48 kB', '6.2 MB']);
  });
});
