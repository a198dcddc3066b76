/**
 * The wait for treasury funding, shared by the payout, mass-payout and chunk workflows: a step that found the
 * treasury short (reserve, prepare) is re-run on a timer until it passes, the caller stops, or the deadline passes.
 *
 * Each check adds about 8 events, so a day of checks every 30 s is some 23,000. Before the run's history reaches
 * `historyLimit` the wait answers `continue_as_new`: the caller carries its state into a new run, which goes on
 * waiting with the same deadline. No wait can reach Temporal's 51,200-event limit, whatever its timeout.
 */
import { condition, patched, workflowInfo } from '@temporalio/workflow';
import { FAILURE_CATEGORIES } from '../domain/failures';
import type { PayoutFailure } from '../domain/payout';

/** Temporal warns at 10,240 events and terminates at 51,200; a run continues-as-new well before either. */
export const DEFAULT_HISTORY_LIMIT = 10_000;
export const DEFAULT_FUNDING_TIMEOUT_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_FUNDING_RETRY_MS = 30_000;

type StepResult = { ok: true } | { ok: false; failure: PayoutFailure };

export type FundingWaitOutcome<T> =
  /** The step passed, or failed in a way no funding can fix. */
  { kind: 'done'; result: T } | { kind: 'stopped' } | { kind: 'timed_out'; failure: PayoutFailure } | { kind: 'continue_as_new' };

export interface FundingWait<T> {
  /** The step's result that found the treasury short. */
  first: T;
  step: () => Promise<T>;
  /** Epoch ms; carried over when the run continues-as-new. */
  deadline: number;
  retryMs: number;
  /** True once the caller was told to stop (a cancel, a rejection, a stop signal). */
  stopped: () => boolean;
  /** Called before each wait with what is short: show it, record attention when it changed. */
  onShort: (failure: PayoutFailure) => Promise<void> | void;
  /** Events. Runs recorded before this existed replay as they ran: the switch is behind a patch. */
  historyLimit: number;
}

export async function waitForFunding<T extends StepResult>(wait: FundingWait<T>): Promise<FundingWaitOutcome<T>> {
  let result = wait.first;
  while (!result.ok) {
    if (FAILURE_CATEGORIES[result.failure.code] !== 'action_required') return { kind: 'done', result };
    const remaining = wait.deadline - Date.now();
    if (remaining <= 0) return { kind: 'timed_out', failure: result.failure };
    if (historyFull(wait.historyLimit)) return { kind: 'continue_as_new' };
    await wait.onShort(result.failure);
    if (await condition(wait.stopped, Math.max(1, Math.min(wait.retryMs, remaining)))) return { kind: 'stopped' };
    result = await wait.step();
  }
  return { kind: 'done', result };
}

function historyFull(limit: number): boolean {
  const info = workflowInfo();
  // Leaves room for one more check and the continue-as-new itself.
  return (info.historyLength + 20 >= limit || info.continueAsNewSuggested) && patched('funding-wait-continues-as-new');
}
