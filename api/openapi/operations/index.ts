/**
 * Every documented operation. A new route is documented by a declaration in its area's file
 * (or a new file listed here); the contract test fails for any route of the app missing from it.
 */
import type { Operation } from '../operation';
import { approvalPolicyOperations } from './approval-policies';
import { balanceOperations } from './balances';
import { exportOperations } from './exports';
import { massPayoutOperations } from './mass-payouts';
import { metaOperations } from './meta';
import { payoutOperations } from './payouts';
import { reconciliationOperations } from './reconciliation';
import { walletOperations } from './wallets';
import { webhookOperations } from './webhooks';

export const OPERATIONS: readonly Operation[] = [
  ...metaOperations,
  ...payoutOperations,
  ...massPayoutOperations,
  ...approvalPolicyOperations,
  ...webhookOperations,
  ...exportOperations,
  ...balanceOperations,
  ...walletOperations,
  ...reconciliationOperations,
];
