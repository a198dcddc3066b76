/**
 * Every status transition against the real read model: each allowed one applies (with its
 * event and outbox message), each forbidden one is refused and changes nothing; late and
 * duplicate writes never move a payout backwards.
 */
import { createActivities } from '../activities';
import { newPayoutId } from '../domain/ids';
import { ALLOWED_TRANSITIONS, PAYOUT_STATUSES, type PayoutStatus } from '../domain/statuses';
import { ChainClients } from '../lib/chain';
import { DEV_TREASURY_PRIVATE_KEY, loadConfig } from '../lib/config';
import { createDb } from '../lib/db';
import { localKeySigner, sameSignerEverywhere } from '../lib/signer';

const config = loadConfig();
const db = createDb(config.databaseUrl);
const { recordPayoutState } = createActivities({
  db,
  registry: config.registry,
  chains: new ChainClients(config.registry),
  signers: sameSignerEverywhere(localKeySigner(DEV_TREASURY_PRIVATE_KEY)),
});

afterAll(() => db.$disconnect());

async function payoutIn(status: PayoutStatus, seq = 5) {
  const id = newPayoutId();
  await db.payout.create({
    data: {
      id,
      accountId: 'acct_transitions',
      idempotencyKey: id,
      workflowId: `payout-${id}`,
      amount: '1',
      asset: 'USDC',
      network: 'local',
      destination: '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
      purpose: 'transition test',
      createdBy: 'test',
      status,
      statusSeq: seq,
    },
  });
  return id;
}

const snapshot = async (id: string) => ({
  row: await db.payout.findUniqueOrThrow({ where: { id }, select: { status: true, statusSeq: true, updatedAt: true } }),
  events: await db.payoutEvent.count({ where: { payoutId: id } }),
  outbox: await db.outboxEvent.count({ where: { aggregateId: id } }),
});

const pairs = PAYOUT_STATUSES.flatMap((from) => PAYOUT_STATUSES.map((to) => [from, to] as const));
const allowed = pairs.filter(([from, to]) => ALLOWED_TRANSITIONS[from].includes(to));
const forbidden = pairs.filter(([from, to]) => !ALLOWED_TRANSITIONS[from].includes(to));

it.each(allowed)('allowed: %s -> %s applies once, with its event and outbox message', async (from, to) => {
  const id = await payoutIn(from);
  const update = { payoutId: id, seq: 6, from, to, at: new Date().toISOString(), approvedBy: [] };
  await recordPayoutState(update);
  await recordPayoutState(update); // a retried activity: no second event
  const after = await snapshot(id);
  expect(after).toMatchObject({ row: { status: to, statusSeq: 6 }, events: 1, outbox: 1 });
});

it.each(forbidden)('forbidden: %s -> %s is refused and changes nothing', async (from, to) => {
  const id = await payoutIn(from);
  const before = await snapshot(id);
  await expect(recordPayoutState({ payoutId: id, seq: 6, from, to, at: new Date().toISOString(), approvedBy: [] })).rejects.toThrow(
    /forbidden transition/,
  );
  expect(await snapshot(id)).toEqual(before);
});

it('ignores a late write (lower seq) and a write whose from-status is stale', async () => {
  const id = await payoutIn('processing', 7);
  const before = await snapshot(id);
  await recordPayoutState({ payoutId: id, seq: 6, from: 'in_progress', to: 'processing', at: new Date().toISOString(), approvedBy: [] });
  await recordPayoutState({ payoutId: id, seq: 8, from: 'in_progress', to: 'failed', at: new Date().toISOString(), approvedBy: [] });
  expect(await snapshot(id)).toEqual(before);
});

it('the database refuses a status outside the vocabulary', async () => {
  await expect(payoutIn('paid' as PayoutStatus)).rejects.toThrow();
});

it('stores a reason with a NUL character (typed into a Temporal UI signal) instead of failing forever', async () => {
  const id = await payoutIn('pending_approval');
  await recordPayoutState({
    payoutId: id,
    seq: 6,
    from: 'pending_approval',
    to: 'canceled',
    at: new Date().toISOString(),
    approvedBy: ['ops\u0000'],
    failure: { code: 'rejected', reason: 'rejected by ops: dup\u0000licate' },
  });
  const row = await db.payout.findUniqueOrThrow({ where: { id } });
  expect(row).toMatchObject({ status: 'canceled', failureReason: 'rejected by ops: dup\ufffdlicate', approvedBy: ['ops\ufffd'] });
});
