/**
 * Mass payouts end to end through the API, the real worker, PostgreSQL and anvil, run on each chain of
 * test/support/e2e-chains.ts by the mass-payout.e2e*.it.test.ts files:
 * - 1,000 USDC items in BatchTransfer chunks, one approval for the batch: every recipient's
 *   balance is exactly its amount, one transaction per chunk, and the ledger agrees with the chain;
 * - a partial failure: blocked token holders and a contract that rejects ETH are split out by
 *   simulation and fail with their reason, their siblings are paid, the batch is partially_completed;
 * - the fallback: the other network has no BatchTransfer, so every item is its own transaction.
 * Each run pays from a treasury of its own, so balances and the ledger can be compared exactly.
 */
import { erc20Abi, parseEther, type Address } from 'viem';
import { generatePrivateKey } from 'viem/accounts';
import { testContract } from '../../contracts/test/fixtures';
import { massChunkWorkflowId, massPayoutWorkflowId } from '../../domain/mass-payout';
import { formatAmount } from '../../domain/money';
import { checkLedger } from '../../lib/ledger/invariants';
import { mapLimit } from './chaos';
import type { E2eChain, E2eChainSetup } from './e2e-chains';
import { api, newTreasury, randomAddress, setEthBalance, startEngine, walletFor, type Engine } from './harness';
import { recordHistory } from './histories';

jest.setTimeout(600_000);

const TERMINAL = ['completed', 'partially_completed', 'failed', 'canceled', 'expired'];

interface Item {
  address: Address;
  units: bigint;
  reference: string;
}

async function waitForMassPayout(engine: Engine, id: string, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const response = await api(engine, 'GET', `/v1/mass-payouts/${id}`);
    last = response.body;
    if (response.status === 200 && TERMINAL.includes(response.body.status)) return response.body;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`mass payout ${id} not terminal after ${timeoutMs} ms; last ${JSON.stringify(last)}`);
}

