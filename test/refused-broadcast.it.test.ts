/**
 * Issue 13, case 2: a node that refuses a transaction ("exceeds block gas limit", "intrinsic gas too low", a fee cap)
 * must not stall the wallet. The refused transfer's nonce is filled with a same-nonce cancellation, that one payout
 * fails with the node's reason once the cancellation is final, its funds are released, and the payouts behind it
 * are paid. The proxy plays the refusing node for sends to one recipient; everything else is the real stack.
 */
import { type Address } from 'viem';
import { recordHistory } from './support/histories';
import { startRpcProxy, type RpcProxy } from './support/rpc-proxy';
import { api, newTreasury, randomAddress, setEthBalance, startEngine, waitForStatus, type Engine } from './support/harness';

const upstream = process.env.LOCAL_RPC_URLS!.split(',')[0]!;
const { key, address: wallet } = newTreasury();
const headers = { 'X-Account-Id': `acct_refused_${Date.now().toString(36)}`, 'X-Actor-Id': 'clerk' };
let proxy: RpcProxy;
let engine: Engine;

beforeAll(async () => {
  proxy = await startRpcProxy({ upstream, seed: 2 });
  engine = await startEngine({
    TREASURY_PRIVATE_KEY: key,
    LOCAL_RPC_URLS: proxy.url,
    CHAIN_POLL_INTERVAL_MS: '200',
    REBROADCAST_AFTER_MS: '500',
    STUCK_AFTER_MS: '2000',
  });
  await setEthBalance(engine, 'local', wallet, '5');
});
afterAll(async () => {
  await engine?.stop();
  await proxy?.stop();
});

const create = (destination: Address, amount: string) =>
  api(engine, 'POST', '/v1/payouts', {
    headers,
    body: { amount, asset: 'ETH', network: 'local', destination, purpose: 'refused broadcast' },
  });

it('a refused transfer fails only its own payout, with the node reason; its nonce is filled and the next payouts are paid', async () => {
  const client = engine.chains.client('local');
  const refusedRecipient = randomAddress();
  const nextRecipients = [randomAddress(), randomAddress()];
  proxy.setFaults({ refuseSendsTo: [refusedRecipient], refusalMessage: 'exceeds block gas limit' });

  const refused = await create(refusedRecipient, '0.5');
  expect(refused.status).toBe(201);
  // Signed at nonce 0; the payouts after it get nonces 1 and 2 and wait behind it.
  while (!(await engine.db.chainTransaction.findUnique({ where: { payoutId: refused.body.id } })))
    await new Promise((resolve) => setTimeout(resolve, 100));
  const next = await Promise.all(nextRecipients.map((recipient) => create(recipient, '0.25')));

  const failed = await waitForStatus(engine, refused.body.id, ['failed', 'completed', 'canceled'], 60_000, headers);
  expect(failed.status).toBe('failed');
  expect(failed.failure.code).toBe('broadcast_refused');
  expect(failed.failure.reason).toContain('exceeds block gas limit');
  await recordHistory(engine.temporal, failed.workflow_id, 'broadcast-refused');
  for (const payout of next) {
    expect((await waitForStatus(engine, payout.body.id, ['completed', 'failed', 'canceled'], 60_000, headers)).status).toBe('completed');
  }

  expect(await client.getBalance({ address: refusedRecipient })).toBe(0n);
  for (const recipient of nextRecipients) expect(await client.getBalance({ address: recipient })).toBe(250_000_000_000_000_000n);
  // Every nonce the engine signed was consumed: the refused one by its cancellation.
  const stored = await engine.db.chainTransaction.findMany({ where: { fromAddress: wallet } });
  expect(stored).toHaveLength(3);
  expect(await client.getTransactionCount({ address: wallet, blockTag: 'latest' })).toBe(3);
  const attempts = await engine.db.transactionAttempt.findMany({ where: { payoutId: refused.body.id }, orderBy: { attempt: 'asc' } });
  expect(attempts.map((attempt) => attempt.kind)).toEqual(['transfer', 'cancel']);
  const kept = await engine.db.chainTransaction.findUniqueOrThrow({ where: { payoutId: refused.body.id } });
  expect(kept.minedTxHash).toBe(attempts[1]!.txHash);
  // Its funds went back: nothing of it is held.
  const reservation = await engine.db.fundReservation.findUnique({ where: { payoutId: refused.body.id } });
  expect(reservation?.state).toBe('released');
}, 150_000);
