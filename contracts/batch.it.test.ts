/**
 * BatchTransfer against a real anvil: ETH and ERC-20 batches pay every recipient exactly; one bad item (a
 * contract that rejects ETH, a blocked token holder) reverts the whole batch and the error names its index,
 * which simulation reports before anything is sent, so the engine can split bad items out; wrong msg.value,
 * length mismatch, empty batches and tokens that return false or nothing are handled.
 *
 * Uses ANVIL_RPC_URL when set (the project's test runner starts one anvil, 1 s blocks, for every integration
 * test); otherwise it starts its own with startAnvil and stops it afterwards. Everything is deployed from
 * fresh random accounts funded with anvil_setBalance, and recipients are fresh random addresses, so it
 * neither depends on nor disturbs other tests on a shared anvil. Mining settings are left alone.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createTestClient,
  createWalletClient,
  decodeErrorResult,
  defineChain,
  getAddress,
  http,
  maxUint256,
  parseEther,
  parseEventLogs,
  toHex,
  type Abi,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { startAnvil, type AnvilChain } from '../scripts/stack/anvil';
import { freePort } from '../scripts/stack/process';
import { batchTransferAbi } from './artifacts/BatchTransfer';
import { testUsdcAbi } from './artifacts/TestUSDC';
import { deployBatchTransfer } from './batch-deploy';
import { deployTestToken } from './deploy';
import { testContract, type TestContractName } from './test/fixtures';

const USDC = 1_000_000n; // 6 decimals

let anvil: AnvilChain | undefined;
let logDir: string | undefined;
let rpcUrl: string;
let chain: Chain;
let publicClient: PublicClient;
/** Shared by every test: BatchTransfer is stateless, and the token's owner only mints and blocks fresh addresses. */
let batch: Address;
let token: Address;
let tokenOwner: Wallet;

