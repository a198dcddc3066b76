/**
 * The payout workflow on the real Temporal dev server binary (TestWorkflowEnvironment.createLocal
 * with the existing executable), with the real activities against PostgreSQL and anvil.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { newPayoutId } from '../domain/ids';
import { payoutWorkflowId, type PayoutWorkflowInput } from '../domain/payout';
import { ChainClients } from '../lib/chain';
import { DEV_TREASURY_PRIVATE_KEY, loadConfig } from '../lib/config';
import { createDb, type Db } from '../lib/db';
import { localKeySigner } from '../lib/signer';
import { randomAddress } from '../test/support/harness';
import { approveSignal, approveUpdate, statusQuery } from './definitions';
import { payoutWorkflow } from './payout';
import { ALL_SEARCH_ATTRIBUTE_KEYS, payoutStatusKey } from './search-attributes';

const config = loadConfig();
let env: TestWorkflowEnvironment;
let db: Db;
let worker: Worker;
let running: Promise<void>;
const taskQueue = 'workflow-test';

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  if (!process.env.TEMPORAL_BIN) throw new Error('TEMPORAL_BIN is not set; run the tests with `npm test`');
  env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: process.env.TEMPORAL_BIN }, searchAttributes: ALL_SEARCH_ATTRIBUTE_KEYS },
  });
  db = createDb(config.databaseUrl);
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('./index'),
    activities: createActivities({ db, registry: config.registry, chains: new ChainClients(config.registry), signer: localKeySigner(DEV_TREASURY_PRIVATE_KEY) }),
  });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
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
      status: input.approvalsRequired > 0 ? 'pending_approval' : 'in_progress',
      approvalsRequired: input.approvalsRequired,
    },
  });
  return input;
}

function start(input: PayoutWorkflowInput) {
  return env.client.workflow.start(payoutWorkflow, {
    taskQueue,
    workflowId: payoutWorkflowId(input.payoutId),
    args: [input],
    typedSearchAttributes: [{ key: payoutStatusKey, value: input.approvalsRequired ? 'pending_approval' : 'in_progress' }],
  });
}

it('happy path: pays, records the chain result, and ends completed', async () => {
  const input = await newPayout({ amount: '2500000', asset: 'USDC' });
  const result = await (await start(input)).result();
  expect(result.status).toBe('completed');
  expect(result.chain?.confirmations).toBeGreaterThanOrEqual(2);
  const row = await db.payout.findUniqueOrThrow({ where: { id: input.payoutId } });
  expect(row).toMatchObject({ status: 'completed', txHash: result.chain!.txHash, statusSeq: result.statusSeq });
  const description = await env.client.workflow.getHandle(payoutWorkflowId(input.payoutId)).describe();
  expect(description.typedSearchAttributes.get(payoutStatusKey)).toBe('completed');
});

it('failure path: a treasury short of funds ends failed with the numbers, nothing signed or sent', async () => {
  const input = await newPayout({ amount: (10n ** 30n).toString(), asset: 'USDC' });
  const result = await (await start(input)).result();
  expect(result.status).toBe('failed');
  expect(result.failure?.code).toBe('insufficient_funds');
  expect(await db.chainTransaction.count({ where: { payoutId: input.payoutId } })).toBe(0);
  expect((await db.payout.findUniqueOrThrow({ where: { id: input.payoutId } })).failureReason).toMatch(/fund the treasury/);
});

it('approval gate: waits, ignores an invalid signal, refuses the creator, then proceeds on a valid approval', async () => {
  const input = await newPayout({ amount: '1000000', asset: 'USDC', approvalsRequired: 1 });
  const handle = await start(input);
  await handle.signal(approveSignal, { approver: 'alice' }); // the creator: ignored
  await handle.signal(approveSignal, {} as never); // malformed: ignored
  let state = await handle.query(statusQuery);
  expect(state).toMatchObject({ status: 'pending_approval', approvedBy: [] });
  expect(state.waitingFor).toMatch(/approval/);
  const refusal = await handle.executeUpdate(approveUpdate, { args: [{ approver: 'alice' }] }).catch((error) => error);
  expect(refusal).toBeInstanceOf(WorkflowUpdateFailedError);
  expect(refusal.cause).toMatchObject({ type: 'own_payout', message: expect.stringMatching(/another person/) });
  const answer = await handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob' }] });
  expect(answer).toEqual({ result: 'approved', approvedBy: ['bob'] });
  const result = await handle.result();
  expect(result.status).toBe('completed');
  state = await handle.query(statusQuery);
  expect(state.approvedBy).toEqual(['bob']);
});

it('expires an unapproved payout after the configured period', async () => {
  const input = await newPayout({ amount: '1000000', asset: 'USDC', approvalsRequired: 1, approvalTimeoutMs: 1_500 });
  const result = await (await start(input)).result();
  expect(result.status).toBe('expired');
  expect((await db.payout.findUniqueOrThrow({ where: { id: input.payoutId } })).status).toBe('expired');
});
