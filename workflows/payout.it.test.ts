/**
 * The payout workflow on the real Temporal dev server binary (TestWorkflowEnvironment.createLocal
 * with the existing executable), with the real activities against PostgreSQL and anvil.
 * Expiry paths use short configured durations instead of waiting 30 days.
 * RECORD_HISTORIES=1 saves each scenario's history to workflows/histories/ for the replay test.
 */
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { createPublicClient, http } from 'viem';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { startWalletOwners, type WalletOwners } from '../activities/delivery/wallet-owner';
import { newPayoutId } from '../domain/ids';
import { payoutWorkflowId, type PayoutState, type PayoutWorkflowInput } from '../domain/payout';
import { ChainClients } from '../lib/chain';
import { DEV_TREASURY_PRIVATE_KEY, loadConfig } from '../lib/config';
import { createDb, type Db } from '../lib/db';
import { localKeySigner, sameSignerEverywhere } from '../lib/signer';
import { randomAddress } from '../test/support/harness';
import { recordHistory } from '../test/support/histories';
import {
  approveSignal,
  approveUpdate,
  cancelSignal,
  cancelUpdate,
  confirmConversionSignal,
  confirmConversionUpdate,
  rejectUpdate,
  statusQuery,
} from './definitions';
import { payoutWorkflow } from './payout';
import { ALL_SEARCH_ATTRIBUTE_KEYS, needsAttentionKey, payoutStatusKey } from './search-attributes';

const config = loadConfig();
let env: TestWorkflowEnvironment;
let db: Db;
let worker: Worker;
let running: Promise<void>;
let owners: WalletOwners;
const chains = new ChainClients(config.registry);
const taskQueue = 'workflow-test';

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  if (!process.env.TEMPORAL_BIN) throw new Error('TEMPORAL_BIN is not set; run the tests with `npm test`');
  env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: process.env.TEMPORAL_BIN }, searchAttributes: ALL_SEARCH_ATTRIBUTE_KEYS },
  });
  db = createDb(config.databaseUrl);
  const deps = {
    db,
    registry: config.registry,
    chains,
    signers: sameSignerEverywhere(localKeySigner(DEV_TREASURY_PRIVATE_KEY)),
  };
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('./index'),
    activities: createActivities(deps),
  });
  running = worker.run();
  // After signing, the wallet's owner sends, bumps and decides finality; the workflow reads what it decided.
  owners = startWalletOwners({ ...deps, leaseMs: config.walletLeaseMs, log: () => undefined });
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await owners?.stop();
  await db?.$disconnect();
  await env?.teardown();
});

/** What the API does before starting a workflow: the read-model row, then the input. */
async function newPayout(overrides: Partial<PayoutWorkflowInput> & { amount: string; asset: string }): Promise<PayoutWorkflowInput> {
  const payoutId = newPayoutId();
  const input: PayoutWorkflowInput = {
    payoutId,
    accountId: 'acct_workflow_test',
    assetDecimals: overrides.asset === 'USDC' ? 6 : 18,
    network: 'local',
    destination: randomAddress(),
    purpose: 'workflow test',
    createdBy: 'alice',
    approvalsRequired: 0,
    approvalTimeoutMs: 60_000,
    ...overrides,
  };
  await db.payout.create({
    data: {
      id: payoutId,
      accountId: input.accountId,
      idempotencyKey: `wf-${payoutId}`,
      workflowId: payoutWorkflowId(payoutId),
      amount: input.amount,
      asset: input.asset,
      network: input.network,
      destination: input.destination,
      purpose: input.purpose,
      createdBy: input.createdBy,
      status: input.conversion ? 'awaiting_conversion' : input.approvalsRequired > 0 ? 'pending_approval' : 'in_progress',
      approvalsRequired: input.approvalsRequired,
      quoteExpiresAt: input.conversion ? new Date(input.conversion.expiresAt) : null,
    },
  });
  return input;
}

function start(input: PayoutWorkflowInput) {
  return env.client.workflow.start(payoutWorkflow, {
    taskQueue,
    workflowId: payoutWorkflowId(input.payoutId),
    args: [input],
    typedSearchAttributes: [{ key: payoutStatusKey, value: 'in_progress' }],
  });
}

async function finished(name: string, handle: WorkflowHandle<typeof payoutWorkflow>) {
  const result = await handle.result();
  await recordHistory(env.client, handle.workflowId, name);
  return result;
}

