/**
 * Reading and working exceptions: who may see one, and changing its owner and state under the rules
 * of domain/reconciliation.ts. A change locks the row, so two people acting at once are applied one
 * after the other and each is judged against the state the other left; every change is appended to
 * the exception's history with who made it.
 */
import { checkExceptionTransition, type ExceptionState } from '../../domain/reconciliation';
import type { Prisma, ReconciliationException } from '../../generated/prisma/client';
import type { Db } from '../db';

/**
 * An account sees the exceptions about its own payouts and the platform-wide ones (transfers no payout
 * explains): the treasury is the deployment's, shared by every account, like GET /v1/balances.
 */
export const visibleTo = (accountId: string): Prisma.ReconciliationExceptionWhereInput => ({
  OR: [{ accountId }, { accountId: null }],
});

export interface ExceptionChange {
  state?: ExceptionState;
  /** null clears the owner. */
  owner?: string | null;
  note?: string;
  actor: string;
}

export type ChangeResult =
  | { ok: true; exception: ReconciliationException }
  | { ok: false; code: 'not_found' }
  | { ok: false; code: 'invalid_transition' | 'owner_required' | 'note_required'; message: string; state: ExceptionState };

export async function changeException(db: Db, accountId: string, id: string, change: ExceptionChange): Promise<ChangeResult> {
  return db.$transaction(async (tx) => {
    const locked = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM reconciliation_exceptions WHERE id = ${id} AND (account_id = ${accountId} OR account_id IS NULL) FOR UPDATE`;
    if (locked.length === 0) return { ok: false, code: 'not_found' } as const;
    const row = await tx.reconciliationException.findUniqueOrThrow({ where: { id } });
    const from = row.state as ExceptionState;
    const to = change.state ?? from;
    const owner = change.owner !== undefined ? change.owner : row.owner;
    const check = checkExceptionTransition(from, to, { owner, note: change.note ?? null });
    if (!check.ok) return { ok: false, code: check.code, message: check.message, state: from } as const;
    const now = new Date();
    const entry = { at: now.toISOString(), by: change.actor, from, to, owner, note: change.note ?? null };
    const history = Array.isArray(row.history) ? (row.history as Prisma.JsonArray) : [];
    const exception = await tx.reconciliationException.update({
      where: { id },
      data: {
        state: to,
        owner,
        note: change.note ?? row.note,
        resolvedAt: to !== 'resolved' ? null : from === 'resolved' ? row.resolvedAt : now,
        history: [...history, entry],
      },
    });
    return { ok: true, exception } as const;
  });
}
