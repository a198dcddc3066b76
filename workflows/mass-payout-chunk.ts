/**
 * One chunk of a mass payout, as a child workflow: its own history, so a 100,000-item batch is
 * ~200 small histories instead of one huge one. Batch mode: one BatchTransfer transaction for the
 * chunk (items that would revert are split out by simulation first). Single mode (no contract on
 * the network): one transaction per item, one after another. Either way each transaction is a
 * delivery with its own nonce, sent and confirmed by the same activities as a single payout.
 */
import { continueAsNew, patched, proxyActivities, setCurrentDetails, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { ChunkPrepareResult, MassPayoutActivities } from '../activities/mass-payouts';
import type { PayoutActivities } from '../activities/types';
import { FAILURE_CATEGORIES } from '../domain/failures';
import type { ChunkOutcome, DeliveryMode, MassChunkWorkflowInput } from '../domain/mass-payout';
import type { PayoutFailure } from '../domain/payout';
import { CHAIN_CALL } from './activity-options';
import { awaitFinal, awaitFinalOrResolution } from './await-final';
import { resolveNonceConflictSignal, type ResolveNonceConflictArgs } from './definitions';
import { DEFAULT_FUNDING_RETRY_MS, DEFAULT_FUNDING_TIMEOUT_MS, DEFAULT_HISTORY_LIMIT, waitForFunding } from './funding-wait';
import { stopChunkSignal } from './mass-payout-definitions';
import { needsAttentionKey } from './search-attributes';

// Database steps over at most one chunk's items: short, so a killed worker's attempt is retried soon.
const work = proxyActivities<MassPayoutActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});
// Simulating hundreds of recipients (again per split-out item) can take a while: it heartbeats instead.
const simulation = proxyActivities<MassPayoutActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});
const chain = proxyActivities<PayoutActivities>(CHAIN_CALL);

export interface MassChunkInput extends MassChunkWorkflowInput {
  mode: DeliveryMode;
  fundingTimeoutMs?: number;
  fundingRetryMs?: number;
  historyLimit?: number;
  /** Set by continue-as-new in a funding wait: what this chunk did so far, and where it goes on. */
  resume?: { outcome: ChunkOutcome; fromSeq?: number; fundingDeadline: number };
}

