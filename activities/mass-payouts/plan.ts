/** How the batch's items are cut into chunks, decided once and stored so every retry plans the same. */
import { ApplicationFailure } from '@temporalio/activity';
import { maxRecipientsPerBatch } from '../../contracts/batch-size';
import { SINGLE_MODE_CHUNK_ITEMS, type DeliveryMode } from '../../domain/mass-payout';
import { GAS_LIMIT_HEADROOM_PERCENT, type MassShared } from './shared';
import type { DeliveryPlan } from './types';

export function massPlanActivities(shared: MassShared) {
  const { db, registry, settings, loadMass, batchContract } = shared;

  return {
    /**
     * Cuts the items into chunks once: as many recipients per BatchTransfer call as the chunk gas
     * allows (with the 20% head-room every gas limit gets), or SINGLE_MODE_CHUNK_ITEMS items sent
     * one transaction each where the contract is not deployed. Stored, so a retry plans the same.
     */
    async planMassDelivery(massPayoutId: string): Promise<DeliveryPlan> {
      const mass = await loadMass(massPayoutId);
      if (mass.deliveryMode && mass.chunkCount !== null) {
        const size = await db.$queryRaw<{ size: number }[]>`
          SELECT COUNT(*)::int AS size FROM mass_payout_items WHERE mass_payout_id = ${massPayoutId} AND chunk_index = 0`;
        return { mode: mass.deliveryMode as DeliveryMode, chunkCount: mass.chunkCount, chunkSize: size[0]?.size ?? 0 };
      }
      const asset = registry.asset(mass.network, mass.asset);
      const contract = await batchContract(mass.network);
      const mode: DeliveryMode = contract ? 'batch' : 'single';
      let chunkSize =
        mode === 'batch'
          ? maxRecipientsPerBatch(
              asset.kind === 'native' ? 'eth' : 'erc20',
              (settings.chunkGasLimit * 100n) / (100n + GAS_LIMIT_HEADROOM_PERCENT),
            )
          : SINGLE_MODE_CHUNK_ITEMS;
      if (settings.maxChunkItems > 0) chunkSize = Math.min(chunkSize, settings.maxChunkItems);
      if (chunkSize < 1)
        throw ApplicationFailure.nonRetryable(`MASS_PAYOUT_CHUNK_GAS ${settings.chunkGasLimit} fits no recipient`, 'bad_config');
      const chunkCount = Math.ceil(mass.itemCount / chunkSize);
      await db.$transaction(
        async (tx) => {
          await tx.$executeRaw`
            UPDATE mass_payout_items SET chunk_index = seq / ${chunkSize}::int WHERE mass_payout_id = ${massPayoutId}`;
          await tx.massPayout.update({ where: { id: massPayoutId }, data: { deliveryMode: mode, chunkCount } });
        },
        { timeout: 120_000, maxWait: 30_000 },
      );
      return { mode, chunkCount, chunkSize };
    },
  };
}