beforeAll(async () => {
  if (process.env.ANVIL_RPC_URL) {
    rpcUrl = process.env.ANVIL_RPC_URL;
  } else {
    logDir = mkdtempSync(path.join(tmpdir(), 'batch-it-'));
    anvil = await startAnvil({ port: await freePort(), chainId: 31337, logFile: path.join(logDir, 'anvil.log'), log: () => undefined });
    rpcUrl = anvil.rpcUrl;
  }
  const id = await createPublicClient({ transport: http(rpcUrl) }).getChainId();
  chain = defineChain({
    id,
    name: 'Anvil',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  publicClient = createPublicClient({ chain, transport: http(rpcUrl), pollingInterval: 200 });

  const ownerKey = await fundedKey();
  tokenOwner = walletFor(ownerKey);
  ({ address: token } = await deployTestToken({ rpcUrl, deployerPrivateKey: ownerKey, mintTo: [] }));
  ({ address: batch } = await deployBatchTransfer({ rpcUrl, deployerPrivateKey: ownerKey }));
  testContract('RejectEth'); // compile the fixtures once, up front (a few seconds)
}, 120_000);

afterAll(async () => {
  await anvil?.stop();
  if (logDir) rmSync(logDir, { recursive: true, force: true });
});

describe('BatchTransfer on anvil', () => {
  test('an ETH batch pays every recipient exactly and keeps nothing', async () => {
    const payer = await funded();
    const recipients = newAddresses(12);
    const amounts = recipients.map((_, i) => parseEther('0.01') * BigInt(i + 1) + BigInt(i)); // distinct, odd wei
    const total = sum(amounts);
    const before = await publicClient.getBalance({ address: payer.account.address });

    const receipt = await pay(payer, 'payEth', [recipients, amounts], total);

    for (const [i, recipient] of recipients.entries()) expect(await publicClient.getBalance({ address: recipient })).toBe(amounts[i]);
    expect(await publicClient.getBalance({ address: batch })).toBe(0n);
    const fee = receipt.gasUsed * receipt.effectiveGasPrice;
    expect(await publicClient.getBalance({ address: payer.account.address })).toBe(before - total - fee);
    const [summary] = parseEventLogs({ abi: batchTransferAbi, logs: receipt.logs, eventName: 'BatchPaid' });
    expect(summary?.args).toEqual({
      payer: payer.account.address,
      token: '0x0000000000000000000000000000000000000000',
      recipients: 12n,
      total,
    });
    console.log(`BatchTransfer payEth: ${receipt.gasUsed} gas for ${recipients.length} new recipients`);
  });

  test('an ERC-20 batch moves every amount straight from the payer, within the allowance', async () => {
    const payer = await funded();
    const recipients = newAddresses(15);
    const amounts = recipients.map((_, i) => 1n * USDC + BigInt(i) * 12_345n);
    const total = sum(amounts);
    await send(tokenOwner, token, testUsdcAbi, 'mint', [payer.account.address, total + 7n]);
    // A finite approval: the batch must spend exactly the total of it.
    await send(payer, token, testUsdcAbi, 'approve', [batch, total + 5n]);

    const receipt = await pay(payer, 'payToken', [token, recipients, amounts]);

    for (const [i, recipient] of recipients.entries()) expect(await balanceOf(token, recipient)).toBe(amounts[i]);
    expect(await balanceOf(token, payer.account.address)).toBe(7n);
    expect(await balanceOf(token, batch)).toBe(0n); // no custody, not even for a moment
    expect(
      await publicClient.readContract({
        address: token,
        abi: testUsdcAbi,
        functionName: 'allowance',
        args: [payer.account.address, batch],
      }),
    ).toBe(5n);
    const transfers = parseEventLogs({ abi: testUsdcAbi, logs: receipt.logs, eventName: 'Transfer' });
    expect(transfers.map((event) => event.args)).toEqual(
      recipients.map((to, i) => ({ from: payer.account.address, to, value: amounts[i] })),
    );
    const [summary] = parseEventLogs({ abi: batchTransferAbi, logs: receipt.logs, eventName: 'BatchPaid' });
    expect(summary?.args).toEqual({ payer: payer.account.address, token, recipients: 15n, total });
    console.log(`BatchTransfer payToken: ${receipt.gasUsed} gas for ${recipients.length} new recipients`);
  });

  test('a recipient that rejects ETH reverts the whole batch, naming its index; simulation says so first', async () => {
    const payer = await funded();
    const rejector = await deployFixture(payer, 'RejectEth');
    const recipients = newAddresses(6);
    recipients.splice(3, 0, rejector);
    const amounts = recipients.map(() => parseEther('0.5'));

    const failure = await simulatedFailure(payer, 'payEth', [recipients, amounts], sum(amounts));
    expect(failure).toEqual({ errorName: 'EthTransferFailed', args: [3n, rejector] });

    // Sent anyway, with a fixed gas limit (no estimation): mined, reverted, and nobody was paid.
    const receipt = await sendUnchecked(payer, 'payEth', [recipients, amounts], sum(amounts));
    expect(receipt.status).toBe('reverted');
    for (const recipient of recipients) expect(await publicClient.getBalance({ address: recipient })).toBe(0n);
  });

  test('a blocked token recipient reverts the whole batch with its index and the token reason', async () => {
    const payer = await funded();
    const recipients = newAddresses(8);
    const amounts = recipients.map(() => 3n * USDC);
    await send(tokenOwner, token, testUsdcAbi, 'mint', [payer.account.address, 100n * USDC]);
    await send(payer, token, testUsdcAbi, 'approve', [batch, maxUint256]);
    const blocked = recipients[5] as Address;
    await send(tokenOwner, token, testUsdcAbi, 'setBlocked', [blocked, true]);

    const failure = await simulatedFailure(payer, 'payToken', [token, recipients, amounts]);
    expect(failure.errorName).toBe('TokenTransferFailed');
    expect(failure.args.slice(0, 2)).toEqual([5n, blocked]);
    // The token's own error comes along, so the engine can tell a recipient problem from its own.
    expect(decodeErrorResult({ abi: testUsdcAbi, data: failure.args[2] as Hex })).toMatchObject({
      errorName: 'AccountBlocked',
      args: [blocked],
    });

    const receipt = await sendUnchecked(payer, 'payToken', [token, recipients, amounts]);
    expect(receipt.status).toBe('reverted');
    for (const recipient of recipients) expect(await balanceOf(token, recipient)).toBe(0n);
    expect(await balanceOf(token, payer.account.address)).toBe(100n * USDC);
  });

  test('the engine loop: simulate, drop the item the error names, repeat, then send only good items', async () => {
    const payer = await funded();
    const rejector = await deployFixture(payer, 'RejectEth');
    const good = newAddresses(5);
    const recipients = [rejector, ...good.slice(0, 3), rejector, ...good.slice(3)];
    const amounts = recipients.map((_, i) => parseEther('0.001') * BigInt(i + 1));

    let items = recipients.map((recipient, i) => ({ recipient, amount: amounts[i] as bigint }));
    const dropped: Address[] = [];
    for (;;) {
      const args = [items.map((item) => item.recipient), items.map((item) => item.amount)] as const;
      const value = sum(args[1]);
      const failure = await simulatedFailure(payer, 'payEth', args, value).catch((error: unknown) => {
        if (error instanceof NoRevertError) return null;
        throw error;
      });
      if (failure === null) break;
      expect(failure.errorName).toBe('EthTransferFailed');
      const index = Number(failure.args[0]);
      expect(items[index]?.recipient).toBe(failure.args[1]);
      dropped.push(failure.args[1] as Address);
      items = items.filter((_, i) => i !== index);
    }
    expect(dropped).toEqual([rejector, rejector]);
    await pay(
      payer,
      'payEth',
      [items.map((item) => item.recipient), items.map((item) => item.amount)],
      sum(items.map((item) => item.amount)),
    );
    for (const item of items) expect(await publicClient.getBalance({ address: item.recipient })).toBe(item.amount);
  });

  test('msg.value must equal the sum exactly; lengths must match; a batch must not be empty', async () => {
    const payer = await funded();
    const recipients = newAddresses(3);
    const amounts = [1n, 2n, parseEther('1')];
    const total = sum(amounts);

    expect(await simulatedFailure(payer, 'payEth', [recipients, amounts], total + 1n)).toEqual({
      errorName: 'ValueMismatch',
      args: [total + 1n, total],
    });
    // Too little: the last send runs out of ETH, and the error blames the value, not that recipient.
    expect(await simulatedFailure(payer, 'payEth', [recipients, amounts], total - 1n)).toEqual({
      errorName: 'ValueMismatch',
      args: [total - 1n, total],
    });
    expect(await simulatedFailure(payer, 'payEth', [recipients, amounts.slice(0, 2)], 3n)).toEqual({
      errorName: 'LengthMismatch',
      args: [3n, 2n],
    });
    expect(await simulatedFailure(payer, 'payToken', [token, recipients.slice(0, 1), amounts])).toEqual({
      errorName: 'LengthMismatch',
      args: [1n, 3n],
    });
    expect(await simulatedFailure(payer, 'payEth', [[], []], 0n)).toEqual({ errorName: 'EmptyBatch', args: [] });
    expect(await simulatedFailure(payer, 'payToken', [token, [], []])).toEqual({ errorName: 'EmptyBatch', args: [] });
    const notAToken = newAddresses(1)[0] as Address;
    expect(await simulatedFailure(payer, 'payToken', [notAToken, recipients, amounts])).toEqual({
      errorName: 'NotAContract',
      args: [notAToken],
    });

    // ETH forced into the contract (as selfdestruct or a block reward could) is never paid out.
    await createTestClient({ mode: 'anvil', chain, transport: http(rpcUrl) }).setBalance({ address: batch, value: parseEther('5') });
    try {
      expect(await simulatedFailure(payer, 'payEth', [recipients, amounts], 3n)).toEqual({ errorName: 'ValueMismatch', args: [3n, total] });
    } finally {
      await createTestClient({ mode: 'anvil', chain, transport: http(rpcUrl) }).setBalance({ address: batch, value: 0n });
    }

    // And on chain, not just in simulation: a short msg.value is mined as a revert that pays nobody.
    const receipt = await sendUnchecked(payer, 'payEth', [recipients, amounts], total - 1n);
    expect(receipt.status).toBe('reverted');
    for (const recipient of recipients) expect(await publicClient.getBalance({ address: recipient })).toBe(0n);
  });

  test("the payer's own shortfall is reported with the token's reason, so it is not blamed on a recipient", async () => {
    const payer = await funded();
    const recipients = newAddresses(4);
    const amounts = recipients.map(() => 10n * USDC);
    await send(tokenOwner, token, testUsdcAbi, 'mint', [payer.account.address, 25n * USDC]);
    await send(payer, token, testUsdcAbi, 'approve', [batch, maxUint256]);

    const failure = await simulatedFailure(payer, 'payToken', [token, recipients, amounts]);
    expect(failure.args.slice(0, 2)).toEqual([2n, recipients[2]]);
    expect(decodeErrorResult({ abi: testUsdcAbi, data: failure.args[2] as Hex })).toMatchObject({
      errorName: 'ERC20InsufficientBalance',
      args: [payer.account.address, 5n * USDC, 10n * USDC],
    });
  });

  test('a USDT-style token that returns nothing is paid through, item after item', async () => {
    const payer = await funded();
    const usdt = await deployFixture(payer, 'NoReturnToken');
    const { abi } = testContract('NoReturnToken');
    const recipients = newAddresses(5);
    const amounts = recipients.map((_, i) => BigInt(i + 1) * 1_000n);
    await send(payer, usdt, abi, 'mint', [payer.account.address, sum(amounts)]);
    await send(payer, usdt, abi, 'approve', [batch, sum(amounts)]);

    await pay(payer, 'payToken', [usdt, recipients, amounts]);
    for (const [i, recipient] of recipients.entries()) expect(await readBalance(usdt, abi, recipient)).toBe(amounts[i]);
    expect(await readBalance(usdt, abi, payer.account.address)).toBe(0n);

    // Its failures are reverts ("allowance" is used up now), reported with the index and Error(string).
    const failure = await simulatedFailure(payer, 'payToken', [usdt, recipients.slice(0, 1), [1n]]);
    expect(failure.args.slice(0, 2)).toEqual([0n, recipients[0]]);
    expect(decodeErrorResult({ abi: [], data: failure.args[2] as Hex })).toMatchObject({ errorName: 'Error', args: ['allowance'] });
  });

  test('a token that returns false instead of reverting fails the batch at that item', async () => {
    const payer = await funded();
    const falsy = await deployFixture(payer, 'FalseReturnToken');
    const { abi } = testContract('FalseReturnToken');
    const recipients = newAddresses(4);
    const amounts = [5n, 6n, 7n, 8n];
    await send(payer, falsy, abi, 'mint', [payer.account.address, 100n]);
    await send(payer, falsy, abi, 'approve', [batch, 5n + 6n + 7n]); // one short: item 3 returns false

    const failure = await simulatedFailure(payer, 'payToken', [falsy, recipients, amounts]);
    expect(failure).toEqual({ errorName: 'TokenTransferFailed', args: [3n, recipients[3], `0x${'0'.repeat(64)}`] });

    // Without the bad item, the true-returning calls go through.
    await pay(payer, 'payToken', [falsy, recipients.slice(0, 3), amounts.slice(0, 3)]);
    for (const [i, recipient] of recipients.slice(0, 3).entries()) expect(await readBalance(falsy, abi, recipient)).toBe(amounts[i]);
  });
});

// ---------------------------------------------------------------------------------------------

type Wallet = ReturnType<typeof walletFor>;
type BatchFunction = 'payEth' | 'payToken';

class NoRevertError extends Error {}

function walletFor(key: Hex) {
  return createWalletClient({ account: privateKeyToAccount(key), chain, transport: http(rpcUrl), pollingInterval: 200 });
}

async function fundedKey(): Promise<Hex> {
  const key = generatePrivateKey();
  await createTestClient({ mode: 'anvil', chain, transport: http(rpcUrl) }).setBalance({
    address: privateKeyToAccount(key).address,
    value: parseEther('1000'),
  });
  return key;
}

async function funded(): Promise<Wallet> {
  return walletFor(await fundedKey());
}

/** Random addresses that have never held anything. */
function newAddresses(count: number): Address[] {
  return Array.from({ length: count }, () => getAddress(toHex(randomBytes(20))));
}

function sum(values: readonly bigint[]): bigint {
  return values.reduce((total, value) => total + value, 0n);
}

async function balanceOf(tokenAddress: Address, holder: Address): Promise<bigint> {
  return publicClient.readContract({ address: tokenAddress, abi: testUsdcAbi, functionName: 'balanceOf', args: [holder] });
}

async function readBalance(tokenAddress: Address, abi: Abi, holder: Address): Promise<bigint> {
  return (await publicClient.readContract({ address: tokenAddress, abi, functionName: 'balanceOf', args: [holder] })) as bigint;
}

async function deployFixture(wallet: Wallet, name: TestContractName): Promise<Address> {
  const { abi, bytecode } = testContract(name);
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await wallet.deployContract({ abi, bytecode }) });
  expect(receipt.status).toBe('success');
  return getAddress(receipt.contractAddress as Address);
}

