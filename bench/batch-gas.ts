/**
 * Benchmark: gas per recipient of a BatchTransfer batch (contracts/BatchTransfer.sol), ETH and ERC-20, to
 * recipients that have never held a balance (the expensive case: a new account, or a zero-to-non-zero
 * balance slot), against one plain transfer per recipient and against the GasliteDrop and Disperse
 * algorithms run on the same chain and token (contracts/test/BatchReferences.sol).
 *
 * Prints the table, a linear fit (fixed + per-recipient gas, from the 500 and 1,000 batches) and the
 * largest batch that fits in 30M, 15M and 2^24 (EIP-7825's per-transaction cap) gas, each checked by
 * sending a batch of exactly that size. contracts/batch-size.ts keeps the fit as MEASURED_BATCH_GAS.
 *
 * Starts its own anvil (automine; startAnvil leaves anvil's default 30,000,000 block gas limit, which is
 * checked) on a free port, logs under .data/bench-batch-gas-*, and stops it at the end, on Ctrl-C and on
 * errors. A 1,000-recipient ETH batch needs more than 30M gas, so the bench raises the block gas limit
 * (evm_setBlockGasLimit) for the rows that need it and says so. About a minute.
 *
 *   npx tsx bench/batch-gas.ts
 *
 * Knobs (env): BENCH_SIZES [1,10,100,500,1000], BENCH_KEEP_DATA=1 keeps .data/bench-batch-gas-* (anvil's log).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  defineChain,
  getAddress,
  http,
  maxUint256,
  parseEther,
  toHex,
  type Abi,
  type Address,
  type Hex,
  type TransactionReceipt,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { batchTransferAbi } from '../contracts/artifacts/BatchTransfer';
import { testUsdcAbi } from '../contracts/artifacts/TestUSDC';
import { deployBatchTransfer } from '../contracts/batch-deploy';
import { MEASURED_BATCH_GAS, TX_GAS_LIMIT_CAP, maxRecipientsPerBatch, type BatchGasCost, type BatchKind } from '../contracts/batch-size';
import { deployTestToken } from '../contracts/deploy';
import { testContract } from '../contracts/test/fixtures';
import { startAnvil } from '../scripts/stack/anvil';
import { freePort } from '../scripts/stack/process';

const ROOT = path.join(__dirname, '..');
const SIZES = (process.env.BENCH_SIZES ?? '1,10,100,500,1000').split(',').map((size) => Number(size.trim()));
const BLOCK_GAS_LIMIT = 30_000_000n;
/** Raised limit for the rows that cannot fit in 30M (1,000 new ETH recipients need about 35M). */
const RAISED_GAS_LIMIT = 60_000_000n;
const LIMITS: [string, bigint][] = [
  ['30M', 30_000_000n],
  ['15M', 15_000_000n],
  ['2^24', TX_GAS_LIMIT_CAP],
];
/** GasliteDrop's published figures for 1,000 recipients (forge gas report, so execution gas only). */
const PUBLISHED = { erc20: { gaslite: 24_946, disperse: 25_747 }, eth: { gaslite: 34_400, disperse: 34_700 } };

type Method = 'batch' | 'gaslite' | 'disperse' | 'disperseSimple' | 'bare';

interface Row {
  kind: BatchKind;
  method: string;
  recipients: number;
  gasUsed: bigint;
  /** The transaction's calldata gas (4 per zero byte, 16 per other byte). */
  calldataGas: bigint;
  note?: string;
}

// ---------------------------------------------------------------- chain setup

