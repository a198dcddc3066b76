/** Typed keys for the attributes the dev server registers (domain/search-attributes.ts). */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const payoutStatusKey = defineSearchAttributeKey('PayoutStatus', SearchAttributeType.KEYWORD);
export const statusChangedAtKey = defineSearchAttributeKey('StatusChangedAt', SearchAttributeType.DATETIME);
export const needsAttentionKey = defineSearchAttributeKey('NeedsAttention', SearchAttributeType.KEYWORD);
export const networkKey = defineSearchAttributeKey('Network', SearchAttributeType.KEYWORD);
export const assetKey = defineSearchAttributeKey('Asset', SearchAttributeType.KEYWORD);
export const accountIdKey = defineSearchAttributeKey('AccountId', SearchAttributeType.KEYWORD);
export const batchIdKey = defineSearchAttributeKey('BatchId', SearchAttributeType.KEYWORD);
export const payoutAmountKey = defineSearchAttributeKey('PayoutAmount', SearchAttributeType.DOUBLE);

export const ALL_SEARCH_ATTRIBUTE_KEYS = [
  payoutStatusKey,
  statusChangedAtKey,
  needsAttentionKey,
  networkKey,
  assetKey,
  accountIdKey,
  batchIdKey,
  payoutAmountKey,
];
