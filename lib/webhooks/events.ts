/**
 * The event catalog: every event type an endpoint can subscribe to, in four families.
 * payout.*, balance.low and reconciliation.exception are emitted today; the others are listed so producers added later plug in
 * without a change to subscriptions, validation or the docs.
 */
import { PAYOUT_STATUSES, STATUS_DESCRIPTIONS } from '../../domain/statuses';

export const EVENT_FAMILIES = ['payout', 'mass_payout', 'balance', 'reconciliation'] as const;
export type EventFamily = (typeof EVENT_FAMILIES)[number];

export const EVENT_CATALOG: Record<string, { family: EventFamily; description: string; emitted: boolean }> = {
  ...Object.fromEntries(
    PAYOUT_STATUSES.map((status) => [
      `payout.${status}`,
      { family: 'payout' as const, description: `a payout became ${status}: ${STATUS_DESCRIPTIONS[status]}`, emitted: true },
    ]),
  ),
  'mass_payout.progress': { family: 'mass_payout', description: 'a chunk of a mass payout was settled on chain', emitted: true },
  'mass_payout.completed': { family: 'mass_payout', description: 'every item of a mass payout reached a final status', emitted: true },
  'balance.low': {
    family: 'balance',
    description: 'free treasury funds fell below their threshold (LOW_BALANCE_THRESHOLDS), or a payout waits for funds',
    emitted: true,
  },
  'reconciliation.exception': {
    family: 'reconciliation',
    description:
      'reconciliation opened an exception: the chain, a payout and the ledger disagree (account-wide for a payout, platform-wide for an unknown treasury transfer)',
    emitted: true,
  },
};

export const EVENT_TYPES = Object.keys(EVENT_CATALOG);

/** Subscription patterns: an exact type, a family wildcard ("payout.*"), or "*" for everything. */
export const EVENT_PATTERNS = ['*', ...EVENT_FAMILIES.map((family) => `${family}.*`), ...EVENT_TYPES];

export const isEventPattern = (value: string): boolean => EVENT_PATTERNS.includes(value);
export const isEventType = (value: string): boolean => value in EVENT_CATALOG;

/** The catalog's types a list of patterns covers (for filters; endpoints match patterns in SQL, so new types reach them). */
export function expandEventPatterns(patterns: readonly string[]): string[] {
  return EVENT_TYPES.filter((type) =>
    patterns.some((pattern) => pattern === '*' || pattern === type || (pattern.endsWith('.*') && type.startsWith(pattern.slice(0, -1)))),
  );
}