async function until(handle: WorkflowHandle<typeof payoutWorkflow>, predicate: (state: PayoutState) => boolean) {
  for (let i = 0; i < 200; i++) {
    const state = await handle.query(statusQuery);
    if (predicate(state)) return state;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('state never matched');
}

const reservation = (payoutId: string) => db.fundReservation.findUnique({ where: { payoutId } });
const refusalOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error) => {
      expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
      return error.cause as { type: string; message: string };
    },
  );
const soon = () => new Date(Date.now() + 60_000).toISOString();

it('happy path: pays, records the chain result, ends completed', async () => {
  const input = await newPayout({ amount: '2500000', asset: 'USDC' });
  const handle = await start(input);
  const result = await finished('happy-path', handle);
  expect(result.status).toBe('completed');
  expect(result.chain?.confirmations).toBeGreaterThanOrEqual(2);
  const row = await db.payout.findUniqueOrThrow({ where: { id: input.payoutId } });
  expect(row).toMatchObject({ status: 'completed', txHash: result.chain!.txHash, statusSeq: result.statusSeq });
  expect((await reservation(input.payoutId))?.state).toBe('consumed');
  const description = await handle.describe();
  expect(description.typedSearchAttributes.get(payoutStatusKey)).toBe('completed');
  // Each status record rides with its step: reserve, sign, broadcast, and the wait that settles and completes; the
  // destination is screened again right before signing (lists change between creation and signing).
  const { events } = await handle.fetchHistory();
  const activities = events!
    .filter((event) => event.activityTaskScheduledEventAttributes)
    .map((event) => event.activityTaskScheduledEventAttributes!.activityType!.name);
  expect(activities).toEqual(['recordAndReserve', 'screenBeforeSigning', 'prepareTransfer', 'broadcastAndRecord', 'confirmAndComplete']);
  const statuses = await db.payoutEvent.findMany({ where: { payoutId: input.payoutId }, orderBy: { seq: 'asc' } });
  expect(statuses.map((event) => [event.seq, event.fromStatus, event.toStatus])).toEqual([
    [1, null, 'in_progress'],
    [2, 'in_progress', 'processing'],
    [3, 'processing', 'completed'],
  ]);
  // The gas posted is the fee the wallet owner stored with its verdict, which the receipt confirms.
  const chainTx = await db.chainTransaction.findUniqueOrThrow({ where: { payoutId: input.payoutId } });
  const receipt = await chains.client('local').getTransactionReceipt({ hash: chainTx.minedTxHash as `0x${string}` });
  const gas = await db.posting.findMany({ where: { entryId: `payout:${input.payoutId}:gas` }, select: { amount: true } });
  expect(gas.map((posting) => BigInt(posting.amount.toFixed())).sort()).toEqual(
    [-(receipt.gasUsed * receipt.effectiveGasPrice), receipt.gasUsed * receipt.effectiveGasPrice].sort(),
  );
  expect(chainTx.networkFee?.toFixed()).toBe((receipt.gasUsed * receipt.effectiveGasPrice).toString());
});

