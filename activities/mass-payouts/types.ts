/** What the mass-payout activities take and return: shared with the workflows, which see only these types. */
import type { DeliveryMode, ItemCounts, MassPayoutStatus } from '../../domain/mass-payout';
import type { PayoutFailure } from '../../domain/payout';

export interface MassStateUpdate {
  massPayoutId: string;
  status: MassPayoutStatus;
  approvedBy: string[];
  /** Workflow time of the change (ISO). */
  at: string;
  failure?: PayoutFailure;
}

export interface DeliveryPlan {
  mode: DeliveryMode;
  chunkCount: number;
  chunkSize: number;
}

export type ChunkPrepareResult =
  { ok: true; deliveryId: string | null; items: number; splitOut: number } | { ok: false; failure: PayoutFailure };

export interface DeliverySettlement {
  completed: number;
  failed: number;
  paidUnits: string;
}

export interface MassFinal {
  status: MassPayoutStatus;
  counts: ItemCounts;
  paidUnits: string;
}