export async function massPayoutChunkWorkflow(input: MassChunkInput): Promise<ChunkOutcome> {
  const outcome: ChunkOutcome = input.resume
    ? { ...input.resume.outcome }
    : { chunkIndex: input.chunkIndex, completed: 0, failed: 0, canceled: 0, paidUnits: '0', transactions: 0 };
  /** The deadline of the wait a previous run handed over; used by the first prepare of this run only. */
  let carriedDeadline = input.resume?.fundingDeadline;
  let stopped = false;
  setHandler(stopChunkSignal, () => {
    stopped = true;
  });
  /** Set by a person who checked the wallet after a nonce conflict of this chunk's delivery: it was not paid. */
  let resolution: ResolveNonceConflictArgs | undefined;
  setHandler(resolveNonceConflictSignal, (args) => {
    if (typeof args?.resolvedBy === 'string' && args.resolvedBy && typeof args.reason === 'string' && args.reason) resolution ??= args;
  });
  const show = (what: string) =>
    setCurrentDetails(
      `**chunk ${input.chunkIndex}** of mass payout ${input.massPayoutId} (${input.mode}): ${what}\n\n` +
        `paid ${outcome.completed}, failed ${outcome.failed}, transactions ${outcome.transactions}`,
    );

  /** Prepares, waiting (visibly) while the treasury is short; undefined when stopped. `seq`: the item (single mode). */
  const prepareWhenFunded = async (prepare: () => Promise<ChunkPrepareResult>, seq?: number) => {
    const deadline = carriedDeadline ?? Date.now() + (input.fundingTimeoutMs ?? DEFAULT_FUNDING_TIMEOUT_MS);
    carriedDeadline = undefined;
    const first = await prepare();
    if (first.ok || FAILURE_CATEGORIES[first.failure.code] !== 'action_required') return first;
    const wait = await waitForFunding({
      first,
      step: prepare,
      deadline,
      retryMs: input.fundingRetryMs ?? DEFAULT_FUNDING_RETRY_MS,
      stopped: () => stopped,
      onShort: (failure) => show(`waiting for treasury funding (${failure.reason})`),
      historyLimit: input.historyLimit ?? DEFAULT_HISTORY_LIMIT,
    });
    if (wait.kind === 'stopped') return undefined;
    if (wait.kind === 'timed_out') {
      const failure: PayoutFailure = { code: 'funding_timeout', reason: `${wait.failure.reason}; gave up waiting` };
      return { ok: false, failure } as const;
    }
    if (wait.kind === 'continue_as_new') {
      return continueAsNew<typeof massPayoutChunkWorkflow>({
        ...input,
        resume: { outcome: { ...outcome }, fromSeq: seq, fundingDeadline: deadline },
      });
    }
    return wait.result;
  };

  const deliver = async (deliveryId: string) => {
    show(`sending ${deliveryId}`);
    await chain.broadcastTransfer(deliveryId);
    show(`waiting for confirmations of ${deliveryId}`);
    let confirmed = await awaitFinal(deliveryId, (reason) => show(`${deliveryId} is stuck at the fee ceiling (${reason})`));
    if (confirmed.status === 'nonce_conflict' && patched('chunk-nonce-conflict-waits-for-a-person')) {
      // As for a single payout: never failed by itself (one node's view may be wrong, and items that read "failed" but
      // were paid get paid twice when the batch is sent again). It waits, funds held, for a person; the chain is still
      // watched meanwhile, and what it keeps wins.
      upsertSearchAttributes([{ key: needsAttentionKey, value: 'nonce_conflict' }]);
      await work.recordMassAttention(input.massPayoutId, 'nonce_conflict');
      show(
        `waiting for a person: the nonce of ${deliveryId} was used by a transaction that is none of its attempts. Check the ` +
          `wallet, then signal resolve_nonce_conflict {"resolvedBy": "<who>", "reason": "<what the wallet showed>"} to this workflow`,
      );
      const held = await awaitFinalOrResolution(deliveryId, () => resolution !== undefined);
      if (held !== 'resolved') confirmed = held;
      upsertSearchAttributes([{ key: needsAttentionKey, value: '' }]);
      await work.recordMassAttention(input.massPayoutId, null);
    }
    const settled = await work.settleMassDelivery(deliveryId, confirmed);
    outcome.transactions += 1;
    outcome.completed += settled.completed;
    outcome.failed += settled.failed;
    outcome.paidUnits = (BigInt(outcome.paidUnits) + BigInt(settled.paidUnits)).toString();
  };

  const fail = async (failure: PayoutFailure) => {
    outcome.failed += await work.failUnsentChunkItems(input.massPayoutId, input.chunkIndex, failure);
  };

  if (input.mode === 'batch') {
    if (!stopped) {
      show('simulating and signing');
      const prepared = await prepareWhenFunded(() => simulation.prepareBatchChunk(input.massPayoutId, input.chunkIndex));
      if (prepared && !prepared.ok) await fail(prepared.failure);
      else if (prepared?.ok) {
        outcome.failed += prepared.splitOut;
        if (prepared.deliveryId) await deliver(prepared.deliveryId);
      }
    }
  } else {
    const seqs = await work.listChunkItems(input.massPayoutId, input.chunkIndex);
    for (const seq of seqs) {
      // Items before the one a previous run was waiting for were delivered by that run.
      if (input.resume?.fromSeq !== undefined && seq < input.resume.fromSeq) continue;
      if (stopped) break;
      show(`item ${seq}: simulating and signing`);
      const prepared = await prepareWhenFunded(() => simulation.prepareSingleItem(input.massPayoutId, seq), seq);
      if (!prepared) break;
      if (!prepared.ok) {
        await fail(prepared.failure);
        break;
      }
      outcome.failed += prepared.splitOut;
      if (prepared.deliveryId) await deliver(prepared.deliveryId);
    }
  }
  show(stopped ? 'stopped: the mass payout was canceled' : 'done');
  return outcome;
}
