/**
 * The reconciler and the exports on mass payouts, with a treasury of the test's own, against the real chain,
 * PostgreSQL and Temporal. Real mass payouts through the API (a 1,000-item USDC batch in BatchTransfer chunks with
 * one recipient blocked by the token, an ETH batch, single transfers on local-l2 where no BatchTransfer exists)
 * reconcile to zero exceptions; then items of new batches are tampered with in the database and each tampering is
 * one batch_item_mismatch naming the item, with evidence and an outbox event, never opened twice; the item export
 * carries batch_id, seq and reference, shares gas exactly and escapes CSV.
 */
import { parseEther, type Address } from 'viem';
import { exceptionSchema } from '../api/reconciliation/schemas';
import { massPayoutItemExportRowSchema, MASS_PAYOUT_ITEM_EXPORT_COLUMNS } from '../api/exports/schemas';
import { formatAmount } from '../domain/money';
import { loadDeliveryFacts } from '../lib/reconciliation/mass-facts';
import { checkDelivery } from '../lib/reconciliation/mass-match';
import { safeHead } from '../domain/networks';
import { api, blockOnToken, mintUsdc, newTreasury, randomAddress, setEthBalance, startEngine, type Engine } from './support/harness';
import { parseCsv } from './support/csv';

jest.setTimeout(600_000);

let engine: Engine;
const { key: treasuryKey, address: wallet } = newTreasury();
const owner = wallet.toLowerCase();
const account = `acct_recon_mass_${Date.now().toString(36)}`;
const headers = { 'X-Account-Id': account, 'X-Actor-Id': 'controller' };
const SETTLE_MS = 500;
const TERMINAL = ['completed', 'partially_completed', 'failed', 'canceled', 'expired'];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const post = (path: string, body: unknown) => api(engine, 'POST', path, { body, headers });
const get = (path: string, extra: Record<string, string> = {}) => api(engine, 'GET', path, { headers: { ...headers, ...extra } });

interface Item {
  address: Address;
  units: bigint;
  reference?: string;
  memo?: string;
}

async function createMassPayout(network: string, asset: string, decimals: number, items: Item[]): Promise<string> {
  const body = {
    network,
    asset,
    purpose: 'reconciliation of mass payouts',
    items: items.map((item) => ({
      address: item.address,
      amount: formatAmount(item.units, decimals),
      ...(item.reference ? { reference: item.reference } : {}),
      ...(item.memo ? { memo: item.memo } : {}),
    })),
  };
  const created = await post('/v1/mass-payouts', body);
  expect(created.status).toBe(201);
  return created.body.id;
}

async function waitForMassPayout(id: string, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const response = await get(`/v1/mass-payouts/${id}`);
    last = response.body;
    if (response.status === 200 && TERMINAL.includes(response.body.status)) return response.body;
    await sleep(500);
  }
  throw new Error(`mass payout ${id} not final after ${timeoutMs} ms; last ${JSON.stringify(last)}`);
}

/** Waits until every block mined so far on `network` has its confirmations: the reconciler judges them now. */
async function allFinal(network: string): Promise<void> {
  const client = engine.chains.client(network);
  const now = await client.getBlockNumber();
  while ((await client.getBlockNumber()) < now + BigInt(engine.config.registry.network(network).confirmations)) await sleep(250);
}

/** Starts a run through the API, waits for it, and returns its summaries of this treasury by network. */
async function reconcile() {
  await sleep(SETTLE_MS * 2); // changes younger than RECONCILE_SETTLE_MS wait for the next run
  const started = await post('/v1/reconciliation/runs', {});
  expect(started.status).toBe(202);
  const began = Date.now();
  const result = await engine.temporal.workflow.getHandle(started.body.id).result();
  const ms = Date.now() - began;
  const of = (network: string) =>
    result.wallets.find((w: { network: string; wallet: string }) => w.network === network && w.wallet === owner)!;
  return { local: of('local'), l2: of('local-l2'), ms };
}

const exceptionsOfWallet = async () =>
  (await engine.db.reconciliationException.findMany({ where: { wallet: owner } })).sort((a, b) => a.dedupeKey.localeCompare(b.dedupeKey));

const ids: Record<string, string> = {};

