/** Single mode, where BatchTransfer is not deployed: each item its own transfer, failing alone if it would revert. */
import { encodeFunctionData, erc20Abi, type Address } from 'viem';
import { singleDeliveryId } from '../../domain/mass-payout';
import { decimalToBigint } from '../../lib/db';
import type { DeliveryCall } from '../delivery/sign';
import { simulateDelivery } from '../delivery/simulate';
import type { MassShared } from './shared';
import { deliverySigner } from './sign';
import type { ChunkPrepareResult } from './types';

export function singleItemActivities(shared: MassShared) {
  const { db, registry, chains, treasuryOf, loadMass } = shared;
  const signDelivery = deliverySigner(shared);

  return {
    /** Single mode: the chunk's items still to send, in order. */
    async listChunkItems(massPayoutId: string, chunkIndex: number): Promise<number[]> {
      const rows = await db.massPayoutItem.findMany({
        where: { massPayoutId, chunkIndex, status: { in: ['in_progress', 'processing'] } },
        select: { seq: true },
        orderBy: { seq: 'asc' },
      });
      return rows.map((row) => row.seq);
    },

    /** Single mode: simulates and signs one item's own transfer; an item that would revert fails alone. */
    async prepareSingleItem(massPayoutId: string, seq: number): Promise<ChunkPrepareResult> {
      const deliveryId = singleDeliveryId(massPayoutId, seq);
      if (await db.massPayoutDelivery.findUnique({ where: { id: deliveryId } })) return { ok: true, deliveryId, items: 1, splitOut: 0 };
      const mass = await loadMass(massPayoutId);
      const treasury = treasuryOf(mass.network);
      const item = await db.massPayoutItem.findUniqueOrThrow({ where: { massPayoutId_seq: { massPayoutId, seq } } });
      if (item.status !== 'in_progress') return { ok: true, deliveryId: null, items: 0, splitOut: 0 };
      const asset = registry.asset(mass.network, mass.asset);
      const amount = decimalToBigint(item.amount)!;
      const to = item.address as Address;
      const call: DeliveryCall =
        asset.kind === 'native'
          ? { to, value: amount }
          : {
              to: asset.contractAddress!,
              value: 0n,
              data: encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [to, amount] }),
            };
      const client = chains.client(mass.network);
      const simulation = await simulateDelivery(
        client,
        treasury,
        call,
        asset.kind === 'erc20' ? { address: asset.contractAddress!, to, amount } : undefined,
      );
      if (!simulation.ok) {
        const { reason } = simulation;
        if (/Insufficient/.test(reason))
          return {
            ok: false,
            failure: { code: 'insufficient_funds', reason: `the treasury cannot pay item ${seq}: ${reason}; fund the treasury` },
          };
        await db.massPayoutItem.updateMany({
          where: { massPayoutId, seq, status: 'in_progress', deliveryId: null },
          data: { status: 'failed', failureCode: 'simulation_reverted', failureReason: `the transfer would revert: ${reason}` },
        });
        return { ok: true, deliveryId: null, items: 0, splitOut: 1 };
      }
      const gasEstimate = simulation.gasEstimate;
      const signed = await signDelivery({
        network: mass.network,
        deliveryId,
        call,
        gasEstimate,
        delivery: { massPayoutId, chunkIndex: item.chunkIndex ?? 0, mode: 'single', itemCount: 1, totalUnits: amount },
        also: async (tx, txHash) => {
          await tx.massPayoutItem.update({
            where: { massPayoutId_seq: { massPayoutId, seq } },
            data: { status: 'processing', deliveryId, txHash, updatedAt: new Date() },
          });
        },
      });
      if (!signed.ok) return signed;
      return { ok: true, deliveryId, items: 1, splitOut: 0 };
    },
  };
}
