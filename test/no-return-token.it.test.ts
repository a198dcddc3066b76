/**
 * USDT's quirk: its `transfer`, `transferFrom` and `approve` return nothing, where ERC-20 says `bool`. A token of our
 * own that behaves that way (contracts/test/MockTokens.sol, NoReturnToken) is configured as `USDT` on the local chain;
 * a single payout, a mass payout (BatchTransfer, with its token allowance) and a reconciliation run must all work on
 * it, and the ledger must equal the chain.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Address } from 'viem';
import { formatAmount } from '../domain/money';
import { checkLedger } from '../lib/ledger/invariants';
import { api, newTreasury, randomAddress, setEthBalance, startEngine, waitForStatus, type Engine } from './support/harness';
import { deployTestToken } from './support/test-tokens';

jest.setTimeout(300_000);

const rpcUrl = process.env.LOCAL_RPC_URLS!.split(',')[0]!;
const { key: treasuryKey, address: treasury } = newTreasury();
const account = `acct_usdt_${Date.now().toString(36)}`;
const headers = { 'X-Account-Id': account, 'X-Actor-Id': 'payroll' };
let token: Awaited<ReturnType<typeof deployTestToken>>;
let engine: Engine;
let usdt: Address;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const usdtOf = (holder: Address) => token.balanceOf(holder);

beforeAll(async () => {
  // Deployed first so the networks file can name it; the engine starts on that file.
  token = await deployTestToken(rpcUrl, 'NoReturnToken');
  usdt = token.address;
  const file = join(mkdtempSync(join(tmpdir(), 'no-return-token-')), 'networks.yaml');
  writeFileSync(
    file,
    'networks:\n  - preset: local\n    tokens:\n' +
      `      - { symbol: USDC, name: USD Coin, decimals: 6, address: "${process.env.LOCAL_USDC_ADDRESS}" }\n` +
      `      - { symbol: USDT, name: Tether USD (no return values), decimals: 6, address: "${usdt}" }\n` +
      '  - preset: local-l2\n',
  );
  engine = await startEngine({
    NETWORKS_FILE: file,
    TREASURY_PRIVATE_KEY: treasuryKey,
    RECONCILE_SETTLE_MS: '500',
    FUNDING_RETRY_MS: '1000',
  });
  await setEthBalance(engine, 'local', treasury, '10');
  await token.write('mint', [treasury, 10_000_000_000n]);
});
afterAll(async () => {
  await engine?.stop();
});

it('pays a single USDT payout: simulation does not need a return value', async () => {
  const recipient = randomAddress();
  const created = await api(engine, 'POST', '/v1/payouts', {
    headers,
    body: { amount: '25.5', asset: 'USDT', network: 'local', destination: recipient, purpose: 'usdt single' },
  });
  expect(created.status).toBe(201);
  const done = await waitForStatus(engine, created.body.id, ['completed', 'failed'], 60_000, headers);
  expect(done).toMatchObject({ status: 'completed', failure: null });
  expect(await usdtOf(recipient)).toBe(25_500_000n);
});

it('pays a USDT mass payout through BatchTransfer (approve and transferFrom return nothing too)', async () => {
  const items = Array.from({ length: 30 }, (_, i) => ({ address: randomAddress(), units: 1_000_000n + BigInt(i) }));
  const created = await api(engine, 'POST', '/v1/mass-payouts', {
    headers,
    body: {
      network: 'local',
      asset: 'USDT',
      purpose: 'usdt batch',
      items: items.map((item) => ({ address: item.address, amount: formatAmount(item.units, 6) })),
    },
  });
  expect(created.status).toBe(201);
  let mass: { status: string; delivery_mode: string } | undefined;
  for (let i = 0; i < 400; i++) {
    mass = (await api(engine, 'GET', `/v1/mass-payouts/${created.body.id}`, { headers })).body;
    if (['completed', 'partially_completed', 'failed'].includes(mass!.status)) break;
    await sleep(500);
  }
  expect(mass).toMatchObject({ status: 'completed', delivery_mode: 'batch' });
  for (const item of items) expect(await usdtOf(item.address)).toBe(item.units);
});

it('reconciles the USDT transfers without an exception, and the ledger equals the chain', async () => {
  const client = engine.chains.client('local');
  const head = await client.getBlockNumber();
  while ((await client.getBlockNumber()) < head + 3n) await sleep(250);
  await sleep(1_000);
  const started = await api(engine, 'POST', '/v1/reconciliation/runs', { headers, body: {} });
  expect(started.status).toBe(202);
  const result = await engine.temporal.workflow.getHandle(started.body.id).result();
  const local = result.wallets.find(
    (w: { network: string; wallet: string }) => w.network === 'local' && w.wallet === treasury.toLowerCase(),
  );
  expect(local).toMatchObject({ exceptionsOpened: 0, caughtUp: true });
  expect(await engine.db.reconciliationException.findMany({ where: { wallet: treasury.toLowerCase() } })).toEqual([]);

  const check = await checkLedger(engine.db, engine.chains, engine.config.registry);
  const mine = check.wallets.filter((wallet) => wallet.wallet === treasury.toLowerCase() && wallet.network === 'local');
  expect(Object.fromEntries(mine.map((wallet) => [wallet.asset, wallet.difference]))).toMatchObject({ ETH: 0n, USDT: 0n });
});
