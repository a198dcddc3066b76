/**
 * Tokens that refuse without reverting, and token addresses without a contract: the two branches of
 * activities/delivery/simulate.ts besides USDT's (test/no-return-token.it.test.ts). A token that returns `false` from
 * `transfer` (contracts/test/MockTokens.sol, FalseReturnToken, configured as `OLD`) must fail the payout before
 * anything is signed, never count as paid; a configured token address with no code (`GONE`, a typo in a networks
 * file, or a token not deployed on this chain) must end the payout with a reason that names the address, not retry.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkLedger } from '../lib/ledger/invariants';
import {
  api,
  newTreasury,
  randomAddress,
  setEthBalance,
  startEngine,
  waitForMassPayout,
  waitForStatus,
  type Engine,
} from './support/harness';
import { deployTestToken } from './support/test-tokens';

jest.setTimeout(180_000);

const rpcUrl = process.env.LOCAL_RPC_URLS!.split(',')[0]!;
const { key: treasuryKey, address: treasury } = newTreasury();
const headers = { 'X-Account-Id': `acct_refusals_${Date.now().toString(36)}`, 'X-Actor-Id': 'payroll' };
const noCode = randomAddress();
let token: Awaited<ReturnType<typeof deployTestToken>>;
let engine: Engine;

const pay = (asset: string, destination: string, amount = '10') =>
  api(engine, 'POST', '/v1/payouts', { headers, body: { amount, asset, network: 'local', destination, purpose: 'refusals' } });

beforeAll(async () => {
  token = await deployTestToken(rpcUrl, 'FalseReturnToken');
  const file = join(mkdtempSync(join(tmpdir(), 'token-refusals-')), 'networks.yaml');
  writeFileSync(
    file,
    'networks:\n  - preset: local\n    tokens:\n' +
      `      - { symbol: USDC, name: USD Coin, decimals: 6, address: "${process.env.LOCAL_USDC_ADDRESS}" }\n` +
      `      - { symbol: OLD, name: Returns false, decimals: 6, address: "${token.address}" }\n` +
      `      - { symbol: GONE, name: No contract, decimals: 6, address: "${noCode}" }\n` +
      '  - preset: local-l2\n',
  );
  engine = await startEngine({ NETWORKS_FILE: file, TREASURY_PRIVATE_KEY: treasuryKey, FUNDING_RETRY_MS: '500' });
  await setEthBalance(engine, 'local', treasury, '10');
  await token.write('mint', [treasury, 1_000_000_000n]);
});
afterAll(async () => {
  await engine?.stop();
});

it('pays a token that returns true, and fails one that returns false before anything is signed', async () => {
  const paid = randomAddress();
  const ok = await pay('OLD', paid);
  expect(ok.status).toBe(201);
  expect(await waitForStatus(engine, ok.body.id, ['completed', 'failed'], 60_000, headers)).toMatchObject({ status: 'completed' });
  expect(await token.balanceOf(paid)).toBe(10_000_000n);

  const refusing = randomAddress();
  await token.write('setRefused', [refusing, true]);
  const nonceBefore = await engine.chains.client('local').getTransactionCount({ address: treasury });
  const refused = await pay('OLD', refusing);
  expect(refused.status).toBe(201);
  const done = await waitForStatus(engine, refused.body.id, ['completed', 'failed'], 60_000, headers);
  expect(done).toMatchObject({
    status: 'failed',
    failure: { code: 'simulation_reverted', reason: expect.stringMatching(/the token returned false from transfer/) },
  });
  expect(await engine.db.chainTransaction.count({ where: { payoutId: refused.body.id } })).toBe(0);
  expect(await engine.chains.client('local').getTransactionCount({ address: treasury })).toBe(nonceBefore);
  expect(await token.balanceOf(refusing)).toBe(0n);
});

it('ends a payout in a token whose address has no contract, naming the address, without retrying forever', async () => {
  const created = await pay('GONE', randomAddress());
  expect(created.status).toBe(201);
  const done = await waitForStatus(engine, created.body.id, ['completed', 'failed'], 60_000, headers);
  expect(done.status).toBe('failed');
  expect(done.failure.reason).toContain(noCode);
  expect(await engine.db.chainTransaction.count({ where: { payoutId: created.body.id } })).toBe(0);
});

it('leaves the ledger equal to the chain for the treasury', async () => {
  const check = await checkLedger(engine.db, engine.chains, engine.config.registry);
  const mine = check.wallets.filter((wallet) => wallet.wallet === treasury.toLowerCase() && wallet.network === 'local');
  expect(Object.fromEntries(mine.map((wallet) => [wallet.asset, wallet.difference]))).toMatchObject({ ETH: 0n, OLD: 0n });
});

it('ends a mass payout in a token without a contract before anything is reserved or signed', async () => {
  const created = await api(engine, 'POST', '/v1/mass-payouts', {
    headers,
    body: { network: 'local', asset: 'GONE', purpose: 'refusals', items: [{ address: randomAddress(), amount: '1' }] },
  });
  expect(created.status).toBe(201);
  const mass = await waitForMassPayout(engine, created.body.id, { headers });
  expect(mass).toMatchObject({ status: 'failed', failure: { code: 'simulation_reverted', reason: expect.stringContaining(noCode) } });
  expect(await engine.db.massPayoutDelivery.count({ where: { massPayoutId: created.body.id } })).toBe(0);
});
