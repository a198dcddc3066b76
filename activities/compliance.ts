/**
 * Compliance activities of a payout: the screening right before signing (lists change between creation and signing),
 * and reading the decision a person with the compliance scope recorded on a hold. A decision is a row the API writes
 * under the caller's key, so a Temporal Update alone (from the Temporal UI, say) can neither release nor refuse a hold.
 */
import type { Db } from '../lib/db';
import { recordAudit, SYSTEM_ACTOR } from '../lib/audit/audit-log';
import { screeningRecord, screenDestination, type ScreeningDeps, type ScreeningHit } from '../lib/compliance/screening';

export interface ScreeningResult {
  hits: ScreeningHit[];
  /** The audit row of this screening: a decision on its hold comes after it. */
  screeningId: string;
}

export interface ComplianceDecision {
  id: string;
  outcome: 'released' | 'refused';
  actor: string;
  reason: string;
}

export interface ComplianceActivities {
  screenBeforeSigning(payoutId: string): Promise<ScreeningResult>;
  complianceDecision(payoutId: string, afterScreeningId: string, decisionId: string): Promise<ComplianceDecision | null>;
}

export function complianceActivities(deps: ScreeningDeps & { db: Db }): ComplianceActivities {
  return {
    async screenBeforeSigning(payoutId) {
      const payout = await deps.db.payout.findUniqueOrThrow({
        where: { id: payoutId },
        select: { id: true, accountId: true, network: true, asset: true, destination: true },
      });
      const hits = await screenDestination(deps, { network: payout.network, asset: payout.asset, address: payout.destination });
      const row = await deps.db.$transaction(async (tx) => {
        const screening = await tx.complianceScreening.create({
          data: screeningRecord(payout, 'before_signing', hits),
          select: { id: true },
        });
        if (hits.length) {
          await recordAudit(tx, {
            accountId: payout.accountId,
            actor: SYSTEM_ACTOR,
            action: 'compliance.hold',
            subject: { type: 'payout', id: payout.id },
            after: { stage: 'before_signing', destination: payout.destination, network: payout.network, hits },
          });
        }
        return screening;
      });
      return { hits, screeningId: row.id.toString() };
    },

    async complianceDecision(payoutId, afterScreeningId, decisionId) {
      if (!/^[0-9]{1,18}$/.test(decisionId)) return null;
      // This payout's, recorded after the screening that put it on hold: a decision on an earlier hold does not count.
      const row = await deps.db.complianceScreening.findFirst({ where: { id: BigInt(decisionId), payoutId, stage: 'decision' } });
      if (!row || row.id <= BigInt(afterScreeningId) || (row.outcome !== 'released' && row.outcome !== 'refused')) return null;
      return { id: row.id.toString(), outcome: row.outcome, actor: row.actor ?? 'unknown', reason: row.reason ?? '' };
    },
  };
}