async function setup(rpcUrl: string) {
  const transport = http(rpcUrl, { timeout: 60_000 });
  const chainId = await createPublicClient({ transport }).getChainId();
  const chain = defineChain({
    id: chainId,
    name: 'Anvil',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 50 });
  const testClient = createTestClient({ mode: 'anvil', chain, transport });

  const treasuryKey = generatePrivateKey();
  const treasury = privateKeyToAccount(treasuryKey);
  await testClient.setBalance({ address: treasury.address, value: parseEther('10000000') });
  const wallet = createWalletClient({ account: treasury, chain, transport, pollingInterval: 50 });

  const { address: token } = await deployTestToken({
    rpcUrl,
    deployerPrivateKey: treasuryKey,
    mintTo: [{ address: treasury.address, amount: 10n ** 15n * 10n ** 6n }],
  });
  const { address: batch } = await deployBatchTransfer({ rpcUrl, deployerPrivateKey: treasuryKey });
  const gaslite = await deploy(wallet, publicClient, 'GasliteDropReference');
  const disperse = await deploy(wallet, publicClient, 'DisperseReference');
  const bare = await deploy(wallet, publicClient, 'BareTransferFromLoop');
  // Approved once, unlimited: TestUSDC then never writes the allowance (see the finite-allowance row).
  for (const spender of [batch, gaslite, disperse, bare]) {
    await mined(
      publicClient,
      await wallet.writeContract({ address: token, abi: testUsdcAbi, functionName: 'approve', args: [spender, maxUint256] }),
    );
  }
  return { publicClient, testClient, wallet, treasury: treasury.address, token, batch, gaslite, disperse, bare };
}

type Ctx = Awaited<ReturnType<typeof setup>>;

async function deploy(
  wallet: Ctx['wallet'],
  publicClient: Ctx['publicClient'],
  name: 'GasliteDropReference' | 'DisperseReference' | 'BareTransferFromLoop',
) {
  const { abi, bytecode } = testContract(name);
  const receipt = await mined(publicClient, await wallet.deployContract({ abi, bytecode }));
  return getAddress(receipt.contractAddress as Address);
}

async function mined(publicClient: Ctx['publicClient'], hash: Hex): Promise<TransactionReceipt> {
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status === 'success') return receipt;
  // Replays the call on the parent block for the revert reason.
  const tx = await publicClient.getTransaction({ hash });
  const reason = await publicClient
    .call({ account: tx.from, to: tx.to, data: tx.input, value: tx.value, gas: tx.gas, blockNumber: receipt.blockNumber - 1n })
    .then(
      () => 'the replay succeeded',
      (error: unknown) => (error as Error).message.split('\n')[0],
    );
  throw new Error(`transaction ${hash} reverted (gas limit ${tx.gas}, used ${receipt.gasUsed}): ${reason}`);
}

// ---------------------------------------------------------------- inputs

/** Random 20-byte addresses: with overwhelming probability none has ever held ETH or a token balance. */
function newAddresses(count: number): Address[] {
  return Array.from({ length: count }, () => getAddress(toHex(randomBytes(20))));
}

/** Realistic, varied amounts: 0.001-1 ETH in gwei steps; 1-10,000 USDC in cents. Their nonzero bytes cost calldata. */
function amountsFor(kind: BatchKind, count: number): bigint[] {
  const random = (below: number) => BigInt(Math.floor(Math.random() * below));
  return Array.from({ length: count }, () =>
    kind === 'eth' ? (1_000_000n + random(999_000_000)) * 10n ** 9n : (100n + random(999_900)) * 10n ** 4n,
  );
}

function calldataGas(input: Hex): bigint {
  let gas = 0n;
  for (let i = 2; i < input.length; i += 2) gas += input.slice(i, i + 2) === '00' ? 4n : 16n;
  return gas;
}

// ---------------------------------------------------------------- measurements