beforeAll(async () => {
  engine = await startEngine({
    TREASURY_PRIVATE_KEY: treasuryKey,
    RECONCILE_SETTLE_MS: String(SETTLE_MS),
    // 250-item chunks: the 1,000-item batch is four BatchTransfer calls (the gas would allow ~480).
    MASS_PAYOUT_MAX_CHUNK_ITEMS: '250',
    FUNDING_RETRY_MS: '1000',
  });
  await setEthBalance(engine, 'local', wallet, '100');
  await setEthBalance(engine, 'local-l2', wallet, '10');
  await mintUsdc(engine, wallet, 1_000_000n * 10n ** 6n);
}, 120_000);
afterAll(async () => {
  await engine?.stop();
});

describe('reconciliation of mass payouts', () => {
  it('finds nothing after honest batches: 1,000 USDC items (one split out), ETH items, single transfers on local-l2', async () => {
    const blocked = randomAddress();
    await blockOnToken(engine, blocked);
    const usdcItems: Item[] = Array.from({ length: 1000 }, (_, i) => ({
      address: i === 321 ? blocked : randomAddress(),
      units: 1_000_000n + BigInt(i),
      reference: `u-${i}`,
    }));
    const ethItems: Item[] = Array.from({ length: 25 }, (_, i) => ({ address: randomAddress(), units: parseEther('0.001') + BigInt(i) }));
    const l2Items: Item[] = Array.from({ length: 3 }, (_, i) => ({ address: randomAddress(), units: parseEther('0.002') + BigInt(i) }));
    ids.usdc = await createMassPayout('local', 'USDC', 6, usdcItems);
    ids.eth = await createMassPayout('local', 'ETH', 18, ethItems);
    ids.l2 = await createMassPayout('local-l2', 'ETH', 18, l2Items);
    const finals = await Promise.all([ids.usdc, ids.eth, ids.l2].map((id) => waitForMassPayout(id)));
    expect(finals.map((f) => [f.status, f.delivery_mode])).toEqual([
      ['partially_completed', 'batch'],
      ['completed', 'batch'],
      ['completed', 'single'],
    ]);
    await Promise.all([allFinal('local'), allFinal('local-l2')]);

    const settled = (id: string) => engine.db.massPayoutDelivery.count({ where: { massPayoutId: id, settledAt: { not: null } } });
    const localDeliveries = (await settled(ids.usdc)) + (await settled(ids.eth));
    expect(await engine.db.massPayoutDelivery.count({ where: { massPayoutId: ids.usdc, mode: 'batch' } })).toBe(4);

    const { local, l2, ms } = await reconcile();
    console.log(`reconciliation run over ${localDeliveries} settled deliveries (1,025 items) on local and 3 on local-l2: ${ms} ms`);
    // Every transaction is a delivery's (chunks and the token allowance): explained, none unknown.
    expect(local).toMatchObject({ exceptionsOpened: 0, transactionsMatched: localDeliveries, caughtUp: true });
    expect(local.deliveriesChecked).toBe(localDeliveries + 2);
    expect(l2).toMatchObject({ exceptionsOpened: 0, transactionsMatched: 3, deliveriesChecked: 3 + 1, caughtUp: true });
    expect(await exceptionsOfWallet()).toEqual([]);

    // The price of one check, measured directly: the 1,000-item batch's four chunks read, compared and judged.
    const client = engine.chains.client('local');
    const chunks = await engine.db.massPayoutDelivery.findMany({ where: { massPayoutId: ids.usdc, mode: 'batch' }, select: { id: true } });
    const began = performance.now();
    const facts = await loadDeliveryFacts(
      {
        db: engine.db,
        client,
        registry: engine.config.registry,
        network: 'local',
        wallet: owner,
        safeHead: safeHead(await client.getBlockNumber(), 2),
      },
      chunks.map((chunk) => chunk.id),
    );
    const results = facts.map(checkDelivery);
    console.log(
      `checking the 1,000-item USDC batch (4 deliveries, 999 items, 999 Transfer logs): ${(performance.now() - began).toFixed(0)} ms`,
    );
    expect(facts.reduce((sum, fact) => sum + fact.items.length, 0)).toBe(999);
    expect(results).toEqual(chunks.map(() => ({ kind: 'checked', findings: [] })));
  });

  it('opens one batch_item_mismatch per tampered item, naming it, with evidence and an outbox event', async () => {
    const blocked = randomAddress();
    await blockOnToken(engine, blocked);
    const usdcItems: Item[] = Array.from({ length: 30 }, (_, i) => ({
      address: i === 7 ? blocked : randomAddress(),
      units: 2_000_000n + BigInt(i),
    }));
    const ethItems: Item[] = Array.from({ length: 10 }, (_, i) => ({ address: randomAddress(), units: parseEther('0.003') + BigInt(i) }));
    const l2Items: Item[] = Array.from({ length: 2 }, (_, i) => ({ address: randomAddress(), units: parseEther('0.004') + BigInt(i) }));
    ids.usdcTampered = await createMassPayout('local', 'USDC', 6, usdcItems);
    ids.ethTampered = await createMassPayout('local', 'ETH', 18, ethItems);
    ids.l2Tampered = await createMassPayout('local-l2', 'ETH', 18, l2Items);
    await Promise.all([ids.usdcTampered, ids.ethTampered, ids.l2Tampered].map((id) => waitForMassPayout(id)));
    await Promise.all([allFinal('local'), allFinal('local-l2')]);

    // Tampering, each on a different delivery or batch: a completed item's amount (USDC batch and a single ETH
    // transfer), a completed item's address (ETH batch), and a split-out (failed, never sent) item marked completed.
    const item = (massPayoutId: string, seq: number) => ({ massPayoutId_seq: { massPayoutId, seq } });
    const usdcFour = await engine.db.massPayoutItem.findUniqueOrThrow({ where: item(ids.usdcTampered, 4) });
    await engine.db.massPayoutItem.update({ where: item(ids.usdcTampered, 4), data: { amount: usdcFour.amount.plus(1) } });
    const stranger = randomAddress();
    await engine.db.massPayoutItem.update({ where: item(ids.ethTampered, 2), data: { address: stranger } });
    const l2One = await engine.db.massPayoutItem.findUniqueOrThrow({ where: item(ids.l2Tampered, 1) });
    await engine.db.massPayoutItem.update({ where: item(ids.l2Tampered, 1), data: { amount: l2One.amount.plus(5) } });
    expect((await engine.db.massPayoutItem.findUniqueOrThrow({ where: item(ids.usdcTampered, 7) })).status).toBe('failed');
    await engine.db.massPayoutItem.update({ where: item(ids.usdcTampered, 7), data: { status: 'completed' } });

    const { local, l2 } = await reconcile();
    expect(local.exceptionsOpened + l2.exceptionsOpened).toBe(4);
    const found = await exceptionsOfWallet();
    expect(found.map((e) => e.id).sort()).toEqual([...local.openedExceptionIds, ...l2.openedExceptionIds].sort());
    expect(found.map((e) => `${e.category} ${e.network} ${e.dedupeKey.split(':').slice(2).join(':')}`).sort()).toEqual(
      [
        `batch_item_mismatch local ${ids.usdcTampered}:chunk:0`,
        `batch_item_mismatch local ${ids.usdcTampered}`,
        `batch_item_mismatch local ${ids.ethTampered}:chunk:0`,
        `batch_item_mismatch local-l2 ${ids.l2Tampered}:item:1`,
      ].sort(),
    );
    const bySubject = (subject: string) => found.find((e) => e.dedupeKey.endsWith(`:${subject}`))!;

    const usdcChunk = bySubject(`${ids.usdcTampered}:chunk:0`);
    const chunkRow = await engine.db.massPayoutDelivery.findUniqueOrThrow({ where: { id: `${ids.usdcTampered}:chunk:0` } });
    expect(usdcChunk).toMatchObject({ payoutId: ids.usdcTampered, accountId: account, txHash: chunkRow.txHash, state: 'open' });
    expect(usdcChunk.evidence).toMatchObject({
      mass_payout_id: ids.usdcTampered,
      delivery: { id: `${ids.usdcTampered}:chunk:0`, mode: 'batch', state: 'completed', tx_hash: chunkRow.txHash },
      differences: {
        changed: 1,
        not_paid: 0,
        not_explained: 0,
        changed_items: [
          {
            seq: 4,
            expected: { to: usdcItems[4]!.address.toLowerCase(), amount_units: '2000005' },
            found: { to: usdcItems[4]!.address.toLowerCase(), amount_units: '2000004' },
          },
        ],
      },
    });
    expect((usdcChunk.evidence as { problems: string[] }).problems).toContain(
      `the ledger settled ${chunkRow.totalAmount.toFixed()} for the delivery; its completed items total ${chunkRow.totalAmount.plus(1).toFixed()}`,
    );

    const ethChunk = bySubject(`${ids.ethTampered}:chunk:0`);
    expect(ethChunk.summary).toContain(`item seq 2: the chain paid ${ethItems[2]!.units} to ${ethItems[2]!.address.toLowerCase()}`);
    expect(ethChunk.evidence).toMatchObject({
      differences: {
        changed_items: [
          { seq: 2, expected: { to: stranger.toLowerCase() }, found: { to: ethItems[2]!.address.toLowerCase(), source: 'payEth #2' } },
        ],
      },
    });

    const single = bySubject(`${ids.l2Tampered}:item:1`);
    expect(single.evidence).toMatchObject({
      delivery: { mode: 'single' },
      differences: { changed_items: [{ seq: 1, expected: { amount_units: (l2Items[1]!.units + 5n).toString() } }] },
    });

    const batch = bySubject(ids.usdcTampered);
    expect(batch.summary).toContain(
      `1 item(s) are completed but no delivery paid them: seq 7 (${usdcItems[7]!.units} to ${blocked.toLowerCase()}`,
    );
    expect(batch.txHash).toBeNull();

    for (const exception of found) {
      expect(exception).toMatchObject({ category: 'batch_item_mismatch', accountId: account, owner: null });
      const event = await engine.db.outboxEvent.findUniqueOrThrow({ where: { id: `evt_${exception.id}` } });
      expect(event).toMatchObject({ eventType: 'reconciliation.exception', accountId: account, aggregateId: exception.id });
      expect(event.payload).toMatchObject({ category: 'batch_item_mismatch', payout_id: exception.payoutId, summary: exception.summary });
    }
    // Through the API: by mass payout id, in the exception model (owner, state, history) like any other.
    const listed = await get(`/v1/reconciliation/exceptions?payout_id=${ids.usdcTampered}&limit=100`);
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((e: { id: string }) => e.id).sort()).toEqual([usdcChunk.id, batch.id].sort());
    for (const e of listed.body.data) expect(exceptionSchema.safeParse(e).error).toBeUndefined();
    const taken = await post(`/v1/reconciliation/exceptions/${usdcChunk.id}`, { state: 'investigating', owner: 'finance-ops' });
    expect(taken.status).toBe(200);
    expect(taken.body).toMatchObject({ state: 'investigating', owner: 'finance-ops', history: [{ from: 'open', to: 'investigating' }] });
  });

  it('opens nothing twice: not on the next run, nor when a run without a cursor checks every delivery again', async () => {
    const before = await exceptionsOfWallet();
    const next = await reconcile();
    expect(next.local).toMatchObject({ exceptionsOpened: 0, deliveriesChecked: 0 });
    expect(next.l2).toMatchObject({ exceptionsOpened: 0, deliveriesChecked: 0 });

    await engine.db.reconciliationCursor.deleteMany({ where: { wallet: owner } });
    const again = await reconcile();
    expect(again.local.exceptionsOpened + again.l2.exceptionsOpened).toBe(0);
    const deliveries = await engine.db.massPayoutDelivery.count({
      where: { massPayoutId: { in: Object.values(ids) }, settledAt: { not: null } },
    });
    expect(again.local.deliveriesChecked + again.l2.deliveriesChecked).toBe(deliveries + Object.keys(ids).length);
    const after = await exceptionsOfWallet();
    expect(after.map((e) => e.id)).toEqual(before.map((e) => e.id));
    for (const exception of after) expect(exception.lastSeenRun).toBe(exception.network === 'local' ? again.local.runId : again.l2.runId);
    expect(await engine.db.outboxEvent.count({ where: { id: { in: after.map((e) => `evt_${e.id}`) } } })).toBe(after.length);
    // The one taken by finance keeps its owner and state.
    expect(after.find((e) => e.owner === 'finance-ops')).toMatchObject({ state: 'investigating' });
  });
});

