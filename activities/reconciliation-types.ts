/** The reconciliation activities' contract, shared by the workflow (types only) and the worker. */
import type { RunTrigger } from '../domain/reconciliation';
import type { WalletRunSummary } from '../lib/reconciliation/reconcile';

export type { WalletRunSummary };

export interface ReconciliationTarget {
  network: string;
  /** The treasury wallet (lowercase). */
  wallet: string;
}

export interface ReconcileWalletRequest extends ReconciliationTarget {
  trigger: RunTrigger;
  requestedBy: string | null;
}

export interface ReconciliationActivities {
  /** Every network of the registry, for the worker's treasury wallet. */
  listReconciliationTargets(): Promise<ReconciliationTarget[]>;
  /** Reconciles one wallet until caught up or out of time (then `caughtUp` is false and the workflow calls again). */
  reconcileWallet(request: ReconcileWalletRequest): Promise<WalletRunSummary>;
}
