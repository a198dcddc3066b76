/**
 * One reconciliation run: every network's treasury wallet, each reconciled by an activity until it
 * has caught up with the chain's safe head. Started every RECONCILE_INTERVAL_MS by a Temporal
 * Schedule (lib/reconciliation/schedule.ts) and on demand by POST /v1/reconciliation/runs.
 * A wallet that fails does not stop the others; the run then fails, visibly, and the next one retries.
 */
import { ApplicationFailure, log, proxyActivities } from '@temporalio/workflow';
import type { ReconciliationActivities, WalletRunSummary } from '../activities/reconciliation-types';
import type { RunTrigger } from '../domain/reconciliation';

export interface ReconciliationInput {
  trigger: RunTrigger;
  /** The API key's actor for a manual run. */
  requestedBy?: string;
}

export interface ReconciliationResult {
  trigger: RunTrigger;
  wallets: WalletRunSummary[];
}

/** Activity calls per wallet and run; a longer backlog continues in the next run from the stored cursor. */
const MAX_CALLS_PER_WALLET = 20;

const { listReconciliationTargets } = proxyActivities<ReconciliationActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 5 },
});

// Chain reads: a node that stays down fails this run after a few attempts instead of blocking the schedule.
const { reconcileWallet } = proxyActivities<ReconciliationActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '5 minutes',
  retry: { initialInterval: '2 seconds', maximumInterval: '30 seconds', maximumAttempts: 5 },
});

export async function reconciliationWorkflow(input: ReconciliationInput = { trigger: 'schedule' }): Promise<ReconciliationResult> {
  const targets = await listReconciliationTargets();
  const wallets: WalletRunSummary[] = [];
  const failures: string[] = [];
  for (const target of targets) {
    try {
      for (let call = 1; call <= MAX_CALLS_PER_WALLET; call++) {
        const summary = await reconcileWallet({ ...target, trigger: input.trigger, requestedBy: input.requestedBy ?? null });
        if (summary.caughtUp || call === MAX_CALLS_PER_WALLET) {
          wallets.push(summary);
          break;
        }
      }
    } catch (error) {
      log.error('reconciliation of a wallet failed', { network: target.network, wallet: target.wallet, error: String(error) });
      // An ActivityFailure says only "activity failed"; its cause says why.
      const cause = error instanceof Error ? (error.cause instanceof Error ? error.cause : error) : undefined;
      failures.push(`${target.network}/${target.wallet}: ${cause?.message ?? String(error)}`);
    }
  }
  if (failures.length > 0) {
    throw ApplicationFailure.nonRetryable(`reconciliation failed for ${failures.join('; ')}`, 'reconciliation_failed', { wallets });
  }
  return { trigger: input.trigger, wallets };
}
