/**
 * Gathers what match.ts judges a payout on: its row, its signed attempts, its journal entries, and
 * what the chain holds for each of its transaction hashes (read now, by hash).
 */
import type { PublicClient } from 'viem';
import type { NetworkRegistry } from '../../domain/networks';
import type { PayoutStatus } from '../../domain/statuses';
import { decimalToBigint, type Db } from '../db';
import { mapConcurrent } from './concurrency';
import type { PayoutFacts } from './match';
import { minedTransaction } from './scan';
import type { ChainTransaction } from './types';

const RPC_CONCURRENCY = 4;

export interface FactsContext {
  db: Db;
  client: PublicClient;
  registry: NetworkRegistry;
  network: string;
  /** Lowercase. */
  wallet: string;
  head: bigint;
  safeHead: bigint;
  tokenSymbols: ReadonlyMap<string, string>;
}

const lower = (value: string | null) => (value === null ? null : value.toLowerCase());

export async function loadPayoutFacts(context: FactsContext, payoutIds: readonly string[]): Promise<PayoutFacts[]> {
  if (payoutIds.length === 0) return [];
  const { db } = context;
  const [payouts, attempts, entries] = await Promise.all([
    db.payout.findMany({ where: { id: { in: [...payoutIds] }, network: context.network }, orderBy: [{ updatedAt: 'asc' }, { id: 'asc' }] }),
    db.transactionAttempt.findMany({ where: { payoutId: { in: [...payoutIds] } }, orderBy: [{ payoutId: 'asc' }, { attempt: 'asc' }] }),
    db.journalEntry.findMany({ where: { payoutId: { in: [...payoutIds] } }, include: { postings: true } }),
  ]);

  const hashes = new Set<string>();
  for (const attempt of attempts) hashes.add(attempt.txHash.toLowerCase());
  for (const payout of payouts) if (payout.txHash) hashes.add(payout.txHash.toLowerCase());
  const onChain = new Map<string, ChainTransaction>();
  const found = await mapConcurrent([...hashes], RPC_CONCURRENCY, (hash) => minedTransaction(context.client, hash, context.wallet));
  for (const tx of found) if (tx) onChain.set(tx.hash, tx);

  return payouts.map((payout) => {
    const own = attempts.filter((attempt) => attempt.payoutId === payout.id);
    const mine = entries.filter((entry) => entry.payoutId === payout.id);
    const entry = (suffix: string) => mine.find((e) => e.id === `payout:${payout.id}:${suffix}`);
    const gas = entry('gas');
    const asset = context.registry.findAsset(payout.network, payout.asset);
    const relevant = [...own.map((a) => a.txHash.toLowerCase()), ...(payout.txHash ? [payout.txHash.toLowerCase()] : [])];
    return {
      payout: {
        id: payout.id,
        accountId: payout.accountId,
        status: payout.status as PayoutStatus,
        asset: payout.asset,
        amount: decimalToBigint(payout.amount)!,
        destination: payout.destination.toLowerCase(),
        txHash: lower(payout.txHash),
        blockNumber: payout.blockNumber,
        networkFee: decimalToBigint(payout.networkFee),
      },
      token: asset?.kind === 'erc20' ? asset.contractAddress!.toLowerCase() : null,
      wallet: context.wallet,
      attempts: own.map((attempt) => ({ hash: attempt.txHash.toLowerCase(), kind: attempt.kind as 'transfer' | 'cancel' })),
      chain: new Map(relevant.flatMap((hash) => (onChain.has(hash) ? [[hash, onChain.get(hash)!] as const] : []))),
      ledger: {
        reserved: entry('reserve') !== undefined,
        released: entry('release') !== undefined,
        settlement: entry('settle') ? { txHash: lower(entry('settle')!.txHash) } : null,
        // The entry moves the fee treasury -> network_gas: its positive side is the amount.
        gas: gas
          ? {
              amount: gas.postings.map((p) => decimalToBigint(p.amount)!).reduce((sum, units) => (units > 0n ? sum + units : sum), 0n),
              txHash: lower(gas.txHash),
            }
          : null,
      },
      head: context.head,
      safeHead: context.safeHead,
      tokenSymbols: context.tokenSymbols,
    };
  });
}
