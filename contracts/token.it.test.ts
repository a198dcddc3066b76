/**
 * TestUSDC against a real anvil: deploy, mint, transfer, blocked transfers revert, and
 * ensureTestToken() is idempotent.
 *
 * Uses ANVIL_RPC_URL when set (the project's test runner starts one anvil for every integration
 * test); otherwise it starts its own anvil on a free port and stops it afterwards. Every test
 * deploys from a fresh random account funded with anvil_setBalance, so it does not depend on, or
 * disturb, what other tests do on a shared anvil (each fresh deployer's first deploy is its nonce 0).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createTestClient,
  createWalletClient,
  defineChain,
  http,
  parseEther,
  parseEventLogs,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { startAnvil, type AnvilChain } from '../scripts/stack/anvil';
import { freePort } from '../scripts/stack/process';
import { testUsdcAbi } from './artifacts/TestUSDC';
import {
  ANVIL_DEFAULT_DEPLOYER_KEY,
  ANVIL_DEFAULT_TOKEN_ADDRESS,
  deployTestToken,
  ensureTestToken,
  predictTestTokenAddress,
} from './deploy';

const USDC = 1_000_000n; // 6 decimals
const OWN_ANVIL = !process.env.ANVIL_RPC_URL;

let anvil: AnvilChain | undefined;
let logDir: string | undefined;
let rpcUrl: string;
let chain: Chain;
let publicClient: PublicClient;

beforeAll(async () => {
  if (OWN_ANVIL) {
    logDir = mkdtempSync(path.join(tmpdir(), 'token-it-'));
    anvil = await startAnvil({ port: await freePort(), chainId: 31337, logFile: path.join(logDir, 'anvil.log'), log: () => undefined });
    rpcUrl = anvil.rpcUrl;
  } else {
    rpcUrl = process.env.ANVIL_RPC_URL as string;
  }
  const id = await createPublicClient({ transport: http(rpcUrl) }).getChainId();
  chain = defineChain({
    id,
    name: 'Anvil',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  publicClient = createPublicClient({ chain, transport: http(rpcUrl), pollingInterval: 200 });
}, 60_000);

afterAll(async () => {
  await anvil?.stop();
  if (logDir) rmSync(logDir, { recursive: true, force: true });
});

describe('TestUSDC on anvil', () => {
  test('deploys at the deployer nonce-0 address and mints', async () => {
    const deployerKey = await fundedKey();
    const holder = privateKeyToAccount(generatePrivateKey()).address;

    const { address, deployTxHash } = await deployTestToken({
      rpcUrl,
      deployerPrivateKey: deployerKey,
      mintTo: [{ address: holder, amount: 1_000n * USDC }],
    });

    expect(address).toBe(predictTestTokenAddress(deployerKey));
    const receipt = await publicClient.getTransactionReceipt({ hash: deployTxHash });
    expect(receipt.status).toBe('success');
    expect(await read(address, 'name')).toBe('Test USD Coin');
    expect(await read(address, 'symbol')).toBe('USDC');
    expect(await read(address, 'decimals')).toBe(6);
    expect(await read(address, 'owner')).toBe(privateKeyToAccount(deployerKey).address);
    expect(await balanceOf(address, holder)).toBe(1_000n * USDC);
    expect(await read(address, 'totalSupply')).toBe(1_000n * USDC);
  });

  test('transfers, approves and transferFroms; rejects bad transfers with named errors', async () => {
    const { token, owner } = await freshToken();
    const alice = await funded();
    const bob = await funded();
    const carol = privateKeyToAccount(generatePrivateKey()).address;
    await send(owner, token, 'mint', [alice.account.address, 500n * USDC]);

    // A transfer to an address that has never held the token (cold slot, zero to non-zero).
    const receipt = await send(alice, token, 'transfer', [bob.account.address, 120n * USDC]);
    const [event] = parseEventLogs({ abi: testUsdcAbi, logs: receipt.logs, eventName: 'Transfer' });
    expect(event?.args).toEqual({ from: alice.account.address, to: bob.account.address, value: 120n * USDC });
    expect(await balanceOf(token, alice.account.address)).toBe(380n * USDC);
    expect(await balanceOf(token, bob.account.address)).toBe(120n * USDC);
    // A second one to the same recipient (balance already non-zero) is the cheap, common case.
    const again = await send(alice, token, 'transfer', [bob.account.address, 1n * USDC]);
    console.log(`TestUSDC transfer gas: ${receipt.gasUsed} to a new holder, ${again.gasUsed} to an existing holder`);
    expect(receipt.gasUsed).toBeLessThan(60_000n);
    expect(again.gasUsed).toBeLessThan(45_000n);

    await send(alice, token, 'approve', [bob.account.address, 50n * USDC]);
    expect(await read(token, 'allowance', [alice.account.address, bob.account.address])).toBe(50n * USDC);
    await send(bob, token, 'transferFrom', [alice.account.address, carol, 30n * USDC]);
    expect(await read(token, 'allowance', [alice.account.address, bob.account.address])).toBe(20n * USDC);
    expect(await balanceOf(token, carol)).toBe(30n * USDC);

    expect(await revertOf(alice, token, 'transfer', [carol, 10_000n * USDC])).toBe('ERC20InsufficientBalance');
    expect(await revertOf(alice, token, 'transfer', ['0x0000000000000000000000000000000000000000', 1n])).toBe('ERC20InvalidReceiver');
    expect(await revertOf(bob, token, 'transferFrom', [alice.account.address, carol, 21n * USDC])).toBe('ERC20InsufficientAllowance');
    expect(await revertOf(alice, token, 'mint', [alice.account.address, 1n])).toBe('NotOwner');
    expect(await revertOf(alice, token, 'setBlocked', [alice.account.address, false])).toBe('NotOwner');
  });

  test('blocked accounts can neither send nor receive, and the transaction reverts on chain', async () => {
    const { token, owner } = await freshToken();
    const alice = await funded();
    const bob = await funded();
    await send(owner, token, 'mint', [alice.account.address, 100n * USDC]);
    await send(alice, token, 'transfer', [bob.account.address, 10n * USDC]);

    await send(owner, token, 'setBlocked', [bob.account.address, true]);
    expect(await read(token, 'isBlocked', [bob.account.address])).toBe(true);
    // Caught by simulation / gas estimation, decoded:
    expect(await revertOf(alice, token, 'transfer', [bob.account.address, 1n * USDC])).toBe('AccountBlocked');
    expect(await revertOf(bob, token, 'transfer', [alice.account.address, 1n * USDC])).toBe('AccountBlocked');
    expect(await revertOf(owner, token, 'mint', [bob.account.address, 1n])).toBe('AccountBlocked');
    // Sent anyway with a fixed gas limit (no estimation), it is mined and reverts, as a payout would.
    const hash = await alice.writeContract({
      address: token,
      abi: testUsdcAbi,
      functionName: 'transfer',
      args: [bob.account.address, 1n * USDC],
      gas: 100_000n,
    });
    const reverted = await publicClient.waitForTransactionReceipt({ hash });
    expect(reverted.status).toBe('reverted');
    expect(await balanceOf(token, alice.account.address)).toBe(90n * USDC);
    expect(await balanceOf(token, bob.account.address)).toBe(10n * USDC);

    await send(owner, token, 'setBlocked', [bob.account.address, false]);
    await send(alice, token, 'transfer', [bob.account.address, 1n * USDC]);
    expect(await balanceOf(token, bob.account.address)).toBe(11n * USDC);
  });

  test('ensureTestToken deploys once, then reuses the token and only tops up balances', async () => {
    const deployerKey = await fundedKey();
    const deployer = privateKeyToAccount(deployerKey).address;
    const holder = privateKeyToAccount(generatePrivateKey()).address;
    const expected = predictTestTokenAddress(deployerKey);

    const first = await ensureTestToken({ rpcUrl, deployerPrivateKey: deployerKey, mintTo: [{ address: holder, amount: 100n * USDC }] });
    expect(first.address).toBe(expected);
    expect(first.reused).toBe(false);
    expect(first.deployTxHash).not.toBeNull();
    expect(first.mintTxHashes).toHaveLength(1);
    const nonceAfterFirst = await publicClient.getTransactionCount({ address: deployer });
    expect(nonceAfterFirst).toBe(2); // deploy + mint

    const second = await ensureTestToken({
      rpcUrl,
      deployerPrivateKey: deployerKey,
      mintTo: [{ address: holder, amount: 100n * USDC }],
      expectedAddress: expected,
    });
    expect(second).toEqual({ address: expected, deployTxHash: null, reused: true, mintTxHashes: [] });
    expect(await publicClient.getTransactionCount({ address: deployer })).toBe(nonceAfterFirst);

    // Asking for more mints only the difference.
    const third = await ensureTestToken({ rpcUrl, deployerPrivateKey: deployerKey, mintTo: [{ address: holder, amount: 150n * USDC }] });
    expect(third.address).toBe(expected);
    expect(third.deployTxHash).toBeNull();
    expect(third.mintTxHashes).toHaveLength(1);
    expect(await balanceOf(expected, holder)).toBe(150n * USDC);
    expect(await read(expected, 'totalSupply')).toBe(150n * USDC);
  });

  test('ensureTestToken refuses an expected address it cannot deploy to', async () => {
    const deployerKey = await fundedKey();
    const { token: elsewhere } = await freshToken();
    // Not a token at all: the deployer's (code-less) EOA.
    await expect(
      ensureTestToken({ rpcUrl, deployerPrivateKey: deployerKey, mintTo: [], expectedAddress: privateKeyToAccount(deployerKey).address }),
    ).rejects.toThrow(/would put it at/);
    // Someone else's TestUSDC is still TestUSDC: reused (not minted to, since nothing is asked).
    const reused = await ensureTestToken({ rpcUrl, deployerPrivateKey: deployerKey, mintTo: [], expectedAddress: elsewhere });
    expect(reused).toEqual({ address: elsewhere, deployTxHash: null, reused: true, mintTxHashes: [] });
  });

  (OWN_ANVIL ? test : test.skip)('on a fresh anvil, account #0 puts the token at the documented address', async () => {
    const result = await ensureTestToken({ rpcUrl, deployerPrivateKey: ANVIL_DEFAULT_DEPLOYER_KEY, mintTo: [] });
    expect(result.address).toBe(ANVIL_DEFAULT_TOKEN_ADDRESS);
    expect(result.reused).toBe(false);
    const again = await ensureTestToken({
      rpcUrl,
      deployerPrivateKey: ANVIL_DEFAULT_DEPLOYER_KEY,
      mintTo: [],
      expectedAddress: ANVIL_DEFAULT_TOKEN_ADDRESS,
    });
    expect(again.reused).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------

type Wallet = ReturnType<typeof walletFor>;
type WriteName = 'transfer' | 'transferFrom' | 'approve' | 'mint' | 'setBlocked';
type ReadName = 'name' | 'symbol' | 'decimals' | 'owner' | 'totalSupply' | 'balanceOf' | 'allowance' | 'isBlocked';

function walletFor(key: Hex) {
  return createWalletClient({ account: privateKeyToAccount(key), chain, transport: http(rpcUrl) });
}

async function fundedKey(): Promise<Hex> {
  const key = generatePrivateKey();
  await createTestClient({ mode: 'anvil', chain, transport: http(rpcUrl) }).setBalance({
    address: privateKeyToAccount(key).address,
    value: parseEther('100'),
  });
  return key;
}

async function funded(): Promise<Wallet> {
  return walletFor(await fundedKey());
}

async function freshToken(): Promise<{ token: Address; owner: Wallet }> {
  const key = await fundedKey();
  const { address } = await deployTestToken({ rpcUrl, deployerPrivateKey: key, mintTo: [] });
  return { token: address, owner: walletFor(key) };
}

function read(token: Address, functionName: ReadName, args: readonly unknown[] = []): Promise<unknown> {
  return publicClient.readContract({ address: token, abi: testUsdcAbi, functionName, args } as never);
}

async function balanceOf(token: Address, holder: Address): Promise<bigint> {
  return publicClient.readContract({ address: token, abi: testUsdcAbi, functionName: 'balanceOf', args: [holder] });
}

/** Sends after simulating (so a revert fails the test with a decoded error) and waits for success. */
async function send(wallet: Wallet, token: Address, functionName: WriteName, args: readonly unknown[]) {
  const { request } = await publicClient.simulateContract({
    account: wallet.account,
    address: token,
    abi: testUsdcAbi,
    functionName,
    args,
  } as never);
  const hash = await wallet.writeContract(request as never);
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  expect(receipt.status).toBe('success');
  return receipt;
}

/** The custom error name a call reverts with; fails the test if it does not revert. */
async function revertOf(wallet: Wallet, token: Address, functionName: WriteName, args: readonly unknown[]): Promise<string> {
  try {
    await publicClient.simulateContract({ account: wallet.account, address: token, abi: testUsdcAbi, functionName, args } as never);
  } catch (error) {
    const reverted = error instanceof BaseError ? error.walk((e) => e instanceof ContractFunctionRevertedError) : null;
    if (reverted instanceof ContractFunctionRevertedError && reverted.data?.errorName) return reverted.data.errorName;
    throw error;
  }
  throw new Error(`${functionName}(${args.join(', ')}) did not revert`);
}
