/**
 * Funds reservation: a payout holds its amount against the treasury wallet's on-chain
 * balance before anything is signed, so concurrent payouts cannot together overdraw it.
 * Serialized per (network, wallet, asset) with a transaction-scoped advisory lock.
 */
import { erc20Abi, type Address } from 'viem';
import { formatAmount } from '../domain/money';
import type { AssetDefinition } from '../domain/networks';
import type { NetworkRegistry } from '../domain/networks';
import type { ChainClients } from '../lib/chain';
import { decimalToBigint, type Db } from '../lib/db';
import type { ReserveResult } from './types';

export async function onChainBalance(chains: ChainClients, network: string, asset: AssetDefinition, wallet: Address): Promise<bigint> {
  const client = chains.client(network);
  if (asset.kind === 'native') return client.getBalance({ address: wallet });
  return client.readContract({ address: asset.contractAddress!, abi: erc20Abi, functionName: 'balanceOf', args: [wallet] });
}

export function fundsActivities(deps: { db: Db; registry: NetworkRegistry; chains: ChainClients; treasury: Address }) {
  const { db, registry, chains, treasury } = deps;
  return {
    async reserveFunds(payoutId: string): Promise<ReserveResult> {
      const payout = await db.payout.findUniqueOrThrow({ where: { id: payoutId } });
      // With a conversion the treasury is debited in another asset than it sends.
      const amount = decimalToBigint(payout.debitAmount ?? payout.amount)!;
      const asset = registry.asset(payout.network, payout.debitAsset ?? payout.asset);
      return db.$transaction(
        async (tx) => {
          await tx.$queryRaw`SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtext(${`funds:${payout.network}:${treasury}:${asset.symbol}`}))`;
          const existing = await tx.fundReservation.findUnique({ where: { payoutId } });
          if (existing) return { ok: true, reservedUnits: existing.amount.toFixed() } as const;

          const balance = await onChainBalance(chains, payout.network, asset, treasury);
          const held = await tx.fundReservation.aggregate({
            _sum: { amount: true },
            where: { network: payout.network, wallet: treasury, asset: asset.symbol, state: 'held' },
          });
          const heldUnits = decimalToBigint(held._sum.amount) ?? 0n;
          const available = balance - heldUnits;
          if (available < amount) {
            const show = (units: bigint) => `${formatAmount(units, asset.decimals)} ${asset.symbol}`;
            return {
              ok: false,
              failure: {
                code: 'insufficient_funds',
                reason:
                  `treasury ${treasury} on ${payout.network} has ${show(available < 0n ? 0n : available)} available ` +
                  `(${show(balance)} on chain, ${show(heldUnits)} held for other payouts) but this payout needs ${show(amount)}; ` +
                  `fund the treasury and create the payout again`,
              },
            } as const;
          }
          await tx.fundReservation.create({
            data: { payoutId, network: payout.network, asset: asset.symbol, wallet: treasury, amount: amount.toString(), state: 'held' },
          });
          return { ok: true, reservedUnits: amount.toString() } as const;
        },
        { timeout: 30_000, maxWait: 30_000 },
      );
    },

    /** Ends a hold: `consumed` once paid, `released` when the payout ends unpaid. Idempotent. */
    async settleReservation(payoutId: string, outcome: 'consumed' | 'released'): Promise<void> {
      await db.fundReservation.updateMany({ where: { payoutId, state: 'held' }, data: { state: outcome, updatedAt: new Date() } });
    },
  };
}