/** Sends one batch with the given method and returns its receipt's gas. */
/** `gas`, when given, is the transaction's gas limit (no estimate): it proves the batch fits in that much gas. */
async function payBatch(ctx: Ctx, kind: BatchKind, method: Method, recipients: Address[], amounts: bigint[], gas?: bigint): Promise<Row> {
  const total = amounts.reduce((sum, amount) => sum + amount, 0n);
  const { wallet } = ctx;
  let hash: Hex;
  if (method === 'batch') {
    hash =
      kind === 'eth'
        ? await wallet.writeContract({
            address: ctx.batch,
            abi: batchTransferAbi,
            functionName: 'payEth',
            args: [recipients, amounts],
            value: total,
            gas,
          })
        : await wallet.writeContract({
            address: ctx.batch,
            abi: batchTransferAbi,
            functionName: 'payToken',
            args: [ctx.token, recipients, amounts],
            gas,
          });
  } else if (method === 'bare') {
    const { abi } = testContract('BareTransferFromLoop');
    hash = await wallet.writeContract({ address: ctx.bare, abi, functionName: 'pay', args: [ctx.token, recipients, amounts] } as never);
  } else {
    const address = method === 'gaslite' ? ctx.gaslite : ctx.disperse;
    const abi = testContract(method === 'gaslite' ? 'GasliteDropReference' : 'DisperseReference').abi;
    const call: { functionName: string; args: unknown[]; value?: bigint } =
      method === 'gaslite'
        ? kind === 'eth'
          ? { functionName: 'airdropETH', args: [recipients, amounts], value: total }
          : { functionName: 'airdropERC20', args: [ctx.token, recipients, amounts, total] }
        : kind === 'eth'
          ? { functionName: 'disperseEther', args: [recipients, amounts], value: total }
          : { functionName: method === 'disperse' ? 'disperseToken' : 'disperseTokenSimple', args: [ctx.token, recipients, amounts] };
    hash = await wallet.writeContract({ address, abi: abi as Abi, ...call } as never);
  }
  const receipt = await mined(ctx.publicClient, hash);
  const tx = await ctx.publicClient.getTransaction({ hash });
  await verifyPaid(ctx, kind, recipients, amounts);
  return {
    kind,
    method: METHOD_LABEL[method],
    recipients: recipients.length,
    gasUsed: receipt.gasUsed,
    calldataGas: calldataGas(tx.input),
  };
}

const METHOD_LABEL: Record<Method, string> = {
  batch: 'BatchTransfer',
  gaslite: 'GasliteDrop algorithm',
  disperse: 'Disperse disperseToken/Ether',
  disperseSimple: 'Disperse disperseTokenSimple',
  bare: 'bare transferFrom loop (floor)',
};

/** Spot-checks the first and last recipient: a benchmark of a batch that paid nobody would be meaningless. */
async function verifyPaid(ctx: Ctx, kind: BatchKind, recipients: Address[], amounts: bigint[]): Promise<void> {
  for (const i of [0, recipients.length - 1]) {
    const balance =
      kind === 'eth'
        ? await ctx.publicClient.getBalance({ address: recipients[i] as Address })
        : await ctx.publicClient.readContract({
            address: ctx.token,
            abi: testUsdcAbi,
            functionName: 'balanceOf',
            args: [recipients[i] as Address],
          });
    if (balance < (amounts[i] as bigint)) throw new Error(`recipient ${i} (${recipients[i]}) was not paid`);
  }
}

/** The median of three single transfers (one transaction each) to new addresses. */
async function singleTransfer(ctx: Ctx, kind: BatchKind): Promise<Row> {
  const rows: Row[] = [];
  for (let i = 0; i < 3; i++) {
    const [to] = newAddresses(1) as [Address];
    const [amount] = amountsFor(kind, 1) as [bigint];
    const hash =
      kind === 'eth'
        ? await ctx.wallet.sendTransaction({ to, value: amount })
        : await ctx.wallet.writeContract({ address: ctx.token, abi: testUsdcAbi, functionName: 'transfer', args: [to, amount] });
    const receipt = await mined(ctx.publicClient, hash);
    const tx = await ctx.publicClient.getTransaction({ hash });
    rows.push({
      kind,
      method: kind === 'eth' ? 'plain ETH transfer tx' : 'TestUSDC transfer() tx',
      recipients: 1,
      gasUsed: receipt.gasUsed,
      calldataGas: calldataGas(tx.input),
    });
  }
  rows.sort((a, b) => Number(a.gasUsed - b.gasUsed));
  return rows[1] as Row;
}

/** Raises the block gas limit while `run` needs more than 30M, then puts it back. */
async function withGasLimit<T>(ctx: Ctx, limit: bigint, run: () => Promise<T>): Promise<T> {
  if (limit === BLOCK_GAS_LIMIT) return run();
  await ctx.testClient.setBlockGasLimit({ gasLimit: limit });
  await ctx.testClient.mine({ blocks: 1 }); // the new limit applies from the next block
  try {
    return await run();
  } finally {
    await ctx.testClient.setBlockGasLimit({ gasLimit: BLOCK_GAS_LIMIT });
    await ctx.testClient.mine({ blocks: 1 });
  }
}

