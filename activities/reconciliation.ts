/** Reconciliation activities: the worker's treasury wallet on every network, reconciled by lib/reconciliation. */
import { Context } from '@temporalio/activity';
import type { LowBalanceThreshold } from '../domain/balance-alerts';
import type { NetworkRegistry } from '../domain/networks';
import type { ChainClients } from '../lib/chain';
import type { Db } from '../lib/db';
import { reconcileWallet } from '../lib/reconciliation/reconcile';
import type { ReconciliationSettings } from '../lib/reconciliation/settings';
import type { TreasurySigners } from '../lib/signer';
import type { ReconciliationActivities } from './reconciliation-types';

/** Work per activity call; well inside its start-to-close timeout, so a backlog is worked off over several calls. */
const BUDGET_MS = 2 * 60_000;

export function reconciliationActivities(deps: {
  db: Db;
  registry: NetworkRegistry;
  chains: ChainClients;
  signers: TreasurySigners;
  settings: ReconciliationSettings;
  lowBalanceThresholds?: readonly LowBalanceThreshold[];
}): ReconciliationActivities {
  return {
    async listReconciliationTargets() {
      return deps.registry.networkIds().map((network) => ({ network, wallet: deps.signers.forNetwork(network).address.toLowerCase() }));
    },

    async reconcileWallet(request) {
      const context = Context.current();
      return reconcileWallet(
        { ...deps, progress: (detail) => context.heartbeat(detail) },
        // Standalone activities have no workflow: the run is keyed by the activity then.
        { ...request, workflowId: context.info.workflowExecution?.workflowId ?? `activity-${context.info.activityId}` },
        BUDGET_MS,
      );
    },
  };
}