it('failure path: a treasury short of funds waits visibly, then fails when not funded in time; nothing signed or sent', async () => {
  const input = await newPayout({ amount: (10n ** 30n).toString(), asset: 'USDC', fundingTimeoutMs: 2_000, fundingRetryMs: 300 });
  const handle = await start(input);
  // attention is set before the activity that records it, waitingFor after: wait for both.
  const waiting = await until(handle, (s) => s.attention !== undefined && s.waitingFor.startsWith('treasury funding'));
  expect(waiting).toMatchObject({ status: 'in_progress', attention: { code: 'insufficient_funds' } });
  expect(waiting.waitingFor).toMatch(/treasury funding/);
  // The query shows it first; the read model and the search attribute follow within the same workflow task.
  for (let i = 0; i < 50 && (await db.payout.findUniqueOrThrow({ where: { id: input.payoutId } })).attention === null; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect((await db.payout.findUniqueOrThrow({ where: { id: input.payoutId } })).attention).toBe('insufficient_funds');
  expect((await handle.describe()).typedSearchAttributes.get(needsAttentionKey)).toBe('insufficient_funds');
  const result = await finished('funding-timeout', handle);
  expect(result.status).toBe('failed');
  expect(result.failure?.code).toBe('funding_timeout');
  expect(await db.chainTransaction.count({ where: { payoutId: input.payoutId } })).toBe(0);
  expect((await db.payout.findUniqueOrThrow({ where: { id: input.payoutId } })).failureReason).toMatch(/fund the treasury/);
});

it('approval: holds funds, ignores invalid signals, refuses the creator and repeats, needs two distinct approvers', async () => {
  const input = await newPayout({ amount: '1000000', asset: 'USDC', approvalsRequired: 2 });
  const handle = await start(input);
  await handle.signal(approveSignal, { approver: 'alice' }); // the creator: ignored
  await handle.signal(approveSignal, {} as never); // malformed: ignored
  let state = await until(handle, (s) => s.waitingFor.includes('approval'));
  expect(state).toMatchObject({ status: 'pending_approval', approvedBy: [], availableActions: ['approve', 'reject', 'cancel'] });
  expect((await reservation(input.payoutId))?.state).toBe('held');

  expect(await refusalOf(handle.executeUpdate(approveUpdate, { args: [{ approver: 'alice' }] }))).toMatchObject({ type: 'own_payout' });
  expect(await handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob' }] })).toEqual({
    result: 'needs_more_approvals',
    approvedBy: ['bob'],
    remaining: 1,
  });
  expect(await refusalOf(handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob' }] }))).toMatchObject({ type: 'already_approved' });
  await handle.signal(approveSignal, { approver: 'carol' });
  const result = await finished('two-approvals', handle);
  expect(result.status).toBe('completed');
  state = await handle.query(statusQuery);
  expect(state.approvedBy).toEqual(['bob', 'carol']);
  // A finished workflow takes no more updates.
  await expect(handle.executeUpdate(approveUpdate, { args: [{ approver: 'dave' }] })).rejects.toThrow();
});

it('reject: an approver rejects, the payout ends canceled and its funds are released', async () => {
  const input = await newPayout({ amount: '1000000', asset: 'USDC', approvalsRequired: 1 });
  const handle = await start(input);
  await until(handle, (s) => s.waitingFor.includes('approval'));
  expect(await refusalOf(handle.executeUpdate(rejectUpdate, { args: [{ approver: 'alice' }] }))).toMatchObject({ type: 'own_payout' });
  expect(await handle.executeUpdate(rejectUpdate, { args: [{ approver: 'bob', reason: 'duplicate invoice' }] })).toEqual({
    result: 'rejected',
  });
  const result = await finished('rejected', handle);
  expect(result).toMatchObject({ status: 'canceled', failure: { code: 'rejected', reason: 'rejected by bob: duplicate invoice' } });
  expect((await reservation(input.payoutId))?.state).toBe('released');
});

it('cancel while pending approval (UI signal) releases the reservation', async () => {
  const input = await newPayout({ amount: '1000000', asset: 'USDC', approvalsRequired: 1 });
  const handle = await start(input);
  await until(handle, (s) => s.waitingFor.includes('approval'));
  await handle.signal(cancelSignal, { requestedBy: 'ops' });
  const result = await finished('canceled-pending-approval', handle);
  expect(result).toMatchObject({ status: 'canceled', failure: { code: 'canceled', reason: 'canceled by ops' } });
  expect((await reservation(input.payoutId))?.state).toBe('released');
  expect((await db.payout.findUniqueOrThrow({ where: { id: input.payoutId } })).status).toBe('canceled');
});

it('expires an unapproved payout after the configured period and releases its funds', async () => {
  const input = await newPayout({ amount: '1000000', asset: 'USDC', approvalsRequired: 1, approvalTimeoutMs: 1_500 });
  const result = await finished('approval-expired', await start(input));
  expect(result).toMatchObject({ status: 'expired', failure: { code: 'approval_expired' } });
  expect((await reservation(input.payoutId))?.state).toBe('released');
  expect((await db.payout.findUniqueOrThrow({ where: { id: input.payoutId } })).status).toBe('expired');
});

it('conversion confirmed: waits in awaiting_conversion, then proceeds with the locked quote', async () => {
  const input = await newPayout({ amount: '1000000', asset: 'USDC', conversion: { description: '1 EUR -> 1 USDC', expiresAt: soon() } });
  const handle = await start(input);
  const state = await until(handle, (s) => s.status === 'awaiting_conversion' && s.waitingFor.includes('quote'));
  expect(state.availableActions).toEqual(['confirm_conversion', 'cancel']);
  expect(await refusalOf(handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob' }] }))).toMatchObject({
    type: 'not_awaiting_approval',
  });
  expect(await handle.executeUpdate(confirmConversionUpdate, { args: [{ confirmedBy: 'alice' }] })).toEqual({ result: 'confirmed' });
  const result = await finished('conversion-confirmed', handle);
  expect(result.status).toBe('completed');
  expect(result.conversion?.confirmedBy).toBe('alice');
  const events = await db.payoutEvent.findMany({ where: { payoutId: input.payoutId }, orderBy: { seq: 'asc' } });
  expect(events.map((event) => event.toStatus)).toEqual(['awaiting_conversion', 'in_progress', 'processing', 'completed']);
});

it('conversion then approval: confirm by signal, then approve', async () => {
  const input = await newPayout({
    amount: '1000000',
    asset: 'USDC',
    approvalsRequired: 1,
    conversion: { description: 'q', expiresAt: soon() },
  });
  const handle = await start(input);
  await until(handle, (s) => s.waitingFor.includes('quote'));
  await handle.signal(confirmConversionSignal, { confirmedBy: 'alice' });
  await until(handle, (s) => s.status === 'pending_approval');
  await handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob' }] });
  const result = await finished('conversion-then-approval', handle);
  expect(result.status).toBe('completed');
  const events = await db.payoutEvent.findMany({ where: { payoutId: input.payoutId }, orderBy: { seq: 'asc' } });
  expect(events.map((event) => event.toStatus)).toEqual([
    'awaiting_conversion',
    'pending_approval',
    'in_progress',
    'processing',
    'completed',
  ]);
});

it('conversion canceled: ends canceled, nothing reserved', async () => {
  const input = await newPayout({ amount: '1000000', asset: 'USDC', conversion: { description: 'q', expiresAt: soon() } });
  const handle = await start(input);
  await until(handle, (s) => s.waitingFor.includes('quote'));
  expect(await handle.executeUpdate(cancelUpdate, { args: [{ requestedBy: 'alice', reason: 'rate too low' }] })).toEqual({
    result: 'canceled',
  });
  const result = await finished('conversion-canceled', handle);
  expect(result).toMatchObject({ status: 'canceled', failure: { reason: 'canceled by alice: rate too low' } });
  expect(await reservation(input.payoutId)).toBeNull();
  await expect(handle.executeUpdate(confirmConversionUpdate, { args: [{ confirmedBy: 'alice' }] })).rejects.toThrow();
});

it('conversion expires when nobody confirms within the quote lifetime', async () => {
  const input = await newPayout({
    amount: '1000000',
    asset: 'USDC',
    conversion: { description: 'q', expiresAt: new Date(Date.now() + 1_500).toISOString() },
  });
  const result = await finished('conversion-expired', await start(input));
  expect(result).toMatchObject({ status: 'expired', failure: { code: 'quote_expired' } });
  expect(await reservation(input.payoutId)).toBeNull();
});

it('cancel after broadcast: a same-nonce replacement; canceled only once the chain keeps it', async () => {
  const rpc = createPublicClient({ transport: http(config.registry.network('local').rpcUrls[0]) });
  const mining = (seconds: number) => rpc.request({ method: 'evm_setIntervalMining' as never, params: [seconds] as never });
  await mining(0);
  try {
    const input = await newPayout({ amount: '1000000', asset: 'USDC' });
    const handle = await start(input);
    await until(handle, (s) => s.status === 'processing');
    const answer = await handle.executeUpdate(cancelUpdate, { args: [{ requestedBy: 'ops', reason: 'typo' }] });
    expect(answer).toMatchObject({ result: 'cancel_requested', replacementTxHash: expect.stringMatching(/^0x/) });
    expect((await handle.query(statusQuery)).status).toBe('processing');
    await mining(1);
    const result = await finished('canceled-by-replacement', handle);
    expect(result).toMatchObject({ status: 'canceled', failure: { code: 'canceled' } });
    expect(result.chain?.txHash).toBe((answer as { replacementTxHash: string }).replacementTxHash);
  } finally {
    await mining(1);
  }
});
