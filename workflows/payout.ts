/**
 * One payout, durably. The workflow only decides and waits; every side effect is an
 * idempotent activity, so a worker killed at any line resumes safely.
 *
 *   awaiting_conversion  (a quoted exchange waits for confirm or cancel until the quote expires)
 *   -> funds reserved
 *   -> pending_approval  (distinct approvers other than the creator, until approval expiry)
 *   -> in_progress       (simulate, allocate a nonce, sign)
 *   -> processing        (broadcast; wait for confirmations on the canonical chain; stuck
 *                         transactions are replaced with higher fees by the activity)
 * A treasury too short to pay makes the payout wait, visibly (NeedsAttention), until funded.
 * Cancel works until the transaction is mined: once signed, it is a same-nonce zero-value
 * replacement, and the payout is canceled only if the chain keeps the replacement.
 *   -> completed | failed | canceled | expired
 * A paid payout takes 4 activity tasks: each status record rides with the step beside it (recordAndReserve,
 * prepareTransfer, broadcastAndRecord, and confirmAndComplete, which settles the hold once the chain kept the transfer).
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  makeContinueAsNewFunc,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { CancellationResult, ConfirmationOutcome, PayoutActivities, PayoutStateUpdate } from '../activities/types';
import type { ComplianceActivities, ComplianceDecision } from '../activities/compliance';
import { decideApproval } from '../domain/approval';
import { FAILURE_CATEGORIES } from '../domain/failures';
import { attentionRunbook } from '../domain/runbook';
import type { PayoutAction, PayoutFailure, PayoutResume, PayoutState, PayoutWorkflowInput } from '../domain/payout';
import { canTransition, isTerminal, type PayoutStatus } from '../domain/statuses';
import {
  approveSignal,
  approveUpdate,
  cancelSignal,
  cancelUpdate,
  complianceDecisionUpdate,
  confirmConversionSignal,
  type CancelAnswer,
  confirmConversionUpdate,
  rejectSignal,
  rejectUpdate,
  resolveNonceConflictSignal,
  resolveNonceConflictUpdate,
  statusQuery,
} from './definitions';
import { CHAIN_CALL, DATABASE_STEP, named, Refusal } from './activity-options';
import { awaitFinal, awaitFinalOrResolution } from './await-final';
import { DEFAULT_FUNDING_RETRY_MS, DEFAULT_FUNDING_TIMEOUT_MS, DEFAULT_HISTORY_LIMIT, waitForFunding } from './funding-wait';
import { needsAttentionKey, payoutStatusKey, statusChangedAtKey } from './search-attributes';

const db = proxyActivities<PayoutActivities>(DATABASE_STEP);
const chain = proxyActivities<PayoutActivities>(CHAIN_CALL);
// Screening reads the list and, where configured, the chain (an oracle, a token's blacklist).
const compliance = proxyActivities<ComplianceActivities>(CHAIN_CALL);

export async function payoutWorkflow(input: PayoutWorkflowInput): Promise<PayoutState> {
  const initial: PayoutStatus = input.conversion ? 'awaiting_conversion' : input.approvalsRequired > 0 ? 'pending_approval' : 'in_progress';
  /** Set when an earlier run continued-as-new during a funding wait: this run goes on from there. */
  const resume = input.resume;
  const state: PayoutState = resume
    ? { ...resume.state, availableActions: [] }
    : {
        payoutId: input.payoutId,
        status: initial,
        statusSeq: 1,
        waitingFor: '',
        since: new Date(workflowInfo().startTime).toISOString(),
        approvalsRequired: input.approvalsRequired,
        approvedBy: [],
        availableActions: [],
        conversion: input.conversion ? { ...input.conversion } : undefined,
      };
  // A resumed run is past the quote: it was confirmed, or the payout would have ended.
  let conversionConfirmed = resume !== undefined;
  let rejection: { approver: string; reason?: string } | undefined;
  let cancelRequest: { requestedBy: string; reason?: string } | undefined;
  /** Set once prepareTransfer has signed: from then on a cancel is a same-nonce replacement. */
  let prepared = false;
  /** Set while a nonce conflict waits for a person; `resolution` is their answer. */
  let awaitingResolution = false;
  let resolution: { resolvedBy: string; reason: string } | undefined;
  /** True while a prepareTransfer attempt runs: it may sign at any moment, so a cancel waits for its outcome. */
  let signing = false;
  /** A cancel that arrived during signing, and (once signed) the replacement the main flow sent for it. */
  let cancelWhileSigning: { requestedBy: string; reason?: string } | undefined;
  let replacementAfterSigning: CancellationResult | undefined;
  /** The signed transfer, once there is one (a run resumed at the broadcast wait gets it from the previous run). */
  let signed: { txHash: string; nonce: string } | undefined;
  // Decided once, at the start of a run: histories recorded before it answer a cancel during signing as they did.
  const cancelWaitsForSigning = patched('cancel-waits-for-signing');
  // A status record rides with the step next to it (reserve, broadcast, settle): 3 activity tasks fewer per payout.
  const pairedRecords = patched('status-records-ride-with-steps');
  // The destination is screened again right before signing; a hit (or the API's at creation) holds for a person.
  const screens = patched('compliance-screening');
  /**
   * Set while the payout waits for a compliance decision; the screening it waits after. A hold from creation is set
   * before anything else runs, so a decision that comes in at once finds it.
   */
  let complianceHold: { screeningId: string } | undefined =
    screens && !resume && input.compliance ? { screeningId: input.compliance.screeningId } : undefined;
  let complianceDecision: ComplianceDecision | undefined;
  /** Sources a person released this payout from: the screening before signing holds only for another one. */
  const releasedSources = new Set<string>();

  const actions = (): PayoutAction[] => {
    if (isTerminal(state.status) || cancelRequest || rejection) return [];
    if (complianceHold) return complianceDecision ? [] : ['decide_compliance', 'cancel'];
    // The nonce is spent: nothing can cancel it, only a person's reading of the wallet ends the payout.
    if (awaitingResolution) return resolution ? [] : ['resolve_nonce_conflict'];
    if (state.status === 'awaiting_conversion' && !conversionConfirmed) return ['confirm_conversion', 'cancel'];
    if (state.status === 'pending_approval') return ['approve', 'reject', 'cancel'];
    return ['cancel'];
  };
  const refuseUnlessAllowed = (action: PayoutAction): Refusal | undefined => {
    if (actions().includes(action)) return undefined;
    if (isTerminal(state.status))
      return new Refusal('payout_terminal', `payout is already ${state.status}; a finished payout never changes`);
    if (action === 'cancel' && awaitingResolution)
      return new Refusal('cancel_refused', 'its nonce was used by another transaction: resolve the nonce conflict instead');
    if (action === 'cancel') return new Refusal('cancel_refused', 'a cancellation is already under way');
    if (action === 'resolve_nonce_conflict')
      return new Refusal('not_awaiting_resolution', `payout is ${state.status} and has no nonce conflict to resolve`);
    if (action === 'confirm_conversion')
      return new Refusal('not_awaiting_conversion', `payout is ${state.status}, not awaiting a conversion confirmation`);
    return new Refusal('not_awaiting_approval', `payout is ${state.status}, not awaiting approval`);
  };

  // Each action: validate (pure, shared by Update validator and Signal), then apply.
  const approve = (args: unknown): Refusal | { approvedBy: string[]; remaining: number } => {
    const approver = (args as { approver?: unknown })?.approver;
    if (!named(approver)) return new Refusal('invalid_payload', 'approve needs {"approver": "<who>"}');
    const refusal = refuseUnlessAllowed('approve');
    if (refusal) return refusal;
    const decision = decideApproval({
      approver,
      createdBy: input.createdBy,
      approvedBy: state.approvedBy,
      approvalsRequired: input.approvalsRequired,
      awaitingApproval: true,
    });
    if (!decision.accepted) return new Refusal(decision.reason, decision.message);
    return { approvedBy: decision.approvedBy, remaining: decision.remaining };
  };
  const reject = (args: unknown): Refusal | { approver: string; reason?: string } => {
    const { approver, reason } = (args ?? {}) as { approver?: unknown; reason?: unknown };
    if (!named(approver)) return new Refusal('invalid_payload', 'reject needs {"approver": "<who>", "reason": "<optional>"}');
    const refusal = refuseUnlessAllowed('reject');
    if (refusal) return refusal;
    if (approver === input.createdBy) return new Refusal('own_payout', 'you created this payout; cancel it instead of rejecting it');
    return { approver, reason: typeof reason === 'string' ? reason.slice(0, 200) : undefined };
  };
  const cancel = (args: unknown): Refusal | { requestedBy: string; reason?: string } => {
    const { requestedBy, reason } = (args ?? {}) as { requestedBy?: unknown; reason?: unknown };
    if (!named(requestedBy)) return new Refusal('invalid_payload', 'cancel needs {"requestedBy": "<who>", "reason": "<optional>"}');
    return refuseUnlessAllowed('cancel') ?? { requestedBy, reason: typeof reason === 'string' ? reason.slice(0, 200) : undefined };
  };
  const resolve = (args: unknown): Refusal | { resolvedBy: string; reason: string } => {
    const { resolvedBy, reason } = (args ?? {}) as { resolvedBy?: unknown; reason?: unknown };
    if (!named(resolvedBy) || typeof reason !== 'string' || reason.trim() === '')
      return new Refusal('invalid_payload', 'resolve_nonce_conflict needs {"resolvedBy": "<who>", "reason": "<what the wallet showed>"}');
    const refusal = refuseUnlessAllowed('resolve_nonce_conflict');
    if (refusal) return refusal;
    if (resolvedBy === input.createdBy)
      return new Refusal('own_payout', 'you created this payout; a second person must check the wallet and resolve it');
    return { resolvedBy, reason: reason.slice(0, 200) };
  };
  const confirm = (args: unknown): Refusal | { confirmedBy: string } => {
    const confirmedBy = (args as { confirmedBy?: unknown })?.confirmedBy;
    if (!named(confirmedBy)) return new Refusal('invalid_payload', 'confirm_conversion needs {"confirmedBy": "<who>"}');
    return refuseUnlessAllowed('confirm_conversion') ?? { confirmedBy };
  };

  const throwIfRefused = (outcome: unknown) => {
    if (outcome instanceof Refusal) throw ApplicationFailure.nonRetryable(outcome.message, outcome.code);
  };
  const ignoreIfRefused = (signal: string, args: unknown, outcome: unknown): boolean => {
    if (!(outcome instanceof Refusal)) return false;
    log.warn(`ignored ${signal} signal: ${outcome.message}`, { refusal: outcome.code, payload: args });
    return true;
  };

  const applyApproval = (outcome: { approvedBy: string[] }) => {
    state.approvedBy = outcome.approvedBy;
  };

  setHandler(statusQuery, () => ({ ...state, availableActions: actions() }));

  setHandler(
    approveUpdate,
    (args) => {
      const outcome = approve(args);
      throwIfRefused(outcome);
      const accepted = outcome as { approvedBy: string[]; remaining: number };
      applyApproval(accepted);
      return accepted.remaining === 0
        ? { result: 'approved', approvedBy: accepted.approvedBy }
        : { result: 'needs_more_approvals', approvedBy: accepted.approvedBy, remaining: accepted.remaining };
    },
    { validator: (args) => throwIfRefused(approve(args)) },
  );
  setHandler(approveSignal, (args) => {
    const outcome = approve(args);
    if (!ignoreIfRefused('approve', args, outcome)) applyApproval(outcome as { approvedBy: string[] });
  });

  setHandler(
    rejectUpdate,
    (args) => {
      rejection = reject(args) as { approver: string; reason?: string };
      return { result: 'rejected' };
    },
    { validator: (args) => throwIfRefused(reject(args)) },
  );
  setHandler(rejectSignal, (args) => {
    const outcome = reject(args);
    if (!ignoreIfRefused('reject', args, outcome)) rejection = outcome as { approver: string; reason?: string };
  });

  /** Once signed, the nonce is taken: cancel by replacing the transaction, never by forgetting it. */
  const cancelSigned = async (request: { requestedBy: string; reason?: string }): Promise<Refusal | string> => {
    const replacement = await chain.replaceWithCancellation(input.payoutId);
    if (!replacement.sent) return new Refusal('cancel_refused', `too late to cancel: ${replacement.reason}`);
    cancelRequest = request;
    return replacement.txHash;
  };
  /**
   * A cancel that arrives while prepareTransfer may be signing waits for its outcome: unsigned, the payout stops;
   * signed, the main flow fills the nonce with the cancellation instead of broadcasting the transfer, and the answer
   * is that replacement. Either way the answer is what happened, never "canceled" with a signed transfer.
   */
  const cancelDuringSigning = async (request: { requestedBy: string; reason?: string }): Promise<Refusal | CancelAnswer> => {
    cancelWhileSigning = request;
    await condition(() => !signing);
    cancelRequest = request;
    if (!prepared) return { result: 'canceled' };
    await condition(() => replacementAfterSigning !== undefined);
    const replacement = replacementAfterSigning!;
    if (!replacement.sent) return new Refusal('cancel_refused', `too late to cancel: ${replacement.reason}`);
    return { result: 'cancel_requested', replacementTxHash: replacement.txHash };
  };
  setHandler(
    cancelUpdate,
    async (args) => {
      const request = cancel(args) as { requestedBy: string; reason?: string };
      if (cancelWaitsForSigning && signing) {
        const answer = await cancelDuringSigning(request);
        throwIfRefused(answer);
        return answer as CancelAnswer;
      }
      if (!prepared) {
        cancelRequest = request;
        return { result: 'canceled' };
      }
      const outcome = await cancelSigned(request);
      throwIfRefused(outcome);
      return { result: 'cancel_requested', replacementTxHash: outcome as string };
    },
    { validator: (args) => throwIfRefused(cancel(args)) },
  );
  setHandler(cancelSignal, async (args) => {
    const outcome = cancel(args);
    if (ignoreIfRefused('cancel', args, outcome)) return;
    const request = outcome as { requestedBy: string; reason?: string };
    if (cancelWaitsForSigning && signing) ignoreIfRefused('cancel', args, await cancelDuringSigning(request));
    else if (!prepared) cancelRequest = request;
    else ignoreIfRefused('cancel', args, await cancelSigned(request));
  });

  setHandler(
    resolveNonceConflictUpdate,
    (args) => {
      resolution = resolve(args) as { resolvedBy: string; reason: string };
      return { result: 'resolved_not_paid' };
    },
    { validator: (args) => throwIfRefused(resolve(args)) },
  );
  setHandler(resolveNonceConflictSignal, (args) => {
    const outcome = resolve(args);
    if (!ignoreIfRefused('resolve_nonce_conflict', args, outcome)) resolution = outcome as { resolvedBy: string; reason: string };
  });

  setHandler(
    complianceDecisionUpdate,
    async (args) => {
      // The decision is the row the API wrote under the caller's key: an Update without one changes nothing.
      const decisionId = typeof args?.decisionId === 'string' ? args.decisionId : '';
      const decision = await compliance.complianceDecision(input.payoutId, complianceHold!.screeningId, decisionId);
      if (!decision) {
        throw ApplicationFailure.nonRetryable(
          'no compliance decision is recorded for this hold: decide through POST /v1/payouts/{id}/compliance/release or /refuse',
          'no_compliance_decision',
        );
      }
      complianceDecision = decision;
      return { result: decision.outcome, decidedBy: decision.actor };
    },
    {
      validator: (_args) => {
        if (!complianceHold || complianceDecision) {
          throw ApplicationFailure.nonRetryable(`payout is ${state.status} and not on compliance hold`, 'not_on_compliance_hold');
        }
      },
    },
  );

  setHandler(
    confirmConversionUpdate,
    (args) => {
      const outcome = confirm(args) as { confirmedBy: string };
      conversionConfirmed = true;
      state.conversion = { ...state.conversion!, confirmedBy: outcome.confirmedBy };
      return { result: 'confirmed' };
    },
    { validator: (args) => throwIfRefused(confirm(args)) },
  );
  setHandler(confirmConversionSignal, (args) => {
    const outcome = confirm(args);
    if (ignoreIfRefused('confirm_conversion', args, outcome)) return;
    conversionConfirmed = true;
    state.conversion = { ...state.conversion!, confirmedBy: (outcome as { confirmedBy: string }).confirmedBy };
  });

  const waiting = (what: string) => {
    state.waitingFor = what;
    state.since = new Date().toISOString();
    const actionList = actions();
    setCurrentDetails(
      `**${state.status}**: waiting for ${what} since ${state.since}` +
        (state.attention ? `\n\nneeds attention: ${state.attention.code}; what to do: ${attentionRunbook(state.attention.code)}` : '') +
        (actionList.length ? `\n\nactions: ${actionList.join(', ')}` : ''),
    );
  };

  /** The record of a move to `to`, checked but not applied: a paired step applies it once its activity succeeded. */
  const planMove = (to: PayoutStatus, failure?: PayoutFailure): PayoutStateUpdate => {
    if (!canTransition(state.status, to)) {
      throw ApplicationFailure.nonRetryable(`bug: forbidden transition ${state.status} -> ${to}`, 'forbidden_transition');
    }
    return {
      payoutId: input.payoutId,
      seq: state.statusSeq + 1,
      from: state.status,
      to,
      at: new Date().toISOString(),
      approvedBy: state.approvedBy,
      failure: failure ?? state.failure,
      chain: state.chain,
      txHash: state.txHash,
    };
  };
  const applyMove = (move: PayoutStateUpdate) => {
    state.status = move.to;
    state.statusSeq = move.seq;
    if (move.failure) state.failure = move.failure;
    upsertSearchAttributes([
      { key: payoutStatusKey, value: move.to },
      { key: statusChangedAtKey, value: new Date(move.at) },
    ]);
  };
  const moveTo = async (to: PayoutStatus, failure?: PayoutFailure) => {
    const move = planMove(to, failure);
    applyMove(move);
    await db.recordPayoutState(move);
  };
  /** Set when the status record goes with the next step's activity (pairedRecords): the reservation's. */
  let recordWithReserve: PayoutStateUpdate | undefined;

  /**
   * A nonce conflict never ends the payout by itself: one node's view may be wrong (a lagging node behind a load
   * balancer), and a payout that reads "failed" but was paid gets paid twice when its client creates it again. It
   * waits, funds held, for a person to resolve it, while the chain is still watched: if one of its attempts turns up
   * at final depth after all, that is the outcome.
   */
  const holdForNonceConflict = async (nonce: string): Promise<ConfirmationOutcome | 'resolved'> => {
    awaitingResolution = true;
    await needAttention({
      code: 'nonce_conflict',
      reason: `nonce ${nonce} was used at final depth by a transaction that is none of this payout's attempts`,
    });
    waiting(
      `a person: nonce ${nonce} was used by another transaction from the treasury. Check the wallet, then resolve ` +
        `(POST /v1/payouts/${input.payoutId}/resolve-nonce-conflict, or the resolve_nonce_conflict signal)`,
    );
    const held = await awaitFinalOrResolution(input.payoutId, () => resolution !== undefined);
    awaitingResolution = false;
    return held;
  };

  /**
   * A listed destination is never paid: the payout waits, funds held if they were, for a person with the compliance
   * scope to release it (it goes on) or refuse it (it fails, the reservation released), or for a cancel.
   */
  const holdForCompliance = async (hits: { source: string; detail: string }[], screeningId: string): Promise<'released' | 'ended'> => {
    if (complianceHold?.screeningId !== screeningId) {
      complianceHold = { screeningId };
      complianceDecision = undefined;
    }
    await needAttention({ code: 'compliance_hold', reason: hits.map((hit) => hit.detail).join('; ') });
    waiting(
      `a compliance decision on ${input.destination} (${hits.map((hit) => hit.source).join(', ')}): ` +
        `POST /v1/payouts/${input.payoutId}/compliance/release or /refuse with a reason (compliance scope)`,
    );
    await condition(() => complianceDecision !== undefined || cancelRequest !== undefined);
    const decision = complianceDecision as ComplianceDecision | undefined;
    complianceHold = undefined;
    if (cancelRequest && !decision) return 'ended';
    if (decision!.outcome === 'refused') {
      await finish('failed', {
        code: 'compliance_refused',
        reason: `refused by ${decision!.actor} after compliance screening: ${decision!.reason}`,
      });
      return 'ended';
    }
    for (const hit of hits) releasedSources.add(hit.source);
    await needAttention(undefined);
    return 'released';
  };

  let reserved = false;
  const finish = async (to: PayoutStatus, failure?: PayoutFailure): Promise<PayoutState> => {
    if (reserved && pairedRecords) {
      const move = planMove(to, failure);
      applyMove(move);
      await db.settleAndRecord(move);
    } else {
      if (reserved) await db.settleReservation(input.payoutId, to === 'completed' ? 'consumed' : 'released');
      await moveTo(to, failure);
    }
    return ended();
  };
  const ended = async (): Promise<PayoutState> => {
    const failure = state.failure;
    waiting(failure ? `nothing: ${state.status} (${failure.code}: ${failure.reason})` : `nothing: ${state.status}`);
    await condition(allHandlersFinished);
    return { ...state, availableActions: [] };
  };
  const canceled = () =>
    finish('canceled', {
      code: 'canceled',
      reason: `canceled by ${cancelRequest!.requestedBy}${cancelRequest!.reason ? `: ${cancelRequest!.reason}` : ''}`,
    });

  /** What the payout waits for a person about (NeedsAttention in Temporal, `attention` in the API); undefined clears it. */
  const needAttention = async (attention: PayoutFailure | undefined) => {
    state.attention = attention;
    upsertSearchAttributes([{ key: needsAttentionKey, value: attention?.code ?? '' }]);
    await db.recordAttention(input.payoutId, attention?.code ?? null);
  };

  /**
   * Runs a step that may find the treasury short (reserve, prepare). A shortfall a person can
   * fix makes the payout wait, visibly, re-checking until funded, canceled, or timed out.
   */
  const untilFunded = async <T extends { ok: true } | { ok: false; failure: PayoutFailure }>(
    stage: PayoutResume['stage'],
    step: () => Promise<T>,
  ): Promise<T | 'canceled'> => {
    const result = await step();
    if (result.ok || FAILURE_CATEGORIES[result.failure.code] !== 'action_required' || !patched('wait-for-funding')) return result;
    const timeoutMs = input.fundingTimeoutMs ?? DEFAULT_FUNDING_TIMEOUT_MS;
    const deadline = resume?.stage === stage ? resume.fundingDeadline : Date.now() + timeoutMs;
    const outcome = await waitForFunding({
      first: result,
      step,
      deadline,
      retryMs: input.fundingRetryMs ?? DEFAULT_FUNDING_RETRY_MS,
      stopped: () => cancelRequest !== undefined,
      onShort: async (failure) => {
        if (state.attention?.code !== failure.code) await needAttention(failure);
        waiting(`treasury funding (${failure.reason})`);
      },
      historyLimit: input.historyLimit ?? DEFAULT_HISTORY_LIMIT,
    });
    if (outcome.kind === 'stopped') return 'canceled';
    if (outcome.kind === 'timed_out') {
      const reason = `${outcome.failure.reason}; gave up after waiting ${Math.round(timeoutMs / 1000)} s`;
      return { ok: false, failure: { code: 'funding_timeout', reason } } as T;
    }
    if (outcome.kind === 'continue_as_new') {
      // Same deadline, status, approvals and attention in a fresh history; Updates in flight finish here first.
      await condition(allHandlersFinished);
      const next = makeContinueAsNewFunc<typeof payoutWorkflow>({ typedSearchAttributes: workflowInfo().typedSearchAttributes });
      return next({ ...input, resume: { stage, state: { ...state }, fundingDeadline: deadline, ...(signed ? { signed } : {}) } });
    }
    if (outcome.result.ok) await needAttention(undefined);
    return outcome.result;
  };

  if (!resume) {
    waiting(
      initial === 'awaiting_conversion'
        ? `confirm or cancel of the quote ${input.conversion!.description} (expires ${input.conversion!.expiresAt})`
        : 'funds reservation',
    );
    // The API created the read-model row in the initial status; record seq 1 so the
    // history starts complete even if the API crashed right after starting us.
    const first: PayoutStateUpdate = {
      payoutId: input.payoutId,
      seq: state.statusSeq,
      from: null,
      to: initial,
      at: new Date(workflowInfo().startTime).toISOString(),
      approvedBy: [],
    };
    if (pairedRecords && initial !== 'awaiting_conversion') recordWithReserve = first;
    else await db.recordPayoutState(first);
  }

  if (state.status === 'awaiting_conversion') {
    const quoteLifetimeMs = Math.max(0, Date.parse(input.conversion!.expiresAt) - Date.now());
    await condition(() => conversionConfirmed || cancelRequest !== undefined, quoteLifetimeMs);
    if (cancelRequest) return canceled();
    if (!conversionConfirmed) {
      return finish('expired', {
        code: 'quote_expired',
        reason: `nobody confirmed the quote before it expired at ${input.conversion!.expiresAt}; create the payout again for a new quote`,
      });
    }
    const to = input.approvalsRequired > 0 ? 'pending_approval' : 'in_progress';
    if (pairedRecords) {
      recordWithReserve = planMove(to);
      applyMove(recordWithReserve);
    } else await moveTo(to);
  }

  if (screens && !resume && input.compliance) {
    // The status record that rides with the reservation goes now: the payout may end on the hold.
    if (recordWithReserve) await db.recordPayoutState(recordWithReserve);
    recordWithReserve = undefined;
    if ((await holdForCompliance(input.compliance.hits, input.compliance.screeningId)) === 'ended') {
      return isTerminal(state.status) ? ended() : canceled();
    }
  }

  // Funds are held from here on, including while the payout waits for approval.
  if (resume && resume.stage !== 'reserve') reserved = true;
  else {
    waiting('funds reservation');
    const reservation = await untilFunded('reserve', async () => {
      const record = recordWithReserve;
      // Recorded by the first attempt: a re-check after a shortfall only reserves.
      recordWithReserve = undefined;
      return record ? db.recordAndReserve(record) : db.reserveFunds(input.payoutId);
    });
    if (reservation === 'canceled') return canceled();
    if (!reservation.ok) return finish('failed', reservation.failure);
    reserved = true;
  }

  if (state.status === 'pending_approval' && (!resume || resume.stage === 'reserve')) {
    waiting(`${input.approvalsRequired} approval(s) from people other than ${input.createdBy}`);
    const decided = await condition(
      () => state.approvedBy.length >= input.approvalsRequired || rejection !== undefined || cancelRequest !== undefined,
      input.approvalTimeoutMs,
    );
    if (cancelRequest) return canceled();
    if (rejection) {
      return finish('canceled', {
        code: 'rejected',
        reason: `rejected by ${rejection.approver}${rejection.reason ? `: ${rejection.reason}` : ''}`,
      });
    }
    if (!decided) {
      return finish('expired', {
        code: 'approval_expired',
        reason: `not approved within ${Math.round(input.approvalTimeoutMs / 1000)} s; the reservation was released`,
      });
    }
    await moveTo('in_progress');
  }
  if (cancelRequest) return canceled();

  if (resume?.stage === 'broadcast') {
    signed = resume.signed!;
    prepared = true;
  } else {
    if (screens && (!resume || resume.stage === 'reserve')) {
      waiting(`sanctions screening of ${input.destination}`);
      const screened = await compliance.screenBeforeSigning(input.payoutId);
      const unreleased = screened.hits.filter((hit) => !releasedSources.has(hit.source));
      if (unreleased.length > 0 && (await holdForCompliance(unreleased, screened.screeningId)) === 'ended') {
        return isTerminal(state.status) ? ended() : canceled();
      }
      if (cancelRequest) return canceled();
    }
    waiting('simulation, nonce allocation and signing');
    const result = await untilFunded('prepare', async () => {
      signing = true;
      try {
        const attempt = await chain.prepareTransfer(input.payoutId);
        prepared = attempt.ok;
        return attempt;
      } finally {
        signing = false;
      }
    });
    if (result === 'canceled') return canceled();
    if (!result.ok) return finish('failed', result.failure);
    signed = { txHash: result.txHash, nonce: result.nonce };
  }
  state.txHash = signed.txHash;

  if (cancelRequest || cancelWhileSigning) {
    // Canceled while signing: fill the nonce with the cancellation instead of sending the transfer.
    waiting(`the cancellation replacing ${signed.txHash}`);
    replacementAfterSigning = await chain.replaceWithCancellation(input.payoutId);
  } else {
    waiting(`broadcast of ${signed.txHash}`);
    // A node that finds the wallet short (drained outside the engine since signing) makes it wait, visibly. A cancel
    // meanwhile sends its replacement and ends the wait: from here on the chain decides.
    await untilFunded('broadcast', async () => {
      if (pairedRecords) {
        const move = planMove('processing');
        const sent = await chain.broadcastAndRecord(move);
        if (sent.short) return { ok: false as const, failure: sent.short };
        applyMove(move);
        return { ok: true as const };
      }
      const sent = await chain.broadcastTransfer(input.payoutId);
      return sent.short ? { ok: false as const, failure: sent.short } : { ok: true as const };
    });
  }
  if (state.status !== 'processing') await moveTo('processing');

  waiting(`confirmations of ${signed.txHash}`);
  // Paired: a kept transfer is settled and recorded `completed` by the wait's own activity.
  const completion = pairedRecords && reserved ? planMove('completed') : undefined;
  let outcome = await awaitFinal(
    input.payoutId,
    async (reason) => {
      await needAttention({ code: 'fee_ceiling', reason });
      waiting(`the chain to include ${signed.txHash}, stuck at the fee ceiling (${reason}); raise MAX_FEE_PER_GAS_WEI or MAX_FEE_BUMPS`);
    },
    completion,
  );
  if (completion && outcome.completedAt) {
    state.chain = outcome.chain;
    state.attention = undefined;
    upsertSearchAttributes([{ key: needsAttentionKey, value: '' }]);
    applyMove({ ...completion, at: outcome.completedAt, chain: outcome.chain });
    return ended();
  }
  if (outcome.status === 'nonce_conflict' && patched('nonce-conflict-waits-for-a-person')) {
    const held = await holdForNonceConflict(signed.nonce);
    if (held === 'resolved') {
      await needAttention(undefined);
      return finish('failed', {
        code: 'nonce_conflict',
        reason:
          `another transaction from the treasury used nonce ${signed.nonce}; ${resolution!.resolvedBy} checked the wallet ` +
          `and resolved it as not paid: ${resolution!.reason}`,
      });
    }
    outcome = held;
  }
  if (state.attention) await needAttention(undefined);
  if (outcome.status === 'nonce_conflict') {
    return finish('failed', {
      code: 'nonce_conflict',
      reason: `another transaction from the treasury used nonce ${signed.nonce}; this payout was not paid. An operator must check the wallet`,
    });
  }
  state.chain = outcome.chain;
  if (outcome.kind === 'cancel' && outcome.refused) {
    return finish('failed', {
      code: 'broadcast_refused',
      reason:
        `${outcome.refused}. Nothing was paid: the nonce was filled by zero-value transaction ${outcome.chain.txHash}, ` +
        `which the chain kept; fix the cause and create the payout again`,
    });
  }
  if (outcome.kind === 'cancel') {
    // Set by the cancel handler while we waited (TypeScript cannot see that).
    const request = cancelRequest as { requestedBy: string; reason?: string } | undefined;
    return finish('canceled', {
      code: 'canceled',
      reason:
        `canceled by ${request?.requestedBy ?? 'an operator'}${request?.reason ? `: ${request.reason}` : ''}; ` +
        `the transfer was replaced by zero-value transaction ${outcome.chain.txHash}, which the chain kept`,
    });
  }
  if (outcome.status === 'reverted') {
    log.warn('transaction reverted on chain', { txHash: outcome.chain.txHash });
    return finish('failed', {
      code: 'transaction_reverted',
      reason: `transaction ${outcome.chain.txHash} reverted on chain; the amount was not paid (gas was)`,
    });
  }
  return finish('completed');
}
