/**
 * Reads what one treasury wallet did on chain in a block range: every transaction it sent (native
 * transfers, token calls, anything else that used its nonce) and every ERC-20 Transfer out of it.
 *
 * There is no RPC index of transactions by sender, so the blocks holding the wallet's transactions
 * are found from its nonce: nonce(b) - nonce(a) transactions were sent in (a, b], and bisecting the
 * range on that count fetches only those blocks. A node without the historical state to answer
 * (pruned) makes the scan read every block of the range instead.
 */
import {
  erc20Abi,
  parseEventLogs,
  TransactionReceiptNotFoundError,
  type Address,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
} from 'viem';
import { mapConcurrent } from './concurrency';
import type { ChainTransaction, MinedCall, ScannedRange, TokenMovement, TokenTransferLog } from './types';
import { transactionFee } from '../../domain/network-fee';

const RPC_CONCURRENCY = 4;
/** How nodes say they pruned the state a historical read needs. */
export const NO_HISTORY =
  /missing trie node|historical state|state (is )?(not available|unavailable|pruned)|header not found|BlockOutOfRange|block .*out of range/i;
const transferEvent = erc20Abi.find((item) => item.type === 'event' && item.name === 'Transfer')!;

/**
 * The blocks in [from, to] in which an account's nonce went up, given its nonce after any block.
 * Bisects on the nonce count, so it reads about 2·k·log2(n) nonces for k such blocks among n.
 */
export function blocksWithSentTransactions(nonceAfter: (block: bigint) => Promise<number>, from: bigint, to: bigint): Promise<bigint[]> {
  return blocksWhereChanged((block) => (block < 0n ? Promise.resolve(0) : nonceAfter(block)), from, to);
}

/**
 * The blocks b in [from, to] where valueAfter(b) differs from valueAfter(b - 1) (valueAfter is also asked for
 * from - 1). Bisects, reading about 2·k·log2(n) values for k such blocks among n; a rise and a fall that cancel
 * out within a range are not seen, which is right for what it counts (the net change).
 */
export async function blocksWhereChanged<T extends number | bigint>(
  valueAfter: (block: bigint) => Promise<T>,
  from: bigint,
  to: bigint,
): Promise<bigint[]> {
  if (to < from) return [];
  const cache = new Map<bigint, Promise<T>>();
  const at = (block: bigint): Promise<T> => {
    let value = cache.get(block);
    if (!value) cache.set(block, (value = valueAfter(block)));
    return value;
  };
  const found: bigint[] = [];
  const visit = async (lo: bigint, hi: bigint, before: T, after: T): Promise<void> => {
    if (after === before) return;
    if (lo === hi) {
      found.push(lo);
      return;
    }
    const mid = (lo + hi) / 2n;
    const atMid = await at(mid);
    await visit(lo, mid, before, atMid);
    await visit(mid + 1n, hi, atMid, after);
  };
  await visit(from, to, await at(from - 1n), await at(to));
  return found;
}

const lower = (address: string | null | undefined) => (address ? address.toLowerCase() : null);

/** ERC-20 Transfer events in a receipt whose sender is `wallet`. */
export function tokenTransfersFrom(receipt: Pick<TransactionReceipt, 'logs'>, wallet: string): TokenMovement[] {
  const logs = parseEventLogs({ abi: erc20Abi, eventName: 'Transfer', logs: receipt.logs });
  return logs
    .filter((log) => lower(log.args.from) === wallet.toLowerCase())
    .map((log) => ({
      token: log.address.toLowerCase(),
      from: log.args.from.toLowerCase(),
      to: log.args.to.toLowerCase(),
      value: log.args.value,
      logIndex: log.logIndex,
    }));
}

/** A mined transaction with its receipt, or null when the chain does not have it. */
export async function minedTransaction(client: PublicClient, hash: string, wallet: string): Promise<ChainTransaction | null> {
  const mined = await minedCall(client, hash, wallet);
  if (!mined) return null;
  // The calldata stays out: scans hold many transactions, and only a batch check reads it.
  const { input: _input, ...transaction } = mined;
  return transaction;
}

/** The same with the transaction's calldata. */
export async function minedCall(client: PublicClient, hash: string, wallet: string): Promise<MinedCall | null> {
  if (!/^0x[0-9a-fA-F]{64}$/.test(hash)) return null;
  let receipt: TransactionReceipt;
  try {
    receipt = await client.getTransactionReceipt({ hash: hash as Hex });
  } catch (error) {
    if (error instanceof TransactionReceiptNotFoundError) return null;
    throw error;
  }
  const transaction = await client.getTransaction({ hash: hash as Hex });
  return {
    input: transaction.input,
    hash: receipt.transactionHash.toLowerCase(),
    blockNumber: receipt.blockNumber,
    from: receipt.from.toLowerCase(),
    to: lower(receipt.to),
    value: transaction.value,
    nonce: transaction.nonce,
    status: receipt.status === 'success' ? 'success' : 'reverted',
    fee: transactionFee(receipt),
    tokenTransfers: tokenTransfersFrom(receipt, wallet),
  };
}

/** Blocks in [from, to] holding the wallet's transactions: by nonce bisection, or all of them on a node without history. */
async function candidateBlocks(client: PublicClient, wallet: Address, from: bigint, to: bigint): Promise<bigint[]> {
  try {
    return await blocksWithSentTransactions((block) => client.getTransactionCount({ address: wallet, blockNumber: block }), from, to);
  } catch (error) {
    // Only a node that lacks the old state reads every block; any other failure is retried by the caller.
    if (!NO_HISTORY.test(error instanceof Error ? error.message : String(error))) throw error;
    const all: bigint[] = [];
    for (let block = from; block <= to; block++) all.push(block);
    return all;
  }
}

export interface ScanInput {
  wallet: Address;
  /** ERC-20 contracts whose Transfer events out of the wallet are searched. */
  tokens: Address[];
  from: bigint;
  to: bigint;
}

export async function scanWalletRange(client: PublicClient, input: ScanInput): Promise<ScannedRange> {
  const wallet = input.wallet.toLowerCase();
  const blocks = await candidateBlocks(client, input.wallet, input.from, input.to);
  const hashes = (
    await mapConcurrent(blocks, RPC_CONCURRENCY, async (blockNumber) => {
      const block = await client.getBlock({ blockNumber, includeTransactions: true });
      return block.transactions.filter((tx) => tx.from.toLowerCase() === wallet).map((tx) => tx.hash);
    })
  ).flat();
  const transactions = (await mapConcurrent(hashes, RPC_CONCURRENCY, (hash) => minedTransaction(client, hash, wallet))).filter(
    (tx): tx is ChainTransaction => tx !== null,
  );

  const tokenLogs: TokenTransferLog[] = [];
  for (const token of input.tokens) {
    const logs = await client.getLogs({
      address: token,
      event: transferEvent,
      args: { from: input.wallet },
      fromBlock: input.from,
      toBlock: input.to,
    });
    for (const log of logs) {
      tokenLogs.push({
        token: log.address.toLowerCase(),
        from: log.args.from!.toLowerCase(),
        to: log.args.to!.toLowerCase(),
        value: log.args.value!,
        logIndex: log.logIndex,
        txHash: log.transactionHash.toLowerCase(),
        blockNumber: log.blockNumber,
      });
    }
  }
  return { transactions, tokenLogs };
}
