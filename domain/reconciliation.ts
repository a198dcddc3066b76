/**
 * Reconciliation's vocabulary: the mismatch categories (stable codes, stored and sent in webhooks)
 * and the life of an exception (open -> investigating -> resolved). Pure data plus rules.
 */

export const EXCEPTION_CATEGORIES = [
  'missing_onchain_transfer',
  'unknown_onchain_transfer',
  'amount_mismatch',
  'fee_mismatch',
  'status_mismatch',
  'batch_item_mismatch',
] as const;
export type ExceptionCategory = (typeof EXCEPTION_CATEGORIES)[number];

export const CATEGORY_DESCRIPTIONS: Record<ExceptionCategory, string> = {
  missing_onchain_transfer: "a completed payout whose transaction is not on chain as a successful transfer from the payout's wallet",
  unknown_onchain_transfer: 'a transaction or token transfer from a treasury wallet that matches no payout attempt',
  amount_mismatch: 'the recipient or amount moved on chain differs from the payout',
  fee_mismatch: 'the gas actually paid (receipt) differs from the payout’s network fee or the ledger’s gas entry',
  status_mismatch: 'the chain or the ledger contradicts the payout’s status (e.g. a mined transfer for a failed payout)',
  batch_item_mismatch:
    'a mass-payout delivery disagrees with its items: the recipients and amounts its transaction paid, an item completed ' +
    'without a completed delivery, items not final, or the ledger’s settlement for it',
};

export const EXCEPTION_STATES = ['open', 'investigating', 'resolved'] as const;
export type ExceptionState = (typeof EXCEPTION_STATES)[number];

/** Allowed state changes: someone takes it (investigating), resolves it, hands it back, or reopens it. */
export const EXCEPTION_TRANSITIONS: Record<ExceptionState, readonly ExceptionState[]> = {
  open: ['investigating'],
  investigating: ['resolved', 'open'],
  resolved: ['open'],
};

/** The workflow type name, for code that starts it without loading workflow code (the API, the schedule). */
export const RECONCILIATION_WORKFLOW = 'reconciliationWorkflow';

export const RUN_TRIGGERS = ['schedule', 'manual'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

export type TransitionCheck =
  { ok: true } | { ok: false; code: 'invalid_transition' | 'owner_required' | 'note_required'; message: string };

/**
 * Whether an exception may move from `from` to `to`. Staying in the same state is not a transition
 * (owner and note may change alone). Investigating needs an owner; resolving and reopening need a note,
 * so the record says why.
 */
export function checkExceptionTransition(
  from: ExceptionState,
  to: ExceptionState,
  change: { owner: string | null; note: string | null },
): TransitionCheck {
  if (from !== to && !EXCEPTION_TRANSITIONS[from].includes(to)) {
    const allowed = EXCEPTION_TRANSITIONS[from];
    return {
      ok: false,
      code: 'invalid_transition',
      message: `an exception that is ${from} can move only to ${allowed.join(' or ')}, not ${to}`,
    };
  }
  if (to === 'investigating' && !change.owner) {
    return { ok: false, code: 'owner_required', message: 'an exception under investigation needs an owner: set owner' };
  }
  if (from !== to && (to === 'resolved' || from === 'resolved') && !change.note) {
    return {
      ok: false,
      code: 'note_required',
      message: `${to === 'resolved' ? 'resolving' : 'reopening'} an exception needs a note saying why`,
    };
  }
  return { ok: true };
}
