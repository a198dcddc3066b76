/**
 * One payout, durably: wait for approval, reserve funds, prepare (simulate, nonce, sign),
 * broadcast, wait for confirmations, settle. The workflow only decides and waits; every
 * side effect is an idempotent activity, so a worker killed at any line resumes safely.
 */
import {
  ApplicationFailure,
  condition,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  log,
} from '@temporalio/workflow';
import type { PayoutActivities } from '../activities/types';
import { decideApproval } from '../domain/approval';
import type { PayoutFailure, PayoutState, PayoutWorkflowInput } from '../domain/payout';
import { canTransition, isTerminal, type PayoutStatus } from '../domain/statuses';
import {
  approveSignal,
  approveUpdate,
  cancelSignal,
  cancelUpdate,
  statusQuery,
  type ApproveArgs,
  type CancelArgs,
} from './definitions';
import { payoutStatusKey } from './search-attributes';

// Short, retried forever with backoff: database writes and reads.
const db = proxyActivities<PayoutActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

// Chain calls: RPC nodes time out and rate-limit, so these retry forever too; business
// failures (revert, insufficient funds) come back as values, not errors.
const chain = proxyActivities<PayoutActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

// Long poll with heartbeats: a dead worker is noticed within the heartbeat timeout.
const confirmations = proxyActivities<PayoutActivities>({
  startToCloseTimeout: '24 hours',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

export async function payoutWorkflow(input: PayoutWorkflowInput): Promise<PayoutState> {
  const initial: PayoutStatus = input.approvalsRequired > 0 ? 'pending_approval' : 'in_progress';
  const state: PayoutState = {
    payoutId: input.payoutId,
    status: initial,
    statusSeq: 1,
    waitingFor: '',
    since: new Date(workflowInfo().startTime).toISOString(),
    approvalsRequired: input.approvalsRequired,
    approvedBy: [],
  };
  let cancelRequest: CancelArgs | undefined;

  const approvalDecision = ({ approver }: ApproveArgs) =>
    decideApproval({
      approver,
      createdBy: input.createdBy,
      approvedBy: state.approvedBy,
      approvalsRequired: input.approvalsRequired,
      awaitingApproval: state.status === 'pending_approval' && !cancelRequest,
    });
  const applyApproval = (args: ApproveArgs) => {
    const decision = approvalDecision(args);
    if (!decision.accepted) return decision;
    state.approvedBy = decision.approvedBy;
    return decision;
  };
  const cancelRefusal = (): string | undefined => {
    if (isTerminal(state.status)) return `payout is already ${state.status}`;
    // Until the issue "Payout lifecycle" lands, cancel is offered only before funds move.
    if (state.status !== 'pending_approval') return `payout is ${state.status}; it can only be canceled while pending approval`;
    return undefined;
  };

  setHandler(statusQuery, () => state);
  setHandler(
    approveUpdate,
    (args) => {
      const decision = applyApproval(args);
      if (!decision.accepted) throw ApplicationFailure.nonRetryable(decision.message, decision.reason);
      return decision.remaining === 0
        ? { result: 'approved', approvedBy: decision.approvedBy }
        : { result: 'needs_more_approvals', approvedBy: decision.approvedBy, remaining: decision.remaining };
    },
    {
      validator: (args) => {
        if (!args || typeof args.approver !== 'string' || args.approver === '') {
          throw new Error('approve needs {"approver": "<who>"}');
        }
        const decision = approvalDecision(args);
        if (!decision.accepted) throw ApplicationFailure.nonRetryable(decision.message, decision.reason);
      },
    },
  );
  // Signals cannot answer, so an invalid one is logged into the history and changes nothing.
  setHandler(approveSignal, (args) => {
    if (!args || typeof args.approver !== 'string' || args.approver === '') {
      log.warn('ignored approve signal: payload must be {"approver": "<who>"}', { payload: args });
      return;
    }
    const decision = applyApproval(args);
    if (!decision.accepted) log.warn(`ignored approve signal from ${args.approver}: ${decision.message}`);
  });
  setHandler(
    cancelUpdate,
    (args) => {
      cancelRequest = args;
      return { result: 'canceled' };
    },
    {
      validator: (args) => {
        if (!args || typeof args.requestedBy !== 'string' || args.requestedBy === '') {
          throw new Error('cancel needs {"requestedBy": "<who>", "reason": "<optional>"}');
        }
        const refusal = cancelRefusal();
        if (refusal) throw ApplicationFailure.nonRetryable(refusal, 'cancel_refused');
      },
    },
  );
  setHandler(cancelSignal, (args) => {
    const refusal =
      !args || typeof args.requestedBy !== 'string' || args.requestedBy === ''
        ? 'payload must be {"requestedBy": "<who>", "reason": "<optional>"}'
        : cancelRefusal();
    if (refusal) {
      log.warn(`ignored cancel signal: ${refusal}`, { payload: args });
      return;
    }
    cancelRequest = args;
  });

  const waiting = (what: string) => {
    state.waitingFor = what;
    state.since = new Date().toISOString();
    setCurrentDetails(`**${state.status}**: ${what} (since ${state.since})`);
  };

  const moveTo = async (to: PayoutStatus, extra: { failure?: PayoutFailure } = {}) => {
    if (!canTransition(state.status, to)) {
      throw ApplicationFailure.nonRetryable(`bug: forbidden transition ${state.status} -> ${to}`, 'forbidden_transition');
    }
    const from = state.status;
    state.status = to;
    state.statusSeq += 1;
    if (extra.failure) state.failure = extra.failure;
    upsertSearchAttributes([{ key: payoutStatusKey, value: to }]);
    await db.recordPayoutState({
      payoutId: input.payoutId,
      seq: state.statusSeq,
      from,
      to,
      approvedBy: state.approvedBy,
      failure: state.failure,
      chain: state.chain,
      txHash: state.txHash,
    });
  };

  const finish = async (to: PayoutStatus, failure?: PayoutFailure, releaseFunds = true): Promise<PayoutState> => {
    if (releaseFunds) await db.settleReservation(input.payoutId, 'released');
    await moveTo(to, { failure });
    waiting(failure ? `nothing: ${to} (${failure.code}: ${failure.reason})` : `nothing: ${to}`);
    return state;
  };

  waiting(
    state.status === 'pending_approval'
      ? `${input.approvalsRequired} approval(s) from someone other than ${input.createdBy}`
      : 'reserving funds',
  );
  // The API created the read-model row in the initial status; record seq 1 so the
  // history starts complete even if the API crashed after starting us.
  await db.recordPayoutState({
    payoutId: input.payoutId,
    seq: state.statusSeq,
    from: null,
    to: initial,
    approvedBy: [],
  });

  if (state.status === 'pending_approval') {
    const decided = await condition(
      () => state.approvedBy.length >= input.approvalsRequired || cancelRequest !== undefined,
      input.approvalTimeoutMs,
    );
    if (cancelRequest) {
      return finish('canceled', undefined, false);
    }
    if (!decided) {
      return finish('expired', undefined, false);
    }
    await moveTo('in_progress');
  }

  waiting('reserving funds');
  const reservation = await db.reserveFunds(input.payoutId);
  if (!reservation.ok) return finish('failed', reservation.failure, false);

  waiting('simulating, allocating a nonce and signing');
  const prepared = await chain.prepareTransfer(input.payoutId);
  if (!prepared.ok) return finish('failed', prepared.failure);
  state.txHash = prepared.txHash;

  waiting(`broadcasting ${prepared.txHash}`);
  await chain.broadcastTransfer(input.payoutId);
  await moveTo('processing');

  waiting(`confirmations of ${prepared.txHash}`);
  const outcome = await confirmations.awaitConfirmations(input.payoutId);
  state.chain = outcome.chain;
  if (outcome.status === 'reverted') {
    log.warn('transaction reverted on chain', { txHash: outcome.chain.txHash });
    return finish('failed', { code: 'transaction_reverted', reason: `transaction ${outcome.chain.txHash} reverted on chain; the amount was not paid, gas was` });
  }
  await db.settleReservation(input.payoutId, 'consumed');
  return finish('completed', undefined, false);
}