/** Estimated gas of a batch: whether it fits in a 30M block decides whether the row needs the raised limit. */
function fitsIn30M(kind: BatchKind, count: number): boolean {
  const guess: BatchGasCost = kind === 'eth' ? { fixed: 30_000n, perRecipient: 36_000n } : { fixed: 60_000n, perRecipient: 28_500n };
  return guess.fixed + guess.perRecipient * BigInt(count) <= BLOCK_GAS_LIMIT;
}

async function measure(ctx: Ctx, kind: BatchKind, method: Method, count: number): Promise<Row> {
  const recipients = newAddresses(count);
  const amounts = amountsFor(kind, count);
  const raise = !fitsIn30M(kind, count);
  const row = await withGasLimit(ctx, raise ? RAISED_GAS_LIMIT : BLOCK_GAS_LIMIT, () => payBatch(ctx, kind, method, recipients, amounts));
  if (row.gasUsed > BLOCK_GAS_LIMIT) row.note = 'does not fit in 30M: block limit raised';
  return row;
}

// ---------------------------------------------------------------- report

const fmt = (value: bigint | number) => value.toLocaleString('en-US');
const perRecipient = (row: Row) => Number(row.gasUsed) / row.recipients;
/** Execution gas: the receipt minus the 21,000 intrinsic and the calldata, as a forge gas report counts. */
const execPerRecipient = (row: Row) => Number(row.gasUsed - 21_000n - row.calldataGas) / row.recipients;

