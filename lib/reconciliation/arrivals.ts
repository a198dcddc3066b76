/**
 * What came into one treasury wallet in a block range at final depth, for the ledger (lib/ledger/deposits.ts):
 * - ERC-20: every Transfer of a registry token to the wallet from another address (a mint included), by
 *   transaction and log index;
 * - native: the blocks in which "balance + what the wallet's own transactions spent" changed. Only funds that
 *   came in (or left without a transaction) move it, so bisecting on it finds those blocks from a few balance
 *   reads. In each, the plain transfers to the wallet are named by transaction; what remains (a genesis
 *   allocation, an internal transfer from a contract, a node's cheat code) is named by its block.
 * A node without the historical state to read balances at old blocks makes the native part read every block of
 * the range instead; it then names the plain transfers only.
 */
import { erc20Abi, type Address, type PublicClient } from 'viem';
import type { Arrival } from '../../domain/ledger';
import { mapConcurrent } from './concurrency';
import { blocksWhereChanged, NO_HISTORY } from './scan';
import type { ChainTransaction } from './types';

const RPC_CONCURRENCY = 4;
const transferEvent = erc20Abi.find((item) => item.type === 'event' && item.name === 'Transfer')!;

export interface ArrivalScanInput {
  network: string;
  /** Lowercase. */
  wallet: string;
  nativeSymbol: string;
  tokens: { address: Address; symbol: string }[];
  from: bigint;
  to: bigint;
  /** Every transaction the wallet sent in [from, to] (scanWalletRange found them). */
  sent: readonly ChainTransaction[];
}

/** What the wallet's own transactions took out of its native balance, per block: the fee, and the value unless it came back. */
export function nativeSpentByBlock(wallet: string, sent: readonly ChainTransaction[]): Map<bigint, bigint> {
  const spent = new Map<bigint, bigint>();
  for (const tx of sent) {
    const value = tx.status === 'success' && tx.to !== wallet ? tx.value : 0n;
    spent.set(tx.blockNumber, (spent.get(tx.blockNumber) ?? 0n) + tx.fee + value);
  }
  return spent;
}

/** One native transfer into the wallet, as its transaction and receipt show it. */
export interface NativeTransferIn {
  hash: string;
  from: string;
  value: bigint;
  succeeded: boolean;
}

/** A block's native arrivals: each transfer in by transaction, and what they do not explain by block (signed). */
export function nativeArrivalsInBlock(
  input: Pick<ArrivalScanInput, 'network' | 'wallet' | 'nativeSymbol'>,
  blockNumber: bigint,
  change: bigint | null,
  transfers: readonly NativeTransferIn[],
): Arrival[] {
  const prefix = `deposit:${input.network}:${input.wallet}:${input.nativeSymbol}`;
  const named: Arrival[] = transfers
    .filter((transfer) => transfer.succeeded && transfer.value > 0n)
    .map((transfer) => ({
      id: `${prefix}:${transfer.hash}`,
      asset: input.nativeSymbol,
      units: transfer.value,
      blockNumber,
      txHash: transfer.hash,
      memo: `${input.nativeSymbol} deposit from ${transfer.from}`,
    }));
  if (change === null) return named;
  const rest = change - named.reduce((sum, arrival) => sum + arrival.units, 0n);
  if (rest === 0n) return named;
  const memo =
    rest > 0n
      ? `${input.nativeSymbol} arrived in block ${blockNumber} with no transfer to the wallet (genesis allocation, internal transfer or a node's cheat code)`
      : `${input.nativeSymbol} left the wallet in block ${blockNumber} with no transaction of its own (a node's cheat code)`;
  return [...named, { id: `${prefix}:block:${blockNumber}`, asset: input.nativeSymbol, units: rest, blockNumber, txHash: null, memo }];
}

export async function scanArrivals(client: PublicClient, input: ArrivalScanInput): Promise<Arrival[]> {
  const tokens = await tokenArrivals(client, input);
  const native = await nativeArrivals(client, input);
  return [...native, ...tokens];
}

async function tokenArrivals(client: PublicClient, input: ArrivalScanInput): Promise<Arrival[]> {
  const arrivals: Arrival[] = [];
  for (const token of input.tokens) {
    const logs = await client.getLogs({
      address: token.address,
      event: transferEvent,
      args: { to: input.wallet as Address },
      fromBlock: input.from,
      toBlock: input.to,
    });
    for (const log of logs) {
      const from = log.args.from!.toLowerCase();
      if (from === input.wallet) continue; // a transfer to itself moves nothing
      const hash = log.transactionHash.toLowerCase();
      arrivals.push({
        id: `deposit:${input.network}:${input.wallet}:${token.symbol}:${hash}:${log.logIndex}`,
        asset: token.symbol,
        units: log.args.value!,
        blockNumber: log.blockNumber,
        txHash: hash,
        memo: `${token.symbol} deposit from ${from}`,
      });
    }
  }
  return arrivals;
}

async function nativeArrivals(client: PublicClient, input: ArrivalScanInput): Promise<Arrival[]> {
  const address = input.wallet as Address;
  const spent = nativeSpentByBlock(input.wallet, input.sent);
  const spentUpTo = (block: bigint) => {
    let total = 0n;
    for (const [at, units] of spent) if (at <= block) total += units;
    return total;
  };
  const balances = new Map<bigint, Promise<bigint>>();
  const balanceAfter = (block: bigint): Promise<bigint> => {
    if (block < 0n) return Promise.resolve(0n);
    let balance = balances.get(block);
    if (!balance) balances.set(block, (balance = client.getBalance({ address, blockNumber: block })));
    return balance;
  };
  // Changes only where funds came in or left without one of the wallet's transactions.
  const receivedUpTo = async (block: bigint) => (await balanceAfter(block)) + spentUpTo(block);

  let blocks: bigint[];
  let change: ((block: bigint) => Promise<bigint>) | null;
  try {
    blocks = await blocksWhereChanged(receivedUpTo, input.from, input.to);
    change = async (block) => (await receivedUpTo(block)) - (await receivedUpTo(block - 1n));
  } catch (error) {
    if (!NO_HISTORY.test(error instanceof Error ? error.message : String(error))) throw error;
    blocks = [];
    for (let block = input.from; block <= input.to; block++) blocks.push(block);
    change = null;
  }
  const perBlock = await mapConcurrent(blocks, RPC_CONCURRENCY, async (blockNumber) => {
    const block = await client.getBlock({ blockNumber, includeTransactions: true });
    const candidates = block.transactions.filter(
      (tx) => tx.to?.toLowerCase() === input.wallet && tx.from.toLowerCase() !== input.wallet && tx.value > 0n,
    );
    const transfers = await mapConcurrent(candidates, RPC_CONCURRENCY, async (tx) => {
      const receipt = await client.getTransactionReceipt({ hash: tx.hash });
      return { hash: tx.hash.toLowerCase(), from: tx.from.toLowerCase(), value: tx.value, succeeded: receipt.status === 'success' };
    });
    return nativeArrivalsInBlock(input, blockNumber, change ? await change(blockNumber) : null, transfers);
  });
  return perBlock.flat();
}
