/**
 * The Temporal Schedule that starts a reconciliation run every RECONCILE_INTERVAL_MS. Created at
 * worker start, idempotently: an existing schedule is updated to the current interval and task queue,
 * so a config change takes effect on the next start. One schedule per task queue (each has its own
 * treasury signer). Overlap SKIP: a run still working off a backlog is not joined by a second one.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { RECONCILIATION_WORKFLOW } from '../../domain/reconciliation';

export const reconciliationScheduleId = (taskQueue: string) => `reconciliation-${taskQueue}`;

export async function ensureReconciliationSchedule(
  client: Client,
  options: { taskQueue: string; intervalMs: number; scheduleId?: string },
): Promise<string> {
  const scheduleId = options.scheduleId ?? reconciliationScheduleId(options.taskQueue);
  const spec = { intervals: [{ every: options.intervalMs }] };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: RECONCILIATION_WORKFLOW,
    taskQueue: options.taskQueue,
    args: [{ trigger: 'schedule' }],
  };
  // A run missed while the server was down is made up once, not once per missed interval.
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: Math.max(options.intervalMs, 60_000) };
  try {
    await client.schedule.create({ scheduleId, spec, action, policies });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action, policies }));
  }
  return scheduleId;
}