function table(headers: string[], rows: string[][], rightAligned: boolean[]): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => (rightAligned[i] ? cell.padStart(widths[i] as number) : cell.padEnd(widths[i] as number))).join(' | ')} |`;
  const rule = `| ${widths.map((width, i) => (rightAligned[i] ? `${'-'.repeat(width - 1)}:` : `:${'-'.repeat(width - 1)}`)).join(' | ')} |`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

function printRows(rows: Row[]): void {
  console.log(
    table(
      ['kind', 'method', 'recipients', 'tx gas', 'gas/recipient', 'exec gas/recipient', 'note'],
      rows.map((row) => [
        row.kind === 'eth' ? 'ETH' : 'ERC-20',
        row.method,
        fmt(row.recipients),
        fmt(row.gasUsed),
        fmt(Math.round(perRecipient(row))),
        fmt(Math.round(execPerRecipient(row))),
        row.note ?? '',
      ]),
      [false, false, true, true, true, true, false],
    ),
  );
}

/** fixed + perRecipient * n through the two largest batches: the marginal cost of one more new recipient. */
function fit(rows: Row[]): BatchGasCost {
  const [a, b] = [...rows].sort((x, y) => x.recipients - y.recipients).slice(-2) as [Row, Row];
  const perRecipient = (b.gasUsed - a.gasUsed + BigInt(b.recipients - a.recipients) - 1n) / BigInt(b.recipients - a.recipients);
  return { fixed: b.gasUsed - perRecipient * BigInt(b.recipients), perRecipient };
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const runDir = fs.mkdtempSync(path.join(ROOT, '.data', 'bench-batch-gas-'));
  let failed = false;
  const port = await freePort();
  const anvil = await startAnvil({
    port,
    chainId: 31337,
    logFile: path.join(runDir, 'anvil.log'),
    log: (message) => console.log(`[bench] ${message}`),
  });
  const stop = async () => {
    await anvil.stop().catch(() => undefined);
    if (!failed && !process.env.BENCH_KEEP_DATA) fs.rmSync(runDir, { recursive: true, force: true });
  };
  process.on('SIGINT', () => void stop().then(() => process.exit(130)));
  try {
    const ctx = await setup(anvil.rpcUrl);
    const block = await ctx.publicClient.getBlock();
    if (block.gasLimit !== BLOCK_GAS_LIMIT) throw new Error(`anvil's block gas limit is ${block.gasLimit}, expected ${BLOCK_GAS_LIMIT}`);
    console.log(`[bench] anvil ${anvil.rpcUrl}: automine, block gas limit ${fmt(block.gasLimit)}; sizes ${SIZES.join(', ')}`);

    const rows: Row[] = [];
    const batchRows: Record<BatchKind, Row[]> = { eth: [], erc20: [] };
    for (const kind of ['erc20', 'eth'] as const) {
      rows.push(await singleTransfer(ctx, kind));
      for (const count of SIZES) {
        const row = await measure(ctx, kind, 'batch', count);
        rows.push(row);
        batchRows[kind].push(row);
      }
      const references: Method[] = kind === 'eth' ? ['gaslite', 'disperse'] : ['gaslite', 'disperse', 'disperseSimple', 'bare'];
      for (const method of references) rows.push(await measure(ctx, kind, method, Math.max(...SIZES)));
    }

    // Context rows: the same 1,000 recipients paid a second time (balances now non-zero), and a finite allowance.
    const largest = Math.max(...SIZES);
    for (const kind of ['erc20', 'eth'] as const) {
      const recipients = newAddresses(largest);
      const amounts = amountsFor(kind, largest);
      await withGasLimit(ctx, RAISED_GAS_LIMIT, () => payBatch(ctx, kind, 'batch', recipients, amounts));
      const again = await payBatch(ctx, kind, 'batch', recipients, amounts);
      rows.push({ ...again, method: 'BatchTransfer', note: 'recipients already funded' });
    }
    const amounts = amountsFor('erc20', largest);
    const total = amounts.reduce((sum, amount) => sum + amount, 0n);
    await mined(
      ctx.publicClient,
      await ctx.wallet.writeContract({ address: ctx.token, abi: testUsdcAbi, functionName: 'approve', args: [ctx.batch, total] }),
    );
    const finite = await payBatch(ctx, 'erc20', 'batch', newAddresses(largest), amounts);
    rows.push({ ...finite, note: 'finite allowance (decremented per item)' });
    await mined(
      ctx.publicClient,
      await ctx.wallet.writeContract({ address: ctx.token, abi: testUsdcAbi, functionName: 'approve', args: [ctx.batch, maxUint256] }),
    );

    console.log('\nGas per recipient (new recipients unless noted; tx gas includes the 21,000 intrinsic and calldata):\n');
    printRows(rows);
    console.log(
      `\nPublished for 1,000 recipients (forge, execution gas, another token): GasliteDrop ${fmt(PUBLISHED.erc20.gaslite)} ERC-20 / ` +
        `${fmt(PUBLISHED.eth.gaslite)} ETH; Disperse ${fmt(PUBLISHED.erc20.disperse)} / ${fmt(PUBLISHED.eth.disperse)}. ` +
        'Compare with the "exec gas/recipient" column, and with the same algorithms measured above on TestUSDC.',
    );

    console.log('\nFit (tx gas = fixed + perRecipient * n, through the two largest batches), and the largest batch per gas limit');
    console.log('from maxRecipientsPerBatch() with MEASURED_BATCH_GAS, each proven by a batch of that size sent with that gas limit:\n');
    const fitRows: string[][] = [];
    for (const kind of ['eth', 'erc20'] as const) {
      const cost = fit(batchRows[kind]);
      const constant = MEASURED_BATCH_GAS[kind];
      const cells = [kind, `${fmt(cost.fixed)} + ${fmt(cost.perRecipient)} n`, `${fmt(constant.fixed)} + ${fmt(constant.perRecipient)} n`];
      for (const [, limit] of LIMITS) {
        const n = maxRecipientsPerBatch(kind, limit);
        const fitted = `fit: ${fmt(maxRecipientsPerBatch(kind, limit, cost))}`;
        try {
          const proof = await payBatch(ctx, kind, 'batch', newAddresses(n), amountsFor(kind, n), limit);
          cells.push(`${fmt(n)} (${fitted}; used ${fmt(proof.gasUsed)})`);
        } catch (error) {
          failed = true;
          process.exitCode = 1;
          cells.push(`${fmt(n)} DOES NOT FIT (${fitted})`);
          console.error(`[bench] ${kind}, ${fmt(n)} recipients, gas limit ${fmt(limit)}: ${(error as Error).message}`);
        }
      }
      fitRows.push(cells);
    }
    console.log(
      table(['kind', 'measured fit', 'MEASURED_BATCH_GAS', ...LIMITS.map(([label]) => `max in ${label}`)], fitRows, [
        false,
        true,
        true,
        true,
        true,
        true,
      ]),
    );
  } catch (error) {
    failed = true;
    console.error(error);
    console.error(`[bench] anvil's log is kept in ${runDir}`);
    process.exitCode = 1;
  } finally {
    await stop();
  }
}

main();
