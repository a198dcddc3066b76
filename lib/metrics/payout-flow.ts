/**
 * What the payouts do, observed where it happens (the worker's recordPayoutState, once per applied transition):
 * transitions by status and failure code, the time spent in each status, and creation to completion.
 */
import { Counter, Histogram, type Registry } from 'prom-client';

/** From seconds (a signature) to a day (an approval, a funding wait). */
const DURATION_BUCKETS = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600, 4 * 3600, 24 * 3600];

export interface PayoutFlowMetrics {
  transitioned(change: {
    from: string | null;
    to: string;
    failureCode?: string;
    inStatusSeconds?: number;
    sinceCreatedSeconds: number;
  }): void;
}

export function payoutFlowMetrics(registry: Registry): PayoutFlowMetrics {
  const transitions = new Counter({
    name: 'payout_transitions_total',
    help: 'Payout status changes, by the status left and entered, and the failure code of a failed or canceled payout',
    labelNames: ['from', 'to', 'failure_code'] as const,
    registers: [registry],
  });
  const inStatus = new Histogram({
    name: 'payout_status_duration_seconds',
    help: 'Time a payout spent in a status before it left it',
    labelNames: ['status'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const toCompleted = new Histogram({
    name: 'payout_create_to_completed_seconds',
    help: 'Time from a payout being created to it being completed (final on chain)',
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  return {
    transitioned({ from, to, failureCode, inStatusSeconds, sinceCreatedSeconds }) {
      transitions.inc({ from: from ?? 'none', to, failure_code: failureCode ?? '' });
      if (from !== null && inStatusSeconds !== undefined) inStatus.observe({ status: from }, inStatusSeconds);
      if (to === 'completed') toCompleted.observe(sinceCreatedSeconds);
    },
  };
}
