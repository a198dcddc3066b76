/**
 * The running activity's logger: Temporal's, which adds the workflow, the activity and (with tracing on) the trace to
 * each line before the worker's JSON logger writes it. None outside an activity (a test calling one directly).
 */
import { Context } from '@temporalio/activity';

export function activityLog() {
  try {
    return Context.current().log;
  } catch {
    return undefined;
  }
}
