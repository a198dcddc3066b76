/**
 * Issue 13, case 1: a payout that ended unpaid must never pay later. Its transfer was signed and stored (a
 * prepareTransfer attempt that timed out but committed), never sent, and the payout was then canceled and its
 * funds released. The next payout of the wallet waits behind that nonce, and the nonce-gap healer fills it.
 * It must fill it with a cancellation, not send the dead payout's transfer.
 */
import { type Address } from 'viem';
import { createActivities } from '../activities';
import { treasurySigner } from '../lib/runtime';
import { sameSignerEverywhere } from '../lib/signer';
import { api, newTreasury, randomAddress, setEthBalance, startEngine, waitForStatus, type Engine } from './support/harness';

let engine: Engine;
const { key, address: wallet } = newTreasury();
const headers = { 'X-Account-Id': `acct_orphan_${Date.now().toString(36)}`, 'X-Actor-Id': 'clerk' };

beforeAll(async () => {
  engine = await startEngine({ TREASURY_PRIVATE_KEY: key, CHAIN_POLL_INTERVAL_MS: '200', REBROADCAST_AFTER_MS: '1000' });
  await setEthBalance(engine, 'local', wallet, '20');
});
afterAll(async () => {
  await engine?.stop();
});

it('fills the nonce of a transfer whose payout was canceled with a cancellation: its recipient is never paid', async () => {
  const client = engine.chains.client('local');
  const orphanRecipient = randomAddress();
  // 6 ETH needs an approval under the default policy: the payout waits before anything is signed.
  const orphan = await api(engine, 'POST', '/v1/payouts', {
    headers,
    body: { amount: '6', asset: 'ETH', network: 'local', destination: orphanRecipient, purpose: 'will be canceled' },
  });
  expect(orphan.status).toBe(201);
  await waitForStatus(engine, orphan.body.id, ['pending_approval'], 30_000, headers);

  // A prepareTransfer attempt whose activity timed out but whose transaction committed: signed and stored, never sent.
  const activities = createActivities({
    db: engine.db,
    registry: engine.config.registry,
    chains: engine.chains,
    signers: sameSignerEverywhere(await treasurySigner({ TREASURY_PRIVATE_KEY: key })),
  });
  const prepared = await activities.prepareTransfer(orphan.body.id);
  expect(prepared).toMatchObject({ ok: true, nonce: '0' });

  // The payout then ends unpaid: canceled, its funds released.
  const cancel = await api(engine, 'POST', `/v1/payouts/${orphan.body.id}/cancel`, { headers });
  expect(cancel.status).toBe(200);
  expect((await waitForStatus(engine, orphan.body.id, ['canceled', 'failed', 'completed'], 30_000, headers)).status).toBe('canceled');

  // The next payout signs nonce 1 and waits behind nonce 0: the healer fills the gap.
  const nextRecipient = randomAddress();
  const next = await api(engine, 'POST', '/v1/payouts', {
    headers,
    body: { amount: '0.1', asset: 'ETH', network: 'local', destination: nextRecipient, purpose: 'next in line' },
  });
  expect(next.status).toBe(201);
  const done = await waitForStatus(engine, next.body.id, ['completed', 'failed', 'canceled'], 90_000, headers);
  expect(done.status).toBe('completed');

  expect(await client.getBalance({ address: orphanRecipient as Address })).toBe(0n);
  expect(await client.getBalance({ address: nextRecipient as Address })).toBe(100_000_000_000_000_000n);
  // Nonce 0 was consumed by a zero-value transaction to the wallet itself, recorded as the orphan's cancellation.
  const attempts = await engine.db.transactionAttempt.findMany({ where: { payoutId: orphan.body.id }, orderBy: { attempt: 'asc' } });
  const minedAttempt = await Promise.all(
    attempts.map((attempt) => client.getTransactionReceipt({ hash: attempt.txHash as `0x${string}` }).catch(() => null)),
  );
  const mined = attempts.filter((_, i) => minedAttempt[i]?.status === 'success');
  expect(mined.map((attempt) => attempt.kind)).toEqual(['cancel']);
  const cancellation = await client.getTransaction({ hash: mined[0]!.txHash as `0x${string}` });
  expect({ nonce: cancellation.nonce, to: cancellation.to?.toLowerCase(), value: cancellation.value }).toEqual({
    nonce: 0,
    to: wallet.toLowerCase(),
    value: 0n,
  });
  expect(await client.getTransactionCount({ address: wallet, blockTag: 'latest' })).toBe(2);
});
