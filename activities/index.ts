/** Builds the worker's activities from their dependencies (one object, so tests can build it too). */
import type { LowBalanceThreshold } from '../domain/balance-alerts';
import { loadMassPayoutSettings, type MassPayoutSettings } from '../lib/config';
import type { NetworkRegistry } from '../domain/networks';
import type { ChainClients } from '../lib/chain';
import type { Db } from '../lib/db';
import { reconciliationSettingsFromEnv, type ReconciliationSettings } from '../lib/reconciliation/settings';
import type { PayoutFlowMetrics } from '../lib/metrics';
import type { TreasurySigners } from '../lib/signer';
import { complianceActivities, type ComplianceActivities } from './compliance';
import { fundsActivities } from './funds';
import { massPayoutActivities, type MassPayoutActivities } from './mass-payouts';
import { payoutStepActivities } from './payout-steps';
import { readModelActivities } from './read-model';
import { reconciliationActivities } from './reconciliation';
import type { ReconciliationActivities } from './reconciliation-types';
import { transferActivities } from './delivery/transfer';
import type { PayoutActivities } from './types';

export interface ActivityDeps {
  db: Db;
  registry: NetworkRegistry;
  chains: ChainClients;
  /** Each network's treasury signer (lib/runtime.ts treasurySigners). */
  signers: TreasurySigners;
  /** LOW_BALANCE_THRESHOLDS: balance.low fires when free funds fall below these. */
  lowBalanceThresholds?: readonly LowBalanceThreshold[];
  /** RECONCILE_* settings; the defaults when not given. */
  reconciliation?: ReconciliationSettings;
  /** MASS_PAYOUT_* settings; the defaults when not given. */
  massPayouts?: MassPayoutSettings;
  /** Where payout transitions are counted (the worker's /metrics); none: not counted. */
  payoutFlow?: PayoutFlowMetrics;
}

export function createActivities(
  deps: ActivityDeps,
): PayoutActivities & ReconciliationActivities & MassPayoutActivities & ComplianceActivities {
  const readModel = readModelActivities(deps.db, deps.payoutFlow);
  const funds = fundsActivities(deps);
  const transfers = transferActivities(deps);
  return {
    ...readModel,
    ...funds,
    ...transfers,
    ...payoutStepActivities({ ...readModel, ...funds, ...transfers }),
    ...complianceActivities(deps),
    ...massPayoutActivities({ ...deps, settings: deps.massPayouts ?? loadMassPayoutSettings({}) }),
    ...reconciliationActivities({ ...deps, settings: deps.reconciliation ?? reconciliationSettingsFromEnv({}) }),
  };
}