describe('GET /v1/exports/mass-payout-items', () => {
  const exportOf = async (query: string, extra: Record<string, string> = {}) => {
    const response = await get(`/v1/exports/mass-payout-items?${query}`, extra);
    expect(response.status).toBe(200);
    return response;
  };

  it('streams every item with its batch_id, seq, amount in asset units, delivery and an exact share of the gas', async () => {
    const response = await exportOf(`format=json&mass_payout_id=${ids.usdc}`);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const rows = response.body.data as Record<string, unknown>[];
    expect(rows).toHaveLength(1000);
    for (const row of rows) expect(massPayoutItemExportRowSchema.safeParse(row).error).toBeUndefined();
    expect(rows.map((row) => row.seq)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(rows[5]).toMatchObject({
      batch_id: ids.usdc,
      seq: 5,
      reference: 'u-5',
      amount: '1.000005',
      amount_units: '1000005',
      asset: 'USDC',
    });
    expect(rows[321]).toMatchObject({
      status: 'failed',
      failure_code: 'simulation_reverted',
      delivery_id: null,
      tx_hash: null,
      network_fee: null,
    });
    // Each delivery's shares sum exactly to the fee its receipt charged.
    const deliveries = await engine.db.massPayoutDelivery.findMany({ where: { massPayoutId: ids.usdc, mode: 'batch' } });
    for (const delivery of deliveries) {
      const mine = rows.filter((row) => row.delivery_id === delivery.id);
      expect(mine.every((row) => row.tx_hash === delivery.txHash && row.delivery_mode === 'batch' && row.settled_at !== null)).toBe(true);
      const shares = mine.reduce((sum, row) => sum + parseEther(row.network_fee as string), 0n);
      expect(shares).toBe(BigInt(delivery.networkFee!.toFixed()));
    }

    const failed = await exportOf(`format=json&mass_payout_id=${ids.usdc}&status=failed`);
    expect(failed.body.data.map((row: { seq: number }) => row.seq)).toEqual([321]);
    // Without a filter: every batch of the account, in creation order.
    const all = await exportOf('format=json');
    const batches = [...new Set(all.body.data.map((row: { batch_id: string }) => row.batch_id))];
    expect(batches).toEqual([ids.usdc, ids.eth, ids.l2, ids.usdcTampered, ids.ethTampered, ids.l2Tampered]);
    // Another account sees none of them, even by id.
    const other = await exportOf(`format=json&mass_payout_id=${ids.usdc}`, { 'X-Account-Id': `acct_other_${Date.now().toString(36)}` });
    expect(other.body.data).toEqual([]);
  });

  it('writes CSV that a spreadsheet cannot run: formula-like text prefixed, commas, quotes and line breaks quoted', async () => {
    const memo = '=HYPERLINK("http://evil"), then\na second line';
    const id = await createMassPayout('local', 'USDC', 6, [
      { address: randomAddress(), units: 1_500_000n, reference: '-5', memo },
      { address: randomAddress(), units: 2_000_000n, reference: 'plain' },
    ]);
    await waitForMassPayout(id);
    const response = await exportOf(`mass_payout_id=${id}`);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="mass-payout-items-acct_recon_mass_/);
    const [header, ...rows] = parseCsv(response.body as string);
    expect(header).toEqual(MASS_PAYOUT_ITEM_EXPORT_COLUMNS);
    expect(rows).toHaveLength(2);
    const column = (row: string[], name: string) => row[MASS_PAYOUT_ITEM_EXPORT_COLUMNS.indexOf(name as never)];
    expect(column(rows[0]!, 'batch_id')).toBe(id);
    expect(column(rows[0]!, 'memo')).toBe(`'${memo}`);
    expect(column(rows[0]!, 'reference')).toBe(`'-5`);
    expect(column(rows[0]!, 'amount')).toBe('1.5');
    expect(column(rows[1]!, 'status')).toBe('completed');
    expect((response.body as string).split('\r\n')[0]).toBe(MASS_PAYOUT_ITEM_EXPORT_COLUMNS.join(','));
  });
});
