/** The batch's status and attention as the workflow decides them, mirrored onto its items and the outbox. */
import { activityLog } from '../activity-log';
import type { MassShared } from './shared';
import type { MassStateUpdate } from './types';

export function massStateActivities(shared: MassShared) {
  const { db, loadMass, outbox } = shared;

  return {
    /**
     * Follows the workflow's status. A terminal batch never changes. Items follow a start
     * (pending_approval -> in_progress) or an end before anything was sent (canceled, expired,
     * failed: every item not yet sent takes the batch's status and reason).
     */
    async recordMassPayoutState(update: MassStateUpdate): Promise<void> {
      const at = new Date(update.at);
      const mass = await loadMass(update.massPayoutId);
      let changed = false;
      await db.$transaction(
        async (tx) => {
          const { count } = await tx.massPayout.updateMany({
            where: { id: update.massPayoutId, status: { notIn: ['completed', 'partially_completed', 'failed', 'canceled', 'expired'] } },
            data: {
              status: update.status,
              statusChangedAt: at,
              approvedBy: update.approvedBy,
              failureCode: update.failure?.code ?? null,
              failureReason: update.failure?.reason.replaceAll('\u0000', '\ufffd') ?? null,
              ...(['canceled', 'expired', 'failed'].includes(update.status) ? { completedAt: at, attention: null } : {}),
            },
          });
          if (count === 0) return;
          changed = true;
          if (update.status === 'in_progress') {
            await tx.$executeRaw`
              UPDATE mass_payout_items SET status = 'in_progress', updated_at = now()
              WHERE mass_payout_id = ${update.massPayoutId} AND status = 'pending_approval'`;
          } else if (update.status === 'canceled' || update.status === 'expired' || update.status === 'failed') {
            await tx.$executeRaw`
              UPDATE mass_payout_items SET status = ${update.status}, failure_code = ${update.failure?.code ?? null},
                failure_reason = ${update.failure?.reason.replaceAll('\u0000', '\ufffd') ?? null}, updated_at = now()
              WHERE mass_payout_id = ${update.massPayoutId} AND status IN ('pending_approval', 'in_progress')`;
            await outbox(tx, mass, `evt_${mass.id}_completed`, 'mass_payout.completed', {
              mass_payout_id: mass.id,
              status: update.status,
              failure: update.failure ?? null,
              at: update.at,
            });
          }
        },
        { timeout: 60_000, maxWait: 30_000 },
      );
      if (changed) massStatusLogged(mass, update.status, update.failure?.code);
    },

    async recordMassAttention(massPayoutId: string, attention: string | null): Promise<void> {
      await db.massPayout.updateMany({
        where: { id: massPayoutId, status: { in: ['pending_approval', 'in_progress'] } },
        data: { attention },
      });
    },
  };
}

/** One line per applied status change of a batch, as for a payout (activities/read-model.ts). */
export function massStatusLogged(mass: { id: string; accountId: string; status: string }, status: string, failureCode?: string) {
  activityLog()?.info(`mass payout ${mass.status} -> ${status}`, {
    mass_payout_id: mass.id,
    account_id: mass.accountId,
    status,
    previous_status: mass.status,
    ...(failureCode ? { failure_code: failureCode } : {}),
  });
}
