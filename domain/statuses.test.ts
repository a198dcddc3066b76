import {
  ALLOWED_TRANSITIONS,
  canTransition,
  ForbiddenTransitionError,
  INITIAL_STATUSES,
  isTerminal,
  PAYOUT_STATUSES,
  TERMINAL_STATUSES,
  transition,
  type PayoutStatus,
} from './statuses';

describe('payout status transitions', () => {
  const pairs = PAYOUT_STATUSES.flatMap((from) => PAYOUT_STATUSES.map((to) => [from, to] as [PayoutStatus, PayoutStatus]));

  it('walks every allowed transition', () => {
    const allowed = pairs.filter(([from, to]) => ALLOWED_TRANSITIONS[from].includes(to));
    expect(allowed.length).toBeGreaterThan(0);
    for (const [from, to] of allowed) {
      expect(canTransition(from, to)).toBe(true);
      expect(transition(from, to)).toBe(to);
    }
  });

  it('refuses every forbidden transition with a reason', () => {
    const forbidden = pairs.filter(([from, to]) => !ALLOWED_TRANSITIONS[from].includes(to));
    for (const [from, to] of forbidden) {
      expect(canTransition(from, to)).toBe(false);
      expect(() => transition(from, to)).toThrow(ForbiddenTransitionError);
    }
  });

  it('never changes a terminal status', () => {
    for (const status of TERMINAL_STATUSES) {
      expect(isTerminal(status)).toBe(true);
      expect(ALLOWED_TRANSITIONS[status]).toEqual([]);
      expect(() => transition(status, 'in_progress')).toThrow(/already/);
    }
  });

  it('reaches a terminal status from every initial status', () => {
    const reachable = new Set<PayoutStatus>();
    const visit = (status: PayoutStatus) => {
      if (reachable.has(status)) return;
      reachable.add(status);
      ALLOWED_TRANSITIONS[status].forEach(visit);
    };
    INITIAL_STATUSES.forEach(visit);
    expect([...reachable].sort()).toEqual([...PAYOUT_STATUSES].sort());
  });
});
