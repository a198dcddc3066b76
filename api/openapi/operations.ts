/**
 * Every documented operation, gathered from each resource folder's operations.ts. A new route is documented by a
 * declaration there (a new resource's file is listed here); the contract test fails for any route of the app missing
 * from it.
 */
import type { Operation } from './operation';
import { approvalPolicyOperations } from '../approval-policies/operations';
import { auditOperations } from '../audit/operations';
import { balanceOperations } from '../balances/operations';
import { complianceOperations } from '../compliance/operations';
import { exportOperations } from '../exports/operations';
import { massPayoutOperations } from '../mass-payouts/operations';
import { metaOperations } from '../meta/operations';
import { payoutOperations } from '../payouts/operations';
import { reconciliationOperations } from '../reconciliation/operations';
import { walletOperations } from '../wallets/operations';
import { webhookOperations } from '../webhooks/operations';

export const OPERATIONS: readonly Operation[] = [
  ...metaOperations,
  ...payoutOperations,
  ...complianceOperations,
  ...massPayoutOperations,
  ...approvalPolicyOperations,
  ...webhookOperations,
  ...exportOperations,
  ...balanceOperations,
  ...walletOperations,
  ...reconciliationOperations,
  ...auditOperations,
];
