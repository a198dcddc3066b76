/**
 * Mass payouts: the batch's statuses, how they summarize the items' statuses, and the names of
 * the things a mass payout owns (its workflow, its chunks' deliveries). Pure: shared by the API,
 * the workflows and the activities.
 *
 * Items use the payouts' own vocabulary (domain/statuses.ts). The batch adds `partially_completed`:
 * every item is terminal, some were paid and some were not.
 */
import type { PayoutStatus } from './statuses';

export const MASS_PAYOUT_STATUSES = [
  'pending_approval',
  'in_progress',
  'completed',
  'partially_completed',
  'failed',
  'canceled',
  'expired',
] as const;
export type MassPayoutStatus = (typeof MASS_PAYOUT_STATUSES)[number];

export const MASS_PAYOUT_TERMINAL_STATUSES: readonly MassPayoutStatus[] = [
  'completed',
  'partially_completed',
  'failed',
  'canceled',
  'expired',
];

export const MASS_PAYOUT_STATUS_DESCRIPTIONS: Record<MassPayoutStatus, string> = {
  pending_approval: 'awaiting one approval for the whole batch',
  in_progress: 'funds reserved; chunks being simulated, signed, sent and confirmed',
  completed: 'every item was paid',
  partially_completed: 'every item is final; some were paid, the others failed or were canceled (see each item)',
  failed: 'no item was paid; see failure_reason and the items',
  canceled: 'canceled before any item was sent',
  expired: 'nobody approved it in time; nothing was sent',
};

/** The statuses a mass-payout item can have: the payouts' vocabulary, without conversion. */
export const MASS_PAYOUT_ITEM_STATUSES = [
  'pending_approval',
  'in_progress',
  'processing',
  'completed',
  'failed',
  'canceled',
  'expired',
] as const satisfies readonly PayoutStatus[];
export type MassPayoutItemStatus = (typeof MASS_PAYOUT_ITEM_STATUSES)[number];

export const isMassPayoutStatus = (value: unknown): value is MassPayoutStatus =>
  typeof value === 'string' && (MASS_PAYOUT_STATUSES as readonly string[]).includes(value);
export const isMassPayoutItemStatus = (value: unknown): value is MassPayoutItemStatus =>
  typeof value === 'string' && (MASS_PAYOUT_ITEM_STATUSES as readonly string[]).includes(value);
export const isMassPayoutTerminal = (status: MassPayoutStatus): boolean => MASS_PAYOUT_TERMINAL_STATUSES.includes(status);

export type ItemCounts = Partial<Record<MassPayoutItemStatus, number>>;

/**
 * The batch's final status from its items' final counts: all paid, none paid (failed, or canceled
 * / expired when that is all that happened), or partly paid.
 */
export function summarizeFinalStatus(counts: ItemCounts): MassPayoutStatus {
  const n = (status: MassPayoutItemStatus) => counts[status] ?? 0;
  const total = MASS_PAYOUT_ITEM_STATUSES.reduce((sum, status) => sum + n(status), 0);
  if (total === 0) return 'failed';
  if (n('completed') === total) return 'completed';
  if (n('completed') > 0) return 'partially_completed';
  if (n('expired') === total) return 'expired';
  if (n('canceled') === total) return 'canceled';
  return 'failed';
}

export const MASS_PAYOUT_WORKFLOW_PREFIX = 'mass-payout-';
export const massPayoutWorkflowId = (massPayoutId: string) => `${MASS_PAYOUT_WORKFLOW_PREFIX}${massPayoutId}`;
export const massChunkWorkflowId = (massPayoutId: string, chunkIndex: number) =>
  `${MASS_PAYOUT_WORKFLOW_PREFIX}${massPayoutId}-chunk-${chunkIndex}`;
/** A chunk's workflow id, read back: the mass payout's id and the chunk's index. */
export const massChunkPattern = /^mass-payout-(.+)-chunk-(\d+)$/;

/**
 * Delivery ids own a nonce (chain_transactions.payout_id): one BatchTransfer call per chunk, one
 * transfer per item in single mode, one token allowance per mass payout.
 */
export const batchDeliveryId = (massPayoutId: string, chunkIndex: number) => `${massPayoutId}:chunk:${chunkIndex}`;
export const singleDeliveryId = (massPayoutId: string, seq: number) => `${massPayoutId}:item:${seq}`;
export const allowanceDeliveryId = (massPayoutId: string) => `${massPayoutId}:allowance`;

/** A mass payout's ledger reservation is held under this key (fund_reservations.payout_id, journal entries). */
export const massReservationKey = (massPayoutId: string) => `mass:${massPayoutId}`;

export type DeliveryMode = 'batch' | 'single';

/** Items per chunk in single mode: each is its own transaction, sent one after another by the chunk's workflow. */
export const SINGLE_MODE_CHUNK_ITEMS = 100;

export interface MassPayoutWorkflowInput {
  massPayoutId: string;
  accountId: string;
  network: string;
  asset: string;
  assetDecimals: number;
  itemCount: number;
  /** Base units, decimal string. */
  totalAmount: string;
  createdBy: string;
  externalId?: string;
  approvalsRequired: number;
  approvalTimeoutMs: number;
  fundingTimeoutMs?: number;
  fundingRetryMs?: number;
  /** A funding wait continues-as-new before its run's history reaches this many events (default 10,000). */
  historyLimit?: number;
  /** How many chunk workflows run at once (they share the treasury's nonce sequence). */
  chunkConcurrency?: number;
  /** Set by continue-as-new in the funding wait (nothing reserved or sent yet): the progress so far and the deadline. */
  resume?: { progress: MassPayoutProgress; fundingDeadline: number };
}

export interface MassChunkWorkflowInput {
  massPayoutId: string;
  chunkIndex: number;
  network: string;
}

/** What a chunk's workflow reports back to the mass payout: its items' final counts and units. */
export interface ChunkOutcome {
  chunkIndex: number;
  completed: number;
  failed: number;
  canceled: number;
  /** Base units paid (decimal string). */
  paidUnits: string;
  transactions: number;
}

/** The batch's progress: the query answer and the Temporal UI's current details. */
export interface MassPayoutProgress {
  massPayoutId: string;
  status: MassPayoutStatus;
  itemCount: number;
  chunkCount?: number;
  chunksDone: number;
  completed: number;
  failed: number;
  canceled: number;
  paidUnits: string;
  transactions: number;
  approvalsRequired: number;
  approvedBy: string[];
  waitingFor: string;
  attention?: { code: string; reason: string };
  failure?: { code: string; reason: string };
}
