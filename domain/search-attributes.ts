/**
 * Custom Temporal search attributes. The dev server registers these at start
 * (scripts/stack/temporal.ts) and workflows keep them current, so on-call staff can
 * find payouts with one Visibility query, e.g. `PayoutStatus = "processing"`.
 * Plain data here; the SDK's typed keys are built from it in workflows/search-attributes.ts.
 */
export const SEARCH_ATTRIBUTES = {
  PayoutStatus: 'Keyword',
  /** When PayoutStatus last changed: `PayoutStatus = "processing" AND StatusChangedAt < "<30 min ago>"` finds stuck payouts. */
  StatusChangedAt: 'Datetime',
  /** Why a person must act, e.g. "insufficient_funds"; empty when nothing is needed. */
  NeedsAttention: 'Keyword',
  Network: 'Keyword',
  Asset: 'Keyword',
  AccountId: 'Keyword',
  BatchId: 'Keyword',
  /** Amount in whole asset units (a float, for range queries only; never for accounting). */
  PayoutAmount: 'Double',
} as const;

export type SearchAttributeName = keyof typeof SEARCH_ATTRIBUTES;
