/**
 * A mass payout's side effects: the batch's read model and items, its one funds reservation,
 * how its items are cut into chunks, and each chunk's delivery (simulate, split out what would
 * revert, sign with a nonce of its own, settle when the chain confirms). Broadcast, fee bumps,
 * rebroadcast and confirmations are the delivery layer's (activities/delivery/transfer.ts), keyed by the
 * delivery id. Every activity here is idempotent: Temporal runs them at least once. One file per
 * concern, each built from the shared deps (shared.ts); this one merges them into the worker's activities.
 */
import { batchChunkActivities } from './batch';
import { massFundsActivities } from './reserve';
import { massPlanActivities } from './plan';
import { massSettleActivities } from './settle';
import { massShared, type MassPayoutDeps } from './shared';
import { singleItemActivities } from './single';
import { massStateActivities } from './state';

export type { ChunkPrepareResult, DeliveryPlan, DeliverySettlement, MassFinal, MassStateUpdate } from './types';

export function massPayoutActivities(deps: MassPayoutDeps) {
  const shared = massShared(deps);
  return {
    ...massStateActivities(shared),
    ...massFundsActivities(shared),
    ...massPlanActivities(shared),
    ...batchChunkActivities(shared),
    ...singleItemActivities(shared),
    ...massSettleActivities(shared),
  };
}

export type MassPayoutActivities = ReturnType<typeof massPayoutActivities>;