async function allItems(engine: Engine, id: string) {
  const items: { seq: number; address: string; amount: string; status: string; tx_hash: string | null; failure: any }[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any
  let cursor: string | undefined;
  do {
    const page = await api(engine, 'GET', `/v1/mass-payouts/${id}/items?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
    expect(page.status).toBe(200);
    items.push(...page.body.data);
    cursor = page.body.next_cursor ?? undefined;
  } while (cursor);
  return items;
}

const usdc = (units: bigint) => formatAmount(units, 6);

function createBody(network: string, asset: string, items: Item[], decimals: number) {
  return {
    network,
    asset,
    purpose: 'mass payout e2e',
    items: items.map((item) => ({ address: item.address, amount: formatAmount(item.units, decimals), reference: item.reference })),
  };
}

export function describeMassPayoutsEndToEnd(setup: E2eChainSetup): void {
  describe(`mass payouts on ${setup.label}`, () => {
    const treasury = newTreasury();
    let engine: Engine;
    let chain: E2eChain;
    let network: string;
    const usdcOf = (address: Address) =>
      engine.chains
        .client(network)
        .readContract({ address: chain.usdc(engine), abi: erc20Abi, functionName: 'balanceOf', args: [address] });

    beforeAll(async () => {
      chain = await setup.prepare();
      network = chain.network;
      // 200-item chunks so 1,000 items make five chunks running four at a time (the real size is ~480).
      engine = await startEngine({
        ...chain.engineEnv,
        TREASURY_PRIVATE_KEY: treasury.key,
        MASS_PAYOUT_MAX_CHUNK_ITEMS: '200',
        FUNDING_RETRY_MS: '1000',
        // The reconciler's run at the end looks at changes a second old.
        RECONCILE_SETTLE_MS: '500',
      });
      await setEthBalance(engine, network, treasury.address, '1000');
      await setEthBalance(engine, chain.otherNetwork, treasury.address, '100');
      await chain.mintUsdc(engine, treasury.address, 100_000n * 10n ** 6n);
    }, 120_000);
    afterAll(() => engine?.stop());

    test('1,000 USDC items: one approval, one transaction per chunk, every recipient paid exactly, ledger = chain', async () => {
      const items: Item[] = Array.from({ length: 1000 }, (_, i) => ({
        address: randomAddress(),
        // 10.000001 .. 29.99 USDC: over the approval threshold in total (10,000 USDC), so the batch needs one approval.
        units: 10_000_000n + BigInt(Math.floor(Math.random() * 20_000_000)),
        reference: `e2e-${i}`,
      }));
      const total = items.reduce((sum, item) => sum + item.units, 0n);
      const created = await api(engine, 'POST', '/v1/mass-payouts', { body: createBody(network, 'USDC', items, 6) });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ item_count: 1000, total_amount: usdc(total), status: 'pending_approval' });
      const id: string = created.body.id;

      const approved = await api(engine, 'POST', `/v1/mass-payouts/${id}/approve`, { headers: { 'X-Actor-Id': 'approver-1' } });
      expect(approved.status).toBe(200);

      const final = await waitForMassPayout(engine, id);
      expect(final.status).toBe('completed');
      expect(final.counts.completed.count).toBe(1000);
      expect(final.paid_amount).toBe(usdc(total));
      expect(final.delivery_mode).toBe('batch');
      expect(final.chunk_count).toBe(5);

      const rows = await allItems(engine, id);
      expect(rows).toHaveLength(1000);
      expect(new Set(rows.map((row) => row.tx_hash)).size).toBe(5);
      const deliveries = await engine.db.massPayoutDelivery.findMany({ where: { massPayoutId: id } });
      expect(deliveries.filter((d) => d.mode === 'batch').map((d) => d.state)).toEqual(Array(5).fill('completed'));

      // The chain is the judge: each recipient holds exactly its amount (paid once).
      const held = await mapLimit(items, 25, (item) => usdcOf(item.address));
      expect(held.filter((units, i) => units !== items[i]!.units)).toEqual([]);

      const ledger = await checkLedger(engine.db, engine.chains, engine.config.registry);
      const wallet = ledger.wallets.filter((w) => w.wallet === treasury.address.toLowerCase() && w.network === network);
      expect(wallet.map((w) => [w.asset, w.difference])).toEqual(
        expect.arrayContaining([
          ['ETH', 0n],
          ['USDC', 0n],
        ]),
      );
      expect(ledger.unbalancedEntries).toEqual([]);

      // Webhook events, written in the same transactions: one per settled chunk, one at the end.
      const events = await engine.db.outboxEvent.findMany({ where: { aggregateId: id }, orderBy: { createdAt: 'asc' } });
      expect(events.filter((e) => e.eventType === 'mass_payout.progress')).toHaveLength(5);
      expect(events.filter((e) => e.eventType === 'mass_payout.completed').map((e) => (e.payload as { status: string }).status)).toEqual([
        'completed',
      ]);
      if (chain.recordsHistories) await recordHistory(engine.temporal, massPayoutWorkflowId(id), 'mass-payout-approved');
    });

    test('partial failure: blocked holders and an ETH-rejecting contract fail with their reason, their siblings are paid', async () => {
      // USDC: 30 items, two recipients blocked by the token.
      const usdcItems: Item[] = Array.from({ length: 30 }, (_, i) => ({
        address: randomAddress(),
        units: 1_000_000n + BigInt(i),
        reference: `p-${i}`,
      }));
      await chain.blockOnToken(engine, usdcItems[3]!.address);
      await chain.blockOnToken(engine, usdcItems[17]!.address);
      const created = await api(engine, 'POST', '/v1/mass-payouts', { body: createBody(network, 'USDC', usdcItems, 6) });
      expect(created.status).toBe(201);

      // ETH: 12 items, one of them a contract that rejects ETH.
      const deployer = generatePrivateKey();
      const { wallet, client } = walletFor(engine, network, deployer);
      await setEthBalance(engine, network, wallet.account.address, '1');
      const reject = testContract('RejectEth');
      const deployHash = await wallet.deployContract({
        abi: reject.abi,
        bytecode: reject.bytecode,
        chain: wallet.chain,
        account: wallet.account,
      });
      const rejecting = (await client.waitForTransactionReceipt({ hash: deployHash })).contractAddress!;
      const ethItems: Item[] = Array.from({ length: 12 }, (_, i) => ({
        address: i === 5 ? rejecting : randomAddress(),
        units: parseEther('0.001') + BigInt(i),
        reference: `e-${i}`,
      }));
      const createdEth = await api(engine, 'POST', '/v1/mass-payouts', { body: createBody(network, 'ETH', ethItems, 18) });
      expect(createdEth.status).toBe(201);

      const [finalUsdc, finalEth] = await Promise.all([
        waitForMassPayout(engine, created.body.id),
        waitForMassPayout(engine, createdEth.body.id),
      ]);
      expect(finalUsdc.status).toBe('partially_completed');
      expect(finalUsdc.counts.completed.count).toBe(28);
      expect(finalUsdc.counts.failed.count).toBe(2);
      const failedUsdc = await api(engine, 'GET', `/v1/mass-payouts/${created.body.id}/items?status=failed`);
      expect(failedUsdc.body.data.map((item: { seq: number }) => item.seq)).toEqual([3, 17]);
      for (const item of failedUsdc.body.data) {
        expect(item.failure.code).toBe('simulation_reverted');
        expect(item.failure.reason).toMatch(chain.blockedReason);
      }
      const usdcBalances = await mapLimit(usdcItems, 10, (item) => usdcOf(item.address));
      expect(usdcBalances).toEqual(usdcItems.map((item, i) => (i === 3 || i === 17 ? 0n : item.units)));

      expect(finalEth.status).toBe('partially_completed');
      expect(finalEth.counts.completed.count).toBe(11);
      const failedEth = await api(engine, 'GET', `/v1/mass-payouts/${createdEth.body.id}/items?status=failed`);
      expect(failedEth.body.data).toHaveLength(1);
      expect(failedEth.body.data[0]).toMatchObject({ seq: 5, failure: { code: 'simulation_reverted' } });
      expect(failedEth.body.data[0].failure.reason).toMatch(/rejects ETH/);
      const ethBalances = await mapLimit(ethItems, 10, (item) => engine.chains.client(network).getBalance({ address: item.address }));
      expect(ethBalances).toEqual(ethItems.map((item, i) => (i === 5 ? 0n : item.units)));
      if (chain.recordsHistories) await recordHistory(engine.temporal, massPayoutWorkflowId(created.body.id), 'mass-payout-partial');
      if (chain.recordsHistories)
        await recordHistory(engine.temporal, massChunkWorkflowId(created.body.id, 0), 'mass-payout-chunk-split-out');
    });

    test('cancel mid-delivery: signed chunks are paid, every item not yet signed is canceled, the ledger releases the rest', async () => {
      const items: Item[] = Array.from({ length: 1000 }, (_, i) => ({
        address: randomAddress(),
        units: 1_000_000n + BigInt(i),
        reference: `c-${i}`,
      }));
      const created = await api(engine, 'POST', '/v1/mass-payouts', { body: createBody(network, 'USDC', items, 6) });
      expect(created.status).toBe(201);
      const id: string = created.body.id;
      // As soon as the first chunk is signed: four chunks run, the fifth has not started.
      for (let i = 0; i < 600 && (await engine.db.massPayoutDelivery.count({ where: { massPayoutId: id, mode: 'batch' } })) === 0; i++)
        await new Promise((resolve) => setTimeout(resolve, 50));
      const canceled = await api(engine, 'POST', `/v1/mass-payouts/${id}/cancel`, { body: { reason: 'wrong file' } });
      expect(canceled.status).toBe(200);
      expect(canceled.body.result).toBe('cancel_requested');

      const final = await waitForMassPayout(engine, id);
      expect(final.status).toBe('partially_completed');
      const rows = await allItems(engine, id);
      const paid = rows.filter((row) => row.status === 'completed');
      const stopped = rows.filter((row) => row.status === 'canceled');
      expect(paid.length + stopped.length).toBe(1000);
      expect(stopped.length).toBeGreaterThanOrEqual(200); // at least the chunk that never started
      expect(stopped[0]!.failure.reason).toMatch(/wrong file/);
      const held = await mapLimit(items, 25, (item) => usdcOf(item.address));
      expect(held.filter((units, i) => units !== (rows[i]!.status === 'completed' ? items[i]!.units : 0n))).toEqual([]);
      const release = await engine.db.journalEntry.findUnique({ where: { id: `mass:${id}:release` } });
      expect(release).not.toBeNull();
    });

    test('fallback: without BatchTransfer (the other network) every item is its own transaction', async () => {
      const items: Item[] = Array.from({ length: 5 }, (_, i) => ({
        address: randomAddress(),
        units: parseEther('0.01') + BigInt(i),
        reference: `l2-${i}`,
      }));
      const created = await api(engine, 'POST', '/v1/mass-payouts', { body: createBody(chain.otherNetwork, 'ETH', items, 18) });
      expect(created.status).toBe(201);
      const final = await waitForMassPayout(engine, created.body.id);
      expect(final).toMatchObject({ status: 'completed', delivery_mode: 'single' });
      const rows = await allItems(engine, created.body.id);
      expect(new Set(rows.map((row) => row.tx_hash)).size).toBe(5);
      const held = await mapLimit(items, 5, (item) => engine.chains.client(chain.otherNetwork).getBalance({ address: item.address }));
      expect(held).toEqual(items.map((item) => item.units));
      if (chain.recordsHistories) await recordHistory(engine.temporal, massChunkWorkflowId(created.body.id, 0), 'mass-payout-chunk-single');
    });

    test('is reconciled: every settled delivery matches the chain, on both networks, with no exception', async () => {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const started = await api(engine, 'POST', '/v1/reconciliation/runs', { body: {} });
      expect(started.status).toBe(202);
      const result = await engine.temporal.workflow.getHandle(started.body.id).result();
      for (const each of [network, chain.otherNetwork]) {
        const mine = result.wallets.find(
          (wallet: { network: string; wallet: string }) => wallet.network === each && wallet.wallet === treasury.address.toLowerCase(),
        );
        expect(mine).toMatchObject({ network: each, exceptionsOpened: 0, caughtUp: true });
        expect(mine.deliveriesChecked).toBeGreaterThan(0);
      }
      const open = await engine.db.reconciliationException.findMany({ where: { wallet: treasury.address.toLowerCase() } });
      expect(open.map((exception) => `${exception.network} ${exception.category}: ${exception.summary}`)).toEqual([]);
    });
  });
}
