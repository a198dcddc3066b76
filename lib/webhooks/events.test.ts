import { PAYOUT_STATUSES } from '../../domain/statuses';
import { EVENT_CATALOG, expandEventPatterns, isEventPattern } from './events';

describe('event catalog', () => {
  it('lists the four families, one payout event per status', () => {
    expect(new Set(Object.values(EVENT_CATALOG).map((entry) => entry.family))).toEqual(
      new Set(['payout', 'mass_payout', 'balance', 'reconciliation']),
    );
    for (const status of PAYOUT_STATUSES) expect(EVENT_CATALOG[`payout.${status}`]?.emitted).toBe(true);
    expect(EVENT_CATALOG['balance.low']).toBeDefined();
  });

  it('accepts exact types, family wildcards and "*", nothing else', () => {
    for (const pattern of ['payout.completed', 'payout.*', 'mass_payout.*', 'reconciliation.exception', '*'])
      expect(isEventPattern(pattern)).toBe(true);
    for (const pattern of ['payout', 'payout.done', 'payouts.*', 'payout.**', '']) expect(isEventPattern(pattern)).toBe(false);
  });

  it('expands patterns to the types they cover', () => {
    expect(expandEventPatterns(['payout.completed', 'balance.*'])).toEqual(['payout.completed', 'balance.low']);
    expect(expandEventPatterns(['mass_payout.*'])).toEqual(['mass_payout.progress', 'mass_payout.completed']);
    expect(expandEventPatterns(['*'])).toHaveLength(Object.keys(EVENT_CATALOG).length);
  });
});
