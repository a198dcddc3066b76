/**
 * One mass payout, durably: one reservation for the total, one approval for the whole batch,
 * then its chunks, each a child workflow (workflows/mass-payout-chunk.ts), a few at a time.
 *
 *   (funds reserved for the total; a short treasury waits visibly, NeedsAttention)
 *   pending_approval -> in_progress -> completed | partially_completed | failed
 *   pending_approval -> canceled (cancel or reject) | expired
 *   in_progress -> canceled (canceled before any item was sent)
 *
 * Why child workflows: this history grows by a few events per chunk (~200 chunks for 100,000
 * ERC-20 items), never per item, and each chunk's own history holds one transaction (batch mode)
 * or at most SINGLE_MODE_CHUNK_ITEMS (single mode), so every history stays far inside Temporal's
 * limits without continue-as-new. The item-level truth is in PostgreSQL, written by activities.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  makeContinueAsNewFunc,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import type { MassPayoutActivities } from '../activities/mass-payouts';
import type { PayoutActivities } from '../activities/types';
import { decideApproval } from '../domain/approval';
import { FAILURE_CATEGORIES } from '../domain/failures';
import { attentionRunbook } from '../domain/runbook';
import {
  isMassPayoutTerminal,
  massChunkWorkflowId,
  type MassPayoutProgress,
  type MassPayoutStatus,
  type MassPayoutWorkflowInput,
} from '../domain/mass-payout';
import { formatAmount } from '../domain/money';
import type { PayoutFailure } from '../domain/payout';
import { CHAIN_CALL, named, Refusal } from './activity-options';
import { awaitFinal } from './await-final';
import { DEFAULT_FUNDING_RETRY_MS, DEFAULT_FUNDING_TIMEOUT_MS, DEFAULT_HISTORY_LIMIT, waitForFunding } from './funding-wait';
import { massPayoutChunkWorkflow } from './mass-payout-chunk';
import {
  massApproveSignal,
  massApproveUpdate,
  massCancelSignal,
  massCancelUpdate,
  massProgressQuery,
  massRejectSignal,
  massRejectUpdate,
  stopChunkSignal,
} from './mass-payout-definitions';
import { batchIdKey, needsAttentionKey, payoutStatusKey, statusChangedAtKey } from './search-attributes';

const DEFAULT_CHUNK_CONCURRENCY = 4;

// Bulk writes over up to 100,000 item rows take seconds: a minute is ample, and bounds how long a
// killed worker's attempt holds the batch up.
const work = proxyActivities<MassPayoutActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});
const chain = proxyActivities<PayoutActivities>(CHAIN_CALL);

export async function massPayoutWorkflow(input: MassPayoutWorkflowInput): Promise<MassPayoutProgress> {
  const progress: MassPayoutProgress = input.resume
    ? { ...input.resume.progress }
    : {
        massPayoutId: input.massPayoutId,
        status: input.approvalsRequired > 0 ? 'pending_approval' : 'in_progress',
        itemCount: input.itemCount,
        chunksDone: 0,
        completed: 0,
        failed: 0,
        canceled: 0,
        paidUnits: '0',
        transactions: 0,
        approvalsRequired: input.approvalsRequired,
        approvedBy: [],
        waitingFor: '',
      };
  let rejection: { approver: string; reason?: string } | undefined;
  let cancelRequest: { requestedBy: string; reason?: string } | undefined;
  /** Set once chunks may have signed: from then on a cancel stops what is not yet signed. */
  let delivering = false;
  const running = new Map<number, ChildWorkflowHandle<typeof massPayoutChunkWorkflow>>();

  const open = () => !isMassPayoutTerminal(progress.status) && !cancelRequest && !rejection;
  const approve = (args: unknown): Refusal | { approvedBy: string[]; remaining: number } => {
    const approver = (args as { approver?: unknown })?.approver;
    if (!named(approver)) return new Refusal('invalid_payload', 'approve needs {"approver": "<who>"}');
    if (isMassPayoutTerminal(progress.status))
      return new Refusal('payout_terminal', `mass payout is already ${progress.status}; a finished mass payout never changes`);
    if (progress.status !== 'pending_approval' || !open())
      return new Refusal('not_awaiting_approval', `mass payout is ${progress.status}, not awaiting approval`);
    // It may still wait for funds with every approval it needs: one more is not another decision.
    if (progress.approvedBy.length >= input.approvalsRequired && !progress.approvedBy.includes(approver))
      return new Refusal('not_awaiting_approval', `mass payout already has its ${input.approvalsRequired} approval(s)`);
    const decision = decideApproval({
      approver,
      createdBy: input.createdBy,
      approvedBy: progress.approvedBy,
      approvalsRequired: input.approvalsRequired,
      awaitingApproval: true,
    });
    if (!decision.accepted) return new Refusal(decision.reason, decision.message);
    return { approvedBy: decision.approvedBy, remaining: decision.remaining };
  };
  const reject = (args: unknown): Refusal | { approver: string; reason?: string } => {
    const { approver, reason } = (args ?? {}) as { approver?: unknown; reason?: unknown };
    if (!named(approver)) return new Refusal('invalid_payload', 'reject needs {"approver": "<who>", "reason": "<optional>"}');
    if (progress.status !== 'pending_approval' || !open())
      return new Refusal('not_awaiting_approval', `mass payout is ${progress.status}, not awaiting approval`);
    if (approver === input.createdBy) return new Refusal('own_payout', 'you created this mass payout; cancel it instead of rejecting it');
    return { approver, reason: typeof reason === 'string' ? reason.slice(0, 200) : undefined };
  };
  const cancel = (args: unknown): Refusal | { requestedBy: string; reason?: string } => {
    const { requestedBy, reason } = (args ?? {}) as { requestedBy?: unknown; reason?: unknown };
    if (!named(requestedBy)) return new Refusal('invalid_payload', 'cancel needs {"requestedBy": "<who>", "reason": "<optional>"}');
    if (isMassPayoutTerminal(progress.status))
      return new Refusal('payout_terminal', `mass payout is already ${progress.status}; a finished mass payout never changes`);
    if (!open()) return new Refusal('cancel_refused', 'a cancellation is already under way');
    return { requestedBy, reason: typeof reason === 'string' ? reason.slice(0, 200) : undefined };
  };
  const throwIfRefused = (outcome: unknown) => {
    if (outcome instanceof Refusal) throw ApplicationFailure.nonRetryable(outcome.message, outcome.code);
  };
  const requestCancel = (request: { requestedBy: string; reason?: string }) => {
    cancelRequest = request;
    // Running chunks sign nothing more; what they signed is sent and confirmed.
    for (const child of running.values()) void child.signal(stopChunkSignal);
    report(delivering ? 'chunks in flight to finish; nothing more is signed' : 'cancellation');
  };

  setHandler(massProgressQuery, () => ({ ...progress }));
  setHandler(
    massApproveUpdate,
    (args) => {
      const accepted = approve(args) as { approvedBy: string[]; remaining: number };
      progress.approvedBy = accepted.approvedBy;
      return accepted.remaining === 0
        ? { result: 'approved', approvedBy: accepted.approvedBy }
        : { result: 'needs_more_approvals', approvedBy: accepted.approvedBy, remaining: accepted.remaining };
    },
    { validator: (args) => throwIfRefused(approve(args)) },
  );
  setHandler(massApproveSignal, (args) => {
    const outcome = approve(args);
    if (!(outcome instanceof Refusal)) progress.approvedBy = outcome.approvedBy;
  });
  setHandler(
    massRejectUpdate,
    (args) => {
      rejection = reject(args) as { approver: string; reason?: string };
      return { result: 'rejected' };
    },
    { validator: (args) => throwIfRefused(reject(args)) },
  );
  setHandler(massRejectSignal, (args) => {
    const outcome = reject(args);
    if (!(outcome instanceof Refusal)) rejection = outcome;
  });
  setHandler(
    massCancelUpdate,
    (args) => {
      requestCancel(cancel(args) as { requestedBy: string; reason?: string });
      return delivering ? { result: 'cancel_requested', chunksInFlight: running.size } : { result: 'canceled' };
    },
    { validator: (args) => throwIfRefused(cancel(args)) },
  );
  setHandler(massCancelSignal, (args) => {
    const outcome = cancel(args);
    if (!(outcome instanceof Refusal)) requestCancel(outcome);
  });

  const show = (units: string) => `${formatAmount(BigInt(units), input.assetDecimals)} ${input.asset}`;
  /** The Temporal UI's current details: where the batch is, in numbers. */
  function report(waitingFor: string) {
    progress.waitingFor = waitingFor;
    const done = progress.completed + progress.failed + progress.canceled;
    const percent = Math.floor((done * 100) / Math.max(1, input.itemCount));
    setCurrentDetails(
      `**${progress.status}** · ${input.itemCount} items, ${show(input.totalAmount)} on ${input.network}\n\n` +
        `final ${done}/${input.itemCount} (${percent}%): paid ${progress.completed} (${show(progress.paidUnits)}), ` +
        `failed ${progress.failed}, canceled ${progress.canceled}\n\n` +
        `chunks ${progress.chunksDone}/${progress.chunkCount ?? '?'} done, ${running.size} running, ${progress.transactions} transactions\n\n` +
        `waiting for: ${waitingFor}` +
        (progress.attention
          ? `\n\nneeds attention: ${progress.attention.reason}\n\nwhat to do: ${attentionRunbook(progress.attention.code)}`
          : ''),
    );
  }

  const moveTo = async (status: MassPayoutStatus, failure?: PayoutFailure) => {
    progress.status = status;
    if (failure) progress.failure = failure;
    upsertSearchAttributes([
      { key: payoutStatusKey, value: status },
      { key: statusChangedAtKey, value: new Date() },
    ]);
    await work.recordMassPayoutState({
      massPayoutId: input.massPayoutId,
      status,
      approvedBy: progress.approvedBy,
      at: new Date().toISOString(),
      failure,
    });
  };
  let reserved = false;
  /** Ends the batch: the items' statuses decide between completed, partially_completed and failed. */
  const finish = async (): Promise<MassPayoutProgress> => {
    const cancelReason = cancelRequest
      ? {
          code: 'canceled',
          reason: `canceled by ${cancelRequest.requestedBy}${cancelRequest.reason ? `: ${cancelRequest.reason}` : ''} before this item was sent`,
        }
      : undefined;
    const final = await work.finalizeMassPayout(input.massPayoutId, cancelReason);
    progress.status = final.status;
    progress.completed = final.counts.completed ?? 0;
    progress.failed = final.counts.failed ?? 0;
    progress.canceled = final.counts.canceled ?? 0;
    progress.paidUnits = final.paidUnits;
    upsertSearchAttributes([
      { key: payoutStatusKey, value: final.status },
      { key: statusChangedAtKey, value: new Date() },
      { key: needsAttentionKey, value: '' },
    ]);
    report(`nothing: ${final.status}`);
    await condition(allHandlersFinished);
    return { ...progress };
  };
  /** Ends the batch before anything was sent: every item takes the batch's status. */
  const endUnsent = async (status: 'canceled' | 'expired' | 'failed', failure: PayoutFailure) => {
    await moveTo(status, failure);
    if (reserved) await work.finalizeMassPayout(input.massPayoutId);
    upsertSearchAttributes([{ key: needsAttentionKey, value: '' }]);
    report(`nothing: ${status} (${failure.code}: ${failure.reason})`);
    await condition(allHandlersFinished);
    return { ...progress };
  };
  const canceledUnsent = () =>
    endUnsent('canceled', {
      code: 'canceled',
      reason: `canceled by ${cancelRequest!.requestedBy}${cancelRequest!.reason ? `: ${cancelRequest!.reason}` : ''}`,
    });

  const rejected = () =>
    endUnsent('canceled', {
      code: 'rejected',
      reason: `rejected by ${rejection!.approver}${rejection!.reason ? `: ${rejection!.reason}` : ''}`,
    });

  upsertSearchAttributes([{ key: batchIdKey, value: input.massPayoutId }]);

  // 1. The whole batch is funded before anything starts: one reservation for the total.
  report('funds reservation for the whole batch');
  const fundingDeadline = input.resume?.fundingDeadline ?? Date.now() + (input.fundingTimeoutMs ?? DEFAULT_FUNDING_TIMEOUT_MS);
  const reservation = await work.reserveMassFunds(input.massPayoutId);
  if (!reservation.ok) {
    if (FAILURE_CATEGORIES[reservation.failure.code] !== 'action_required') return endUnsent('failed', reservation.failure);
    const wait = await waitForFunding({
      first: reservation,
      step: () => work.reserveMassFunds(input.massPayoutId),
      deadline: fundingDeadline,
      retryMs: input.fundingRetryMs ?? DEFAULT_FUNDING_RETRY_MS,
      stopped: () => cancelRequest !== undefined || rejection !== undefined,
      onShort: async (failure) => {
        if (progress.attention?.code !== failure.code) {
          progress.attention = failure;
          upsertSearchAttributes([{ key: needsAttentionKey, value: failure.code }]);
          await work.recordMassAttention(input.massPayoutId, failure.code);
        }
        report(`treasury funding (${failure.reason})`);
      },
      historyLimit: input.historyLimit ?? DEFAULT_HISTORY_LIMIT,
    });
    if (wait.kind === 'stopped') return cancelRequest ? canceledUnsent() : rejected();
    if (wait.kind === 'timed_out')
      return endUnsent('failed', { code: 'funding_timeout', reason: `${wait.failure.reason}; gave up waiting` });
    if (wait.kind === 'continue_as_new') {
      // Nothing is reserved or running yet: the next run starts here again with the same deadline and approvals.
      await condition(allHandlersFinished);
      const next = makeContinueAsNewFunc<typeof massPayoutWorkflow>({ typedSearchAttributes: workflowInfo().typedSearchAttributes });
      return next({ ...input, resume: { progress: { ...progress }, fundingDeadline } });
    }
    if (!wait.result.ok) return endUnsent('failed', wait.result.failure);
  }
  reserved = true;
  if (progress.attention) {
    progress.attention = undefined;
    upsertSearchAttributes([{ key: needsAttentionKey, value: '' }]);
    await work.recordMassAttention(input.massPayoutId, null);
  }

  // 2. One approval for the whole batch.
  if (progress.status === 'pending_approval') {
    report(`${input.approvalsRequired} approval(s) from people other than ${input.createdBy}`);
    const decided = await condition(
      () => progress.approvedBy.length >= input.approvalsRequired || rejection !== undefined || cancelRequest !== undefined,
      input.approvalTimeoutMs,
    );
    if (cancelRequest) return canceledUnsent();
    if (rejection) return rejected();
    if (!decided) {
      return endUnsent('expired', {
        code: 'approval_expired',
        reason: `not approved within ${Math.round(input.approvalTimeoutMs / 1000)} s; the reservation was released`,
      });
    }
    await moveTo('in_progress');
  }
  if (cancelRequest) return canceledUnsent();

  // 3. Chunks, and (ERC-20 through the contract) the token allowance they spend.
  report('planning chunks');
  const plan = await work.planMassDelivery(input.massPayoutId);
  progress.chunkCount = plan.chunkCount;
  if (cancelRequest) return canceledUnsent();
  delivering = true;
  const allowance = await work.ensureBatchAllowance(input.massPayoutId);
  if (allowance.deliveryId) {
    report(`the token allowance for BatchTransfer (${allowance.deliveryId})`);
    await chain.broadcastTransfer(allowance.deliveryId);
    const confirmed = await awaitFinal(allowance.deliveryId, (reason) =>
      report(`the token allowance for BatchTransfer (${allowance.deliveryId}) is stuck at the fee ceiling (${reason})`),
    );
    await work.settleMassDelivery(allowance.deliveryId, confirmed);
    if (confirmed.status === 'success' && confirmed.kind === 'cancel') {
      // Only a refused broadcast replaces an allowance with a cancellation.
      return endUnsent('failed', {
        code: 'broadcast_refused',
        reason: `the token allowance for BatchTransfer (${allowance.deliveryId}) was not set: ${confirmed.refused ?? 'its nonce was filled by a cancellation'}`,
      });
    }
    if (confirmed.status !== 'success') {
      return endUnsent('failed', {
        code: 'transaction_reverted',
        reason: `the token allowance for BatchTransfer (${allowance.deliveryId}) was not mined successfully: ${confirmed.status}`,
      });
    }
  }

  let next = 0;
  const runChunks = async () => {
    while (next < plan.chunkCount && !cancelRequest) {
      const chunkIndex = next++;
      const child = await startChild(massPayoutChunkWorkflow, {
        workflowId: massChunkWorkflowId(input.massPayoutId, chunkIndex),
        args: [
          {
            massPayoutId: input.massPayoutId,
            chunkIndex,
            network: input.network,
            mode: plan.mode,
            fundingTimeoutMs: input.fundingTimeoutMs,
            fundingRetryMs: input.fundingRetryMs,
            historyLimit: input.historyLimit,
          },
        ],
        typedSearchAttributes: [
          { key: batchIdKey, value: input.massPayoutId },
          { key: payoutStatusKey, value: 'in_progress' },
        ],
      });
      running.set(chunkIndex, child);
      if (cancelRequest) void child.signal(stopChunkSignal);
      report(`chunks in flight`);
      const outcome = await child.result();
      running.delete(chunkIndex);
      progress.chunksDone += 1;
      progress.completed += outcome.completed;
      progress.failed += outcome.failed;
      progress.transactions += outcome.transactions;
      progress.paidUnits = (BigInt(progress.paidUnits) + BigInt(outcome.paidUnits)).toString();
      report(`chunks in flight`);
    }
  };
  const concurrency = Math.max(1, Math.min(input.chunkConcurrency ?? DEFAULT_CHUNK_CONCURRENCY, plan.chunkCount));
  await Promise.all(Array.from({ length: concurrency }, runChunks));

  return finish();
}
