/**
 * Issue 13: a mass payout's chunk gets the same nonce-conflict rule as a single payout. A lagging node behind a load
 * balancer (the proxy answers `null` to transaction and receipt lookups while the nonce count comes from the up-to-date
 * node) makes the chunk's mined BatchTransfer look like someone else's transaction. Its items must not be failed and
 * the batch's funds must stay held: the chunk waits, NeedsAttention = "nonce_conflict", and completes once the node
 * catches up. Before the fix its items were failed as nonce_conflict (and their funds released) although paid.
 */
import { batchDeliveryId, massChunkWorkflowId, massReservationKey } from '../domain/mass-payout';
import { needsAttentionKey } from '../workflows/search-attributes';
import { recordHistory } from './support/histories';
import { startRpcProxy, type RpcProxy } from './support/rpc-proxy';
import { api, balances, mintUsdc, newTreasury, randomAddress, setEthBalance, startEngine, type Engine } from './support/harness';

const upstream = process.env.LOCAL_RPC_URLS!.split(',')[0]!;
const { key, address: wallet } = newTreasury();
const headers = { 'X-Account-Id': `acct_mass_conflict_${Date.now().toString(36)}`, 'X-Actor-Id': 'payroll' };
const TERMINAL = ['completed', 'partially_completed', 'failed', 'canceled', 'expired'];
let proxy: RpcProxy;
let engine: Engine;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  proxy = await startRpcProxy({ upstream, seed: 17 });
  engine = await startEngine({
    TREASURY_PRIVATE_KEY: key,
    LOCAL_RPC_URLS: proxy.url,
    CHAIN_POLL_INTERVAL_MS: '200',
    REBROADCAST_AFTER_MS: '500',
  });
  await setEthBalance(engine, 'local', wallet, '5');
  await mintUsdc(engine, wallet, 10_000_000n);
});
afterAll(async () => {
  proxy?.clearFaults();
  await engine?.stop();
  await proxy?.stop();
});

async function chunkAttention(massPayoutId: string): Promise<unknown> {
  const description = await engine.temporal.workflow.getHandle(massChunkWorkflowId(massPayoutId, 0)).describe();
  return description.searchAttributes[needsAttentionKey.name]?.[0] ?? '';
}

it('a lagging node that cannot find the mined batch never fails its items; they complete once the node catches up', async () => {
  const recipients = [randomAddress(), randomAddress(), randomAddress()];
  const created = await api(engine, 'POST', '/v1/mass-payouts', {
    headers,
    body: {
      network: 'local',
      asset: 'USDC',
      purpose: 'lagging node under a batch',
      items: recipients.map((address, index) => ({ address, amount: '1.5', reference: `r${index}` })),
    },
  });
  expect(created.status).toBe(201);
  const massPayoutId: string = created.body.id;
  const deliveryId = batchDeliveryId(massPayoutId, 0);

  // Once the chunk's transaction is sent, the node behind the balancer forgets every transaction it is asked about.
  for (let i = 0; ; i++) {
    const row = await engine.db.chainTransaction.findUnique({ where: { payoutId: deliveryId } });
    if (row?.state === 'broadcast') break;
    if (i > 600) throw new Error(`the chunk's delivery ${deliveryId} was never broadcast (state ${row?.state})`);
    await sleep(100);
  }
  proxy.setFaults({ forgetTransactions: true });
  try {
    // The nonce is used at final depth and no lookup finds ours: after three checks the owner reports a conflict,
    // and the chunk waits for a person instead of failing its items.
    const failedItems = async () =>
      (await engine.db.massPayoutItem.findMany({ where: { massPayoutId, status: 'failed' } })).map((item) => item.failureCode);
    for (let i = 0; (await chunkAttention(massPayoutId)) !== 'nonce_conflict'; i++) {
      expect(await failedItems()).toEqual([]);
      if (i > 300) throw new Error('the chunk never showed NeedsAttention = nonce_conflict');
      await sleep(100);
    }
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      const batch = (await api(engine, 'GET', `/v1/mass-payouts/${massPayoutId}`, { headers })).body;
      expect(TERMINAL).not.toContain(batch.status);
      expect(batch.attention).toMatchObject({ code: 'nonce_conflict' });
      await sleep(250);
    }
    expect(await failedItems()).toEqual([]);
    expect((await engine.db.fundReservation.findUniqueOrThrow({ where: { payoutId: massReservationKey(massPayoutId) } })).state).toBe(
      'held',
    );
  } finally {
    proxy.clearFaults();
  }

  let batch = (await api(engine, 'GET', `/v1/mass-payouts/${massPayoutId}`, { headers })).body;
  for (let i = 0; !TERMINAL.includes(batch.status) && i < 600; i++) {
    await sleep(100);
    batch = (await api(engine, 'GET', `/v1/mass-payouts/${massPayoutId}`, { headers })).body;
  }
  expect(batch.status).toBe('completed');
  expect(batch.attention).toBeNull();
  expect(await chunkAttention(massPayoutId)).toBe('');
  for (const recipient of recipients) expect((await balances(engine, 'local', recipient)).usdc).toBe(1_500_000n);
  await recordHistory(engine.temporal, massChunkWorkflowId(massPayoutId, 0), 'mass-payout-chunk-nonce-conflict-lagging-node');
}, 180_000);
