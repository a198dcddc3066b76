/**
 * A single payout end to end against the real stack: HTTP API -> Temporal -> anvil -> completed, with the chain's
 * balances as the judge. Run on each chain of test/support/e2e-chains.ts by the payout.e2e*.it.test.ts files.
 */
import { formatAmount } from '../../domain/money';
import { checkLedger } from '../../lib/ledger/invariants';
import type { E2eChain, E2eChainSetup } from './e2e-chains';
import { api, balances, newTreasury, randomAddress, setEthBalance, startEngine, waitForStatus, type Engine } from './harness';

export function describePayoutsEndToEnd(setup: E2eChainSetup): void {
  describe(`a single payout, end to end, on ${setup.label}`, () => {
    let engine: Engine;
    let chain: E2eChain;
    let network: string;
    let counter = 0;
    const key = () => `e2e-${Date.now()}-${counter++}-${Math.random().toString(36).slice(2)}`;
    // A treasury of its own, so the ledger's view of it can be compared with the chain exactly at the end.
    const { key: treasuryKey, address: treasury } = newTreasury();

    beforeAll(async () => {
      chain = await setup.prepare();
      network = chain.network;
      // A short settle time: the reconciler's run below looks at changes a second old.
      engine = await startEngine({ ...chain.engineEnv, TREASURY_PRIVATE_KEY: treasuryKey, RECONCILE_SETTLE_MS: '500' });
      for (const each of [network, chain.otherNetwork]) await setEthBalance(engine, each, treasury, '100');
      await chain.mintUsdc(engine, treasury, 100_000_000_000n);
    }, 120_000);
    afterAll(async () => {
      await engine?.stop();
    });

    it('pays USDC: the recipient gains exactly the amount, the treasury pays exactly amount + gas', async () => {
      const recipient = randomAddress();
      const before = await balances(engine, network, treasury);
      const startedAt = Date.now();
      const created = await api(engine, 'POST', '/v1/payouts', {
        headers: { 'Idempotency-Key': key() },
        body: { amount: '125.75', asset: 'USDC', network, destination: recipient, purpose: 'contractor invoice 42' },
      });
      expect(created.status).toBe(201);
      expect(created.headers.get('x-request-id')).toBeTruthy();
      expect(created.body).toMatchObject({
        status: 'in_progress',
        amount: '125.75',
        amount_units: '125750000',
        asset: 'USDC',
        network,
      });
      expect(created.body.workflow_id).toBe(`payout-${created.body.id}`);

      const done = await waitForStatus(engine, created.body.id, ['completed', 'failed']);
      const elapsed = Date.now() - startedAt;
      expect(done.status).toBe('completed');
      // The network's own finality: 2 confirmations locally, Base's preset 10 and the safe block.
      const finality = engine.config.registry.network(network);
      expect(done.transaction.confirmations).toBeGreaterThanOrEqual(finality.confirmations);
      console.log(
        `USDC payout POST -> completed in ${elapsed} ms on ${network} (${finality.confirmations} confirmations` +
          `${finality.finalityTag ? ` and the ${finality.finalityTag} block` : ''}, 1 s blocks)`,
      );

      const after = await balances(engine, network, treasury);
      expect((await balances(engine, network, recipient)).usdc).toBe(125_750_000n);
      expect(before.usdc - after.usdc).toBe(125_750_000n);
      const row = await engine.db.payout.findUniqueOrThrow({ where: { id: created.body.id } });
      const networkFee = BigInt(row.networkFee!.toFixed());
      expect(before.eth - after.eth).toBe(networkFee);

      const receipt = await engine.chains.client(network).getTransactionReceipt({ hash: done.transaction.hash });
      expect(receipt.status).toBe('success');
      expect(receipt.blockNumber.toString()).toBe(done.transaction.block_number);
      expect(receipt.gasUsed * receipt.effectiveGasPrice).toBe(networkFee);
      expect(done.transaction.network_fee).toBe(formatAmount(networkFee, 18));
    });

    it('pays ETH: the treasury pays exactly amount + gas, and the history is complete', async () => {
      const recipient = randomAddress();
      const before = await balances(engine, network, treasury);
      const startedAt = Date.now();
      const created = await api(engine, 'POST', '/v1/payouts', {
        headers: { 'Idempotency-Key': key() },
        body: {
          amount: '0.25',
          asset: 'ETH',
          network,
          destination: recipient,
          purpose: 'creator payout',
          external_id: `inv-${counter}-${Date.now()}`,
        },
      });
      expect(created.status).toBe(201);
      const done = await waitForStatus(engine, created.body.id, ['completed', 'failed']);
      console.log(`ETH payout POST -> completed in ${Date.now() - startedAt} ms`);
      expect(done.status).toBe('completed');

      const row = await engine.db.payout.findUniqueOrThrow({ where: { id: created.body.id } });
      const after = await balances(engine, network, treasury);
      expect((await balances(engine, network, recipient)).eth).toBe(250_000_000_000_000_000n);
      expect(before.eth - after.eth).toBe(250_000_000_000_000_000n + BigInt(row.networkFee!.toFixed()));
      expect(done.transaction.network_fee).toBe(formatAmount(BigInt(row.networkFee!.toFixed()), 18));

      const events = await engine.db.payoutEvent.findMany({ where: { payoutId: row.id }, orderBy: { seq: 'asc' } });
      expect(events.map((event) => event.toStatus)).toEqual(['in_progress', 'processing', 'completed']);
      const outbox = await engine.db.outboxEvent.findMany({ where: { aggregateId: row.id }, orderBy: { createdAt: 'asc' } });
      expect(outbox.map((event) => event.eventType)).toEqual(['payout.in_progress', 'payout.processing', 'payout.completed']);
      const reservation = await engine.db.fundReservation.findUniqueOrThrow({ where: { payoutId: row.id } });
      expect(reservation.state).toBe('consumed');
    });

    it('fails a transfer that would revert, before it costs gas, with a reason a person can act on', async () => {
      const blocked = randomAddress();
      await chain.blockOnToken(engine, blocked);
      const nonceBefore = await engine.chains.client(network).getTransactionCount({ address: treasury, blockTag: 'pending' });

      const created = await api(engine, 'POST', '/v1/payouts', {
        headers: { 'Idempotency-Key': key() },
        body: { amount: '10', asset: 'USDC', network, destination: blocked, purpose: 'blocked recipient' },
      });
      const done = await waitForStatus(engine, created.body.id, ['completed', 'failed']);
      expect(done.status).toBe('failed');
      expect(done.failure.code).toBe('simulation_reverted');
      expect(done.failure.reason).toMatch(chain.blockedReason);
      expect(done.transaction).toBeNull();
      expect(await engine.chains.client(network).getTransactionCount({ address: treasury, blockTag: 'pending' })).toBe(nonceBefore);
      const reservation = await engine.db.fundReservation.findUniqueOrThrow({ where: { payoutId: created.body.id } });
      expect(reservation.state).toBe('released');
    });

    it('holds a payout the treasury cannot cover in a visible state until someone acts', async () => {
      const created = await api(engine, 'POST', '/v1/payouts', {
        headers: { 'Idempotency-Key': key(), 'X-Actor-Id': 'carol' },
        body: {
          amount: '50000',
          asset: 'ETH',
          network: chain.otherNetwork,
          destination: randomAddress(),
          purpose: 'more than the treasury holds',
        },
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ status: 'pending_approval', approvals_required: 1 });
      let current = created.body;
      for (let i = 0; i < 100 && !current.attention; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        current = (await api(engine, 'GET', `/v1/payouts/${created.body.id}`)).body;
      }
      expect(current.attention).toEqual({ code: 'insufficient_funds', type: 'action_required' });
      const canceled = await api(engine, 'POST', `/v1/payouts/${created.body.id}/cancel`, { headers: { 'X-Actor-Id': 'carol' } });
      expect(canceled.status).toBe(200);
      const done = await waitForStatus(engine, created.body.id, ['canceled']);
      expect(done.attention).toBeNull();
      const late = await api(engine, 'POST', `/v1/payouts/${created.body.id}/approve`, { headers: { 'X-Actor-Id': 'erin' } });
      expect(late.status).toBe(409);
      expect(late.body.error.code).toBe('payout_terminal');
    });

    it('needs an approval above the threshold; the creator cannot approve; another person can', async () => {
      const recipient = randomAddress();
      const created = await api(engine, 'POST', '/v1/payouts', {
        headers: { 'Idempotency-Key': key(), 'X-Actor-Id': 'carol' },
        body: { amount: '15000', asset: 'USDC', network, destination: recipient, purpose: 'large invoice' },
      });
      expect(created.body).toMatchObject({
        status: 'pending_approval',
        approvals_required: 1,
        available_actions: ['approve', 'reject', 'cancel'],
      });
      expect(created.body.approval_policy).toEqual({ id: 'default', version: 0 });

      const own = await api(engine, 'POST', `/v1/payouts/${created.body.id}/approve`, { headers: { 'X-Actor-Id': 'carol' } });
      expect(own.status).toBe(403);
      expect(own.body.error.code).toBe('own_payout');

      const approved = await api(engine, 'POST', `/v1/payouts/${created.body.id}/approve`, { headers: { 'X-Actor-Id': 'dave' } });
      expect(approved.status).toBe(200);
      expect(approved.body).toMatchObject({ result: 'approved', approved_by: ['dave'], remaining: 0 });
      const again = await api(engine, 'POST', `/v1/payouts/${created.body.id}/approve`, { headers: { 'X-Actor-Id': 'dave' } });
      expect(again.status).toBe(409);

      const done = await waitForStatus(engine, created.body.id, ['completed', 'failed']);
      expect(done.status).toBe('completed');
      expect(done.approved_by).toEqual(['dave']);
      expect((await balances(engine, network, recipient)).usdc).toBe(15_000_000_000n);
    });

    it('cancels a payout that waits for approval, and refuses to cancel it twice', async () => {
      const created = await api(engine, 'POST', '/v1/payouts', {
        headers: { 'Idempotency-Key': key() },
        body: { amount: '20000', asset: 'USDC', network, destination: randomAddress(), purpose: 'to be canceled' },
      });
      expect(created.body.status).toBe('pending_approval');
      const canceled = await api(engine, 'POST', `/v1/payouts/${created.body.id}/cancel`, { body: { reason: 'wrong amount' } });
      expect(canceled.status).toBe(200);
      const done = await waitForStatus(engine, created.body.id, ['canceled']);
      expect(done.transaction).toBeNull();
      const again = await api(engine, 'POST', `/v1/payouts/${created.body.id}/cancel`, {});
      expect(again.status).toBe(409);
    });

    it('leaves the ledger consistent: entries balance, balances equal postings, and the treasury matches the chain', async () => {
      const check = await checkLedger(engine.db, engine.chains, engine.config.registry);
      expect(check.unbalancedEntries).toEqual([]);
      expect(check.accountMismatches).toEqual([]);
      const mine = check.wallets.filter((wallet) => wallet.wallet === treasury.toLowerCase());
      expect(mine.map((wallet) => `${wallet.network}/${wallet.asset}: ${wallet.difference}`).sort()).toEqual(
        [`${chain.otherNetwork}/ETH: 0`, `${network}/ETH: 0`, `${network}/USDC: 0`].sort(),
      );
    });

    it('is reconciled: the reconciler matches each payout to its transfer on chain, fee included, and opens no exception', async () => {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const started = await api(engine, 'POST', '/v1/reconciliation/runs', { body: {}, headers: { 'Idempotency-Key': key() } });
      expect(started.status).toBe(202);
      const result = await engine.temporal.workflow.getHandle(started.body.id).result();
      const mine = result.wallets.find(
        (wallet: { network: string; wallet: string }) => wallet.network === network && wallet.wallet === treasury.toLowerCase(),
      );
      // The USDC and the ETH payout were paid; the others ended before signing.
      expect(mine).toMatchObject({ exceptionsOpened: 0, caughtUp: true });
      expect(mine.transactionsMatched).toBeGreaterThanOrEqual(2);
      const open = await engine.db.reconciliationException.findMany({ where: { wallet: treasury.toLowerCase(), network } });
      expect(open.map((exception) => `${exception.category}: ${exception.summary}`)).toEqual([]);
    });
  });
}
