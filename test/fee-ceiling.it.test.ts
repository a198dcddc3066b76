/**
 * Issue 13, case 7: fee bumps stop at the network's ceiling. A stuck transfer is replaced with higher fees at most
 * MAX_FEE_BUMPS times (and never above MAX_FEE_PER_GAS_WEI); then the payout stays visibly stuck, with
 * NeedsAttention = "fee_ceiling" in Temporal and `attention` in the API, until the chain includes it. Mining is
 * paused on the real anvil to hold the transaction in the mempool.
 */
import { type Address } from 'viem';
import { needsAttentionKey } from '../workflows/search-attributes';
import { recordHistory } from './support/histories';
import { api, newTreasury, randomAddress, setEthBalance, startEngine, waitForStatus, type Engine } from './support/harness';

const { key, address: wallet } = newTreasury();
const headers = { 'X-Account-Id': `acct_ceiling_${Date.now().toString(36)}`, 'X-Actor-Id': 'clerk' };
let engine: Engine;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const anvil = (method: string, params: unknown[]) =>
  engine.chains.client('local').request({ method: method as never, params: params as never });

beforeAll(async () => {
  engine = await startEngine({
    TREASURY_PRIVATE_KEY: key,
    CHAIN_POLL_INTERVAL_MS: '200',
    REBROADCAST_AFTER_MS: '500',
    STUCK_AFTER_MS: '400',
    MAX_FEE_BUMPS: '3',
  });
  await setEthBalance(engine, 'local', wallet, '5');
});
afterAll(async () => {
  await anvil('evm_setIntervalMining', [1]).catch(() => undefined);
  await engine?.stop();
});

async function needsAttention(workflowId: string): Promise<unknown> {
  const description = await engine.temporal.workflow.getHandle(workflowId).describe();
  return description.searchAttributes[needsAttentionKey.name]?.[0] ?? '';
}

it('stops bumping at the ceiling and shows the payout as stuck on fee_ceiling until the chain includes it', async () => {
  const recipient = randomAddress();
  let payoutId: string | undefined;
  await anvil('evm_setIntervalMining', [0]);
  try {
    const created = await api(engine, 'POST', '/v1/payouts', {
      headers,
      body: { amount: '0.5', asset: 'ETH', network: 'local', destination: recipient, purpose: 'stuck at the ceiling' },
    });
    expect(created.status).toBe(201);
    payoutId = created.body.id;
    await waitForStatus(engine, payoutId!, ['processing'], 30_000, headers);

    // Time for a dozen bumps at one per 400 ms; only 3 are allowed.
    const deadline = Date.now() + 15_000;
    let payout = await waitForStatus(engine, payoutId!, ['processing'], 1_000, headers);
    while (payout.attention?.code !== 'fee_ceiling' && Date.now() < deadline) {
      await sleep(200);
      payout = await waitForStatus(engine, payoutId!, ['processing'], 1_000, headers);
    }
    expect(payout.attention).toEqual({ code: 'fee_ceiling', type: 'action_required' });
    await sleep(3_000);
    const attempts = await engine.db.transactionAttempt.findMany({ where: { payoutId }, orderBy: { attempt: 'asc' } });
    expect(attempts.map((attempt) => attempt.kind)).toEqual(['transfer', 'transfer', 'transfer', 'transfer']);
    expect(await needsAttention(payout.workflow_id)).toBe('fee_ceiling');
  } finally {
    await anvil('evm_setIntervalMining', [1]);
  }

  const done = await waitForStatus(engine, payoutId!, ['completed', 'failed', 'canceled'], 60_000, headers);
  expect(done.status).toBe('completed');
  expect(done.attention).toBeNull();
  // The read model turns completed inside the last activity; the workflow clears its search attribute when it ends.
  await engine.temporal.workflow.getHandle(done.workflow_id).result();
  expect(await needsAttention(done.workflow_id)).toBe('');
  await recordHistory(engine.temporal, done.workflow_id, 'fee-ceiling');
  expect(await engine.chains.client('local').getBalance({ address: recipient as Address })).toBe(500_000_000_000_000_000n);
}, 120_000);
