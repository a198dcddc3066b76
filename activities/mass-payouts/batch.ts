/** Batch mode: the treasury's allowance to BatchTransfer, and each chunk simulated, split and signed as one call. */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { encodeFunctionData, erc20Abi, maxUint256, type Address } from 'viem';
import { batchTransferAbi } from '../../contracts/artifacts/BatchTransfer';
import { allowanceDeliveryId, batchDeliveryId } from '../../domain/mass-payout';
import { decimalToBigint, type Db } from '../../lib/db';
import type { DeliveryCall } from '../delivery/sign';
import { revertCause } from './revert-cause';
import type { MassShared } from './shared';
import { deliverySigner } from './sign';
import type { ChunkPrepareResult } from './types';

/** Heartbeats when run as an activity (a killed worker's attempt is then retried within the heartbeat timeout). */
function heartbeat(details: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // not in an activity (a test calling the function directly)
  }
}

interface ItemRow {
  seq: number;
  address: string;
  amount: string;
}

export function batchChunkActivities(shared: MassShared) {
  const { db, registry, chains, treasuryOf, loadMass, batchContract } = shared;
  const signDelivery = deliverySigner(shared);

  return {
    /**
     * ERC-20 batches move tokens with transferFrom, so the treasury approves BatchTransfer once.
     * Unlimited is safe here: the contract only ever moves the caller's own tokens, so only the
     * treasury's own transactions can spend the allowance. Returns the delivery to send, if any.
     */
    async ensureBatchAllowance(massPayoutId: string): Promise<{ deliveryId: string | null }> {
      const deliveryId = allowanceDeliveryId(massPayoutId);
      if (await db.chainTransaction.findUnique({ where: { payoutId: deliveryId } })) return { deliveryId };
      const mass = await loadMass(massPayoutId);
      const treasury = treasuryOf(mass.network);
      const asset = registry.asset(mass.network, mass.asset);
      const contract = await batchContract(mass.network);
      if (asset.kind !== 'erc20' || !contract || mass.deliveryMode !== 'batch') return { deliveryId: null };
      const client = chains.client(mass.network);
      const allowance = await client.readContract({
        address: asset.contractAddress!,
        abi: erc20Abi,
        functionName: 'allowance',
        args: [treasury, contract],
      });
      if (allowance >= decimalToBigint(mass.totalAmount)!) return { deliveryId: null };
      const call: DeliveryCall = {
        to: asset.contractAddress!,
        value: 0n,
        data: encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [contract, maxUint256] }),
      };
      const gasEstimate = await client.estimateGas({ account: treasury, ...call });
      const signed = await signDelivery({
        network: mass.network,
        deliveryId,
        call,
        gasEstimate,
        delivery: { massPayoutId, chunkIndex: -1, mode: 'allowance', itemCount: 0, totalUnits: 0n },
      });
      if (!signed.ok) throw ApplicationFailure.retryable(signed.failure.reason, signed.failure.code);
      return { deliveryId };
    },

    /**
     * Batch mode: simulates the chunk's BatchTransfer call; an item that would revert (a blocked
     * holder, a contract that rejects ETH) is split out and failed with its reason, and the rest
     * simulated again until the call goes through. Then signs it with its own nonce and, in the same
     * database transaction, marks the items it pays `processing`. Already signed: returns it.
     */
    async prepareBatchChunk(massPayoutId: string, chunkIndex: number): Promise<ChunkPrepareResult> {
      const deliveryId = batchDeliveryId(massPayoutId, chunkIndex);
      const existing = await db.massPayoutDelivery.findUnique({ where: { id: deliveryId } });
      if (existing) return { ok: true, deliveryId, items: existing.itemCount, splitOut: 0 };
      const mass = await loadMass(massPayoutId);
      const treasury = treasuryOf(mass.network);
      const asset = registry.asset(mass.network, mass.asset);
      const contract = await batchContract(mass.network);
      if (!contract) throw ApplicationFailure.nonRetryable(`BatchTransfer is not deployed on ${mass.network}`, 'no_batch_contract');
      const items = await db.$queryRaw<ItemRow[]>`
        SELECT seq, address, amount::text AS amount FROM mass_payout_items
        WHERE mass_payout_id = ${massPayoutId} AND chunk_index = ${chunkIndex} AND status = 'in_progress' AND delivery_id IS NULL
        ORDER BY seq`;
      const client = chains.client(mass.network);
      const splitOut: { seq: number; reason: string }[] = [];
      let paying = items;
      let gasEstimate = 0n;
      const callFor = (rows: ItemRow[]): DeliveryCall => {
        const recipients = rows.map((row) => row.address as Address);
        const amounts = rows.map((row) => BigInt(row.amount));
        return asset.kind === 'native'
          ? {
              to: contract,
              value: amounts.reduce((sum, units) => sum + units, 0n),
              data: encodeFunctionData({ abi: batchTransferAbi, functionName: 'payEth', args: [recipients, amounts] }),
            }
          : {
              to: contract,
              value: 0n,
              data: encodeFunctionData({
                abi: batchTransferAbi,
                functionName: 'payToken',
                args: [asset.contractAddress!, recipients, amounts],
              }),
            };
      };
      while (paying.length > 0) {
        heartbeat({ chunkIndex, simulating: paying.length, splitOut: splitOut.length });
        const recipients = paying.map((row) => row.address as Address);
        const amounts = paying.map((row) => BigInt(row.amount));
        try {
          gasEstimate =
            asset.kind === 'native'
              ? await client.estimateContractGas({
                  account: treasury,
                  address: contract,
                  abi: batchTransferAbi,
                  functionName: 'payEth',
                  args: [recipients, amounts],
                  value: amounts.reduce((sum, units) => sum + units, 0n),
                })
              : await client.estimateContractGas({
                  account: treasury,
                  address: contract,
                  abi: batchTransferAbi,
                  functionName: 'payToken',
                  args: [asset.contractAddress!, recipients, amounts],
                });
          break;
        } catch (error) {
          const cause = revertCause(error, treasury, registry.nativeAsset(mass.network).symbol);
          if (!cause) throw error; // RPC trouble: retry
          if (cause.kind === 'payer') {
            return {
              ok: false,
              failure: {
                code: 'insufficient_funds',
                reason: `the treasury cannot pay chunk ${chunkIndex}: ${cause.reason}; fund the treasury and the mass payout resumes`,
              },
            };
          }
          if (cause.kind === 'other' || cause.index >= paying.length) {
            throw ApplicationFailure.retryable(`chunk ${chunkIndex} simulation reverted: ${cause.reason}`, 'batch_simulation_reverted');
          }
          splitOut.push({ seq: paying[cause.index]!.seq, reason: cause.reason });
          paying = paying.filter((_, index) => index !== cause.index);
        }
      }
      const failSplitOut = async (tx: Parameters<Parameters<Db['$transaction']>[0]>[0]) => {
        for (const item of splitOut) {
          await tx.massPayoutItem.updateMany({
            where: { massPayoutId, seq: item.seq, status: 'in_progress', deliveryId: null },
            data: { status: 'failed', failureCode: 'simulation_reverted', failureReason: item.reason, updatedAt: new Date() },
          });
        }
      };
      if (paying.length === 0) {
        await db.$transaction(failSplitOut, { timeout: 30_000, maxWait: 30_000 });
        return { ok: true, deliveryId: null, items: 0, splitOut: splitOut.length };
      }
      const call = callFor(paying);
      const total = paying.reduce((sum, row) => sum + BigInt(row.amount), 0n);
      const signed = await signDelivery({
        network: mass.network,
        deliveryId,
        call,
        gasEstimate,
        delivery: { massPayoutId, chunkIndex, mode: 'batch', itemCount: paying.length, totalUnits: total },
        also: async (tx, txHash) => {
          await tx.$executeRaw`
            UPDATE mass_payout_items SET status = 'processing', delivery_id = ${deliveryId}, tx_hash = ${txHash}, updated_at = now()
            WHERE mass_payout_id = ${massPayoutId} AND seq = ANY(${paying.map((row) => row.seq)}::int[])`;
          await failSplitOut(tx);
        },
      });
      if (!signed.ok) return signed;
      return { ok: true, deliveryId, items: paying.length, splitOut: splitOut.length };
    },
  };
}
