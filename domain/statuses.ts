/**
 * The one lifecycle vocabulary used by the API, the database, webhooks, exports and
 * Temporal search attributes. Allowed transitions are data; everything that changes a
 * status asks `canTransition` first, and terminal statuses never change.
 */

export const PAYOUT_STATUSES = [
  'awaiting_conversion',
  'pending_approval',
  'in_progress',
  'processing',
  'completed',
  'failed',
  'canceled',
  'expired',
] as const;

export type PayoutStatus = (typeof PAYOUT_STATUSES)[number];

export const TERMINAL_STATUSES: readonly PayoutStatus[] = ['completed', 'failed', 'canceled', 'expired'];

/** Statuses a payout may be created in. */
export const INITIAL_STATUSES: readonly PayoutStatus[] = ['awaiting_conversion', 'pending_approval', 'in_progress'];

export const STATUS_DESCRIPTIONS: Record<PayoutStatus, string> = {
  awaiting_conversion: 'a quoted exchange awaits confirm or cancel',
  pending_approval: 'awaiting approval',
  in_progress: 'checks running, funds reserved, transaction being prepared',
  processing: 'broadcast, awaiting confirmations',
  completed: 'paid: the transfer reached the required confirmations',
  failed: 'not paid; see failure_reason',
  canceled: 'not paid; canceled before it was sent',
  expired: 'not paid; nobody approved or confirmed it in time',
};

export const ALLOWED_TRANSITIONS: Record<PayoutStatus, readonly PayoutStatus[]> = {
  awaiting_conversion: ['pending_approval', 'in_progress', 'canceled', 'expired'],
  pending_approval: ['in_progress', 'failed', 'canceled', 'expired'],
  // in_progress -> failed covers a refused reservation or a transfer that would revert.
  in_progress: ['processing', 'failed', 'canceled'],
  // processing -> in_progress: the transaction was dropped or reorganized away before
  // reaching its confirmations and must be sent again.
  processing: ['completed', 'failed', 'canceled', 'in_progress'],
  completed: [],
  failed: [],
  canceled: [],
  expired: [],
};

export function isPayoutStatus(value: unknown): value is PayoutStatus {
  return typeof value === 'string' && (PAYOUT_STATUSES as readonly string[]).includes(value);
}

export function isTerminal(status: PayoutStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export function canTransition(from: PayoutStatus, to: PayoutStatus): boolean {
  return ALLOWED_TRANSITIONS[from].includes(to);
}

export class ForbiddenTransitionError extends Error {
  constructor(
    readonly from: PayoutStatus,
    readonly to: PayoutStatus,
  ) {
    super(
      isTerminal(from)
        ? `payout is already ${from}; a terminal status never changes`
        : `a payout cannot go from ${from} to ${to}; allowed: ${ALLOWED_TRANSITIONS[from].join(', ') || 'none'}`,
    );
    this.name = 'ForbiddenTransitionError';
  }
}

/** Returns the new status or throws ForbiddenTransitionError; pure, so callers decide what "nothing changed" means. */
export function transition(from: PayoutStatus, to: PayoutStatus): PayoutStatus {
  if (!canTransition(from, to)) throw new ForbiddenTransitionError(from, to);
  return to;
}
