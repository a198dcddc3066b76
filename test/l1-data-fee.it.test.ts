/**
 * OP-stack L1 data fees before signing: `local-l2` is configured as an OP-stack network (`l1_data_fee: op-stack`) and
 * given a GasPriceOracle at the predeploy address (contracts/test/GasPriceOracleStub.sol: a flat 0.01 ETH quote), since
 * anvil has no L1 fee of its own. The gas a payout holds is then its L2 worst case plus the L1 quote with headroom, and
 * a treasury that could pay the L2 gas but not the L1 fee waits for funds instead of failing at broadcast. The receipt
 * side (the ledger's gas entry, network_fee, the reconciler) reads real OP-stack receipts in domain/network-fee.test.ts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEther, type Address } from 'viem';
import { sideHoldKey } from '../activities/funds';
import { testContract } from '../contracts/test/fixtures';
import { decimalToBigint } from '../lib/db';
import { GAS_PRICE_ORACLE } from '../lib/chain';
import { checkLedger } from '../lib/ledger/invariants';
import {
  api,
  MASS_PAYOUT_ENDS,
  newTreasury,
  randomAddress,
  setEthBalance,
  startEngine,
  waitForMassPayout,
  waitForStatus,
  type Engine,
} from './support/harness';

const L1_QUOTE = parseEther('0.01');
let networksFile: string;
const engines: Engine[] = [];
const anvilL2 = (engine: Engine, method: string, params: unknown[]) =>
  engine.chains.client('local-l2').request({ method: method as never, params: params as never });

async function engineWithTreasury(ether: string) {
  const treasury = newTreasury();
  const engine = await startEngine({ NETWORKS_FILE: networksFile, TREASURY_PRIVATE_KEY: treasury.key, FUNDING_RETRY_MS: '500' });
  engines.push(engine);
  await setEthBalance(engine, 'local-l2', treasury.address, ether);
  return { engine, treasury: treasury.address };
}

const pay = (engine: Engine, amount: string, recipient: Address) =>
  api(engine, 'POST', '/v1/payouts', { body: { amount, asset: 'ETH', network: 'local-l2', destination: recipient, purpose: 'op-stack' } });

beforeAll(() => {
  networksFile = join(mkdtempSync(join(tmpdir(), 'l1-fee-')), 'networks.yaml');
  writeFileSync(networksFile, 'networks:\n  - preset: local\n  - preset: local-l2\n    l1_data_fee: op-stack\n');
});
afterAll(async () => {
  if (engines[0]) await anvilL2(engines[0], 'anvil_setCode', [GAS_PRICE_ORACLE, '0x']).catch(() => undefined);
  for (const engine of engines) await engine.stop();
});

it("holds the L2 worst case plus the oracle's L1 quote with 50 % headroom, and the ledger still equals the chain", async () => {
  const { engine, treasury } = await engineWithTreasury('1');
  await anvilL2(engine, 'anvil_setCode', [GAS_PRICE_ORACLE, testContract('GasPriceOracleStub').deployedBytecode]);
  const recipient = randomAddress();
  const created = await pay(engine, '0.1', recipient);
  expect(created.status).toBe(201);
  const done = await waitForStatus(engine, created.body.id, ['completed', 'failed']);
  expect(done.status).toBe('completed');

  const transaction = await engine.db.chainTransaction.findUniqueOrThrow({
    where: { payoutId: created.body.id },
    include: { attempts: { orderBy: { attempt: 'asc' } } },
  });
  const first = transaction.attempts[0]!;
  const l2WorstCase = decimalToBigint(transaction.gasLimit)! * decimalToBigint(first.maxFeePerGas)!;
  const hold = await engine.db.fundReservation.findUniqueOrThrow({ where: { payoutId: sideHoldKey(created.body.id, 'gas') } });
  expect(decimalToBigint(hold.amount)).toBe(l2WorstCase + (L1_QUOTE * 150n) / 100n);
  expect(await engine.chains.client('local-l2').getBalance({ address: recipient })).toBe(parseEther('0.1'));

  // The hold is released at the receipt's real fee (anvil charges no L1 fee, so its receipts carry none).
  const check = await checkLedger(engine.db, engine.chains, engine.config.registry);
  const mine = check.wallets.filter((wallet) => wallet.wallet === treasury.toLowerCase() && wallet.network === 'local-l2');
  expect(mine.map((wallet) => [wallet.asset, wallet.difference])).toEqual([['ETH', 0n]]);
});

it('a treasury with ETH for the payout and its L2 gas but not for the L1 fee waits for funds, then pays once funded', async () => {
  // 0.012 ETH: enough for 0.001 ETH plus L2 gas, short of the 0.015 ETH held for the L1 quote.
  const { engine, treasury } = await engineWithTreasury('0.012');
  const created = await pay(engine, '0.001', randomAddress());
  expect(created.status).toBe(201);
  let waiting = await waitForStatus(engine, created.body.id, ['in_progress', 'processing', 'completed', 'failed']);
  for (let i = 0; i < 60 && !waiting.attention; i++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    waiting = (await api(engine, 'GET', `/v1/payouts/${created.body.id}`)).body;
  }
  expect(waiting).toMatchObject({ status: 'in_progress', attention: { code: 'insufficient_gas', type: 'action_required' } });
  // The Temporal UI's current details say what it waits for, and where the runbook says what to do.
  const metadata = await engine.temporal.workflow
    .getHandle(waiting.workflow_id)
    .query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  expect(metadata.currentDetails).toContain('needs attention: insufficient_gas; what to do: docs/runbook.md#attention-insufficient_gas');
  expect(await engine.db.chainTransaction.count({ where: { payoutId: created.body.id } })).toBe(0);

  await setEthBalance(engine, 'local-l2', treasury, '1');
  const done = await waitForStatus(engine, created.body.id, ['completed', 'failed'], 60_000);
  expect(done).toMatchObject({ status: 'completed', attention: null });
});

it("a mass payout's up-front gas check counts every item's L1 fee: short of it, the batch waits before it sends anything", async () => {
  // 0.03 ETH: the three items (0.003 ETH) and their L2 gas, but not three L1 quotes (3 × 0.015 ETH held each).
  const { engine, treasury } = await engineWithTreasury('0.03');
  await anvilL2(engine, 'anvil_setCode', [GAS_PRICE_ORACLE, testContract('GasPriceOracleStub').deployedBytecode]);
  const created = await api(engine, 'POST', '/v1/mass-payouts', {
    body: {
      network: 'local-l2',
      asset: 'ETH',
      purpose: 'op-stack batch',
      items: [randomAddress(), randomAddress(), randomAddress()].map((address) => ({ address, amount: '0.001' })),
    },
  });
  expect(created.status).toBe(201);
  if (created.body.status === 'pending_approval') {
    const approved = await api(engine, 'POST', `/v1/mass-payouts/${created.body.id}/approve`, { headers: { 'X-Actor-Id': 'approver-1' } });
    expect(approved.status).toBe(200);
  }
  let mass = await waitForMassPayout(engine, created.body.id, {
    until: (view) => view.attention !== null || MASS_PAYOUT_ENDS.includes(view.status),
  });
  expect(mass.attention).toEqual({ code: 'insufficient_funds', type: 'action_required' });
  expect(await engine.db.massPayoutDelivery.count({ where: { massPayoutId: created.body.id } })).toBe(0);

  await setEthBalance(engine, 'local-l2', treasury, '1');
  mass = await waitForMassPayout(engine, created.body.id);
  expect(mass).toMatchObject({ status: 'completed', attention: null });
});
