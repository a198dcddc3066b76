/**
 * Benchmark-only: a workflow that does nothing but run `activities` no-op activities one after another, the
 * baseline bench/payouts.ts compares the payout workflow with on the same Temporal server. Bundled by its Worker.
 */
import { proxyActivities } from '@temporalio/workflow';

export interface BareActivities {
  noop(): Promise<void>;
}

const { noop } = proxyActivities<BareActivities>({ startToCloseTimeout: '1 minute' });

export async function bareWorkflow(activities: number): Promise<void> {
  for (let i = 0; i < activities; i++) await noop();
}