/** Simulates, sends and waits for success. */
async function send(wallet: Wallet, address: Address, abi: Abi, functionName: string, args: readonly unknown[], value?: bigint) {
  const { request } = await publicClient.simulateContract({ account: wallet.account, address, abi, functionName, args, value } as never);
  const hash = await wallet.writeContract(request as never);
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  expect(receipt.status).toBe('success');
  return receipt;
}

function pay(wallet: Wallet, functionName: BatchFunction, args: readonly unknown[], value?: bigint): Promise<TransactionReceipt> {
  return send(wallet, batch, batchTransferAbi as Abi, functionName, args, value);
}

/** Sends without simulating or estimating (a fixed gas limit), as if simulation had been skipped; returns the receipt. */
async function sendUnchecked(wallet: Wallet, functionName: BatchFunction, args: readonly unknown[], value?: bigint) {
  const hash = await wallet.writeContract({ address: batch, abi: batchTransferAbi, functionName, args, value, gas: 1_000_000n } as never);
  return publicClient.waitForTransactionReceipt({ hash });
}

/** The custom error a batch call reverts with in simulation (eth_call), decoded; throws NoRevertError if it would succeed. */
async function simulatedFailure(
  wallet: Wallet,
  functionName: BatchFunction,
  args: readonly unknown[],
  value?: bigint,
): Promise<{ errorName: string; args: readonly unknown[] }> {
  try {
    await publicClient.simulateContract({
      account: wallet.account,
      address: batch,
      abi: batchTransferAbi,
      functionName,
      args,
      value,
    } as never);
  } catch (error) {
    const reverted = error instanceof BaseError ? error.walk((e) => e instanceof ContractFunctionRevertedError) : null;
    if (reverted instanceof ContractFunctionRevertedError && reverted.data?.errorName) {
      return { errorName: reverted.data.errorName, args: reverted.data.args ?? [] };
    }
    throw error;
  }
  throw new NoRevertError(`${functionName} would not revert`);
}
