/** A screening or decision as the API shows it. */
import type { ComplianceScreening } from '../../generated/prisma/client';

export const screeningView = (row: ComplianceScreening) => ({
  id: row.id.toString(),
  stage: row.stage,
  outcome: row.outcome,
  network: row.network,
  asset: row.asset,
  address: row.address,
  hits: row.hits,
  actor: row.actor,
  reason: row.reason,
  created_at: row.createdAt.toISOString(),
});
