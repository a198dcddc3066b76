import type { Db } from '../../lib/db';
import { verdictWatch, type VerdictRow } from './verdict-watch';

/** A chain_transactions table of its own rows, counting the reads the watch makes. */
function fakeDb(rows: Map<string, VerdictRow>) {
  const reads: string[][] = [];
  const db = {
    chainTransaction: {
      findMany: async ({ where }: { where: { payoutId: { in: string[] } } }) => {
        reads.push([...where.payoutId.in].sort());
        return where.payoutId.in.flatMap((id) => (rows.has(id) ? [{ ...rows.get(id)! }] : []));
      },
    },
  } as unknown as Db;
  return { db, reads };
}
const row = (payoutId: string, state: string): VerdictRow => ({ payoutId, state, feeCeilingReason: null, nonceConflictAt: null });
const final = (r: VerdictRow) => r.state === 'mined';

it('wakes each waiter when its row shows news, reading every waited row in one query per poll', async () => {
  const rows = new Map([
    ['po_a', row('po_a', 'broadcast')],
    ['po_b', row('po_b', 'broadcast')],
  ]);
  const { db, reads } = fakeDb(rows);
  const watch = verdictWatch(db, 10);
  let aDone = false;
  const a = watch.wait('po_a', final, 10_000).then(() => (aDone = true));
  const b = watch.wait('po_b', final, 10_000);
  await new Promise((resolve) => setTimeout(resolve, 35));
  expect(aDone).toBe(false);
  expect(reads.every((ids) => ids.join() === 'po_a,po_b')).toBe(true);

  rows.set('po_a', row('po_a', 'mined'));
  await a;
  expect(watch.waiting()).toBe(1);
  rows.set('po_b', row('po_b', 'mined'));
  await b;
  expect(watch.waiting()).toBe(0);
});

it('gives up after maxMs without news, so the caller can heartbeat and read for itself', async () => {
  const { db } = fakeDb(new Map([['po_c', row('po_c', 'signed')]]));
  const watch = verdictWatch(db, 10);
  const started = Date.now();
  await watch.wait('po_c', final, 60);
  expect(Date.now() - started).toBeGreaterThanOrEqual(55);
  expect(watch.waiting()).toBe(0);
});
