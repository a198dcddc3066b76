/** What the chain decided, on the items and the ledger: each delivery settled, unsent items failed, the batch finalized. */
import { ApplicationFailure } from '@temporalio/activity';
import type { Hex } from 'viem';
import { deliveryGasEntry, massDeliverySettlementEntry, massReleaseEntry, type WalletAsset } from '../../domain/ledger';
import {
  massReservationKey,
  summarizeFinalStatus,
  type ItemCounts,
  type MassPayoutItemStatus,
  type MassPayoutStatus,
} from '../../domain/mass-payout';
import type { PayoutFailure } from '../../domain/payout';
import { decimalToBigint } from '../../lib/db';
import { evaluateBalanceAlert } from '../../lib/ledger/balance-alerts';
import { postEntry } from '../../lib/ledger/post';
import type { ConfirmationOutcome } from '../types';
import type { MassShared } from './shared';
import { massStatusLogged } from './state';
import type { DeliverySettlement, MassFinal } from './types';
import { transactionFee } from '../../domain/network-fee';

export function massSettleActivities(shared: MassShared) {
  const { db, chains, treasuryOf, thresholds, context, loadMass, nativeOf, outbox } = shared;

  async function itemCounts(massPayoutId: string): Promise<{ counts: ItemCounts; paidUnits: bigint }> {
    const rows = await db.$queryRaw<{ status: MassPayoutItemStatus; count: bigint; amount: string }[]>`
      SELECT status, COUNT(*) AS count, SUM(amount)::text AS amount FROM mass_payout_items
      WHERE mass_payout_id = ${massPayoutId} GROUP BY status`;
    const counts: ItemCounts = {};
    let paidUnits = 0n;
    for (const row of rows) {
      counts[row.status] = Number(row.count);
      if (row.status === 'completed') paidUnits = BigInt(row.amount);
    }
    return { counts, paidUnits };
  }

  return {
    /**
     * The chain decided a delivery: its items completed (or failed, if it reverted or its nonce
     * went to another transaction), what it paid settled out of the reservation, and the gas its
     * mined transaction cost posted. Idempotent: only a `signed` delivery changes.
     */
    async settleMassDelivery(deliveryId: string, outcome: ConfirmationOutcome): Promise<DeliverySettlement> {
      const delivery = await db.massPayoutDelivery.findUniqueOrThrow({ where: { id: deliveryId } });
      const mass = await loadMass(delivery.massPayoutId);
      const treasury = treasuryOf(mass.network);
      const native = nativeOf(mass.network);
      const receipt = outcome.chain
        ? await chains.client(mass.network).getTransactionReceipt({ hash: outcome.chain.txHash as Hex })
        : undefined;
      const paid = outcome.status === 'success' && outcome.kind !== 'cancel';
      const failure: PayoutFailure | undefined = paid
        ? undefined
        : outcome.status === 'nonce_conflict'
          ? {
              code: 'nonce_conflict',
              reason: `another transaction from the treasury used this delivery's nonce; the items were not paid by it`,
            }
          : outcome.refused
            ? {
                code: 'broadcast_refused',
                reason: `${outcome.refused}; the items were not paid: zero-value transaction ${outcome.chain?.txHash} filled the nonce`,
              }
            : {
                code: 'transaction_reverted',
                reason: `transaction ${outcome.chain?.txHash} reverted on chain; the items were not paid (gas was)`,
              };
      const result = await db.$transaction(
        async (tx) => {
          const { count } = await tx.massPayoutDelivery.updateMany({
            where: { id: deliveryId, state: 'signed' },
            data: {
              state: paid ? 'completed' : outcome.status === 'reverted' ? 'reverted' : 'failed',
              txHash: outcome.chain?.txHash ?? delivery.txHash,
              gasUsed: outcome.chain?.gasUsed ?? null,
              networkFee: outcome.chain?.networkFee ?? null,
              settledAt: new Date(),
            },
          });
          if (count === 0) return undefined;
          const total = decimalToBigint(delivery.totalAmount)!;
          const at: WalletAsset = { wallet: treasury, network: mass.network, asset: mass.asset };
          if (paid) {
            await tx.$executeRaw`
              UPDATE mass_payout_items SET status = 'completed', tx_hash = ${outcome.chain!.txHash}, updated_at = now()
              WHERE delivery_id = ${deliveryId} AND status = 'processing'`;
            if (total > 0n) {
              await postEntry(tx, massDeliverySettlementEntry(mass.id, deliveryId, at, total, outcome.chain!.txHash), context());
              // The hold shrinks by what left the wallet, so other payouts see the right free balance.
              // (The hold must stay positive: the last payment consumes it instead of zeroing it.)
              await tx.$executeRaw`
                UPDATE fund_reservations SET
                  amount = CASE WHEN amount > ${total.toString()}::numeric THEN amount - ${total.toString()}::numeric ELSE amount END,
                  state = CASE WHEN amount > ${total.toString()}::numeric THEN 'held' ELSE 'consumed' END,
                  updated_at = now()
                WHERE payout_id = ${massReservationKey(mass.id)} AND state = 'held'`;
            }
          } else {
            await tx.$executeRaw`
              UPDATE mass_payout_items SET status = 'failed', failure_code = ${failure!.code}, failure_reason = ${failure!.reason},
                updated_at = now()
              WHERE delivery_id = ${deliveryId} AND status = 'processing'`;
          }
          if (receipt) {
            const fee = transactionFee(receipt);
            const nativeAt: WalletAsset = { wallet: treasury, network: mass.network, asset: native.symbol };
            await postEntry(tx, deliveryGasEntry(mass.id, deliveryId, nativeAt, fee, receipt.transactionHash), context());
          }
          for (const symbol of new Set([mass.asset, native.symbol])) {
            await evaluateBalanceAlert(tx, { wallet: treasury, network: mass.network, asset: symbol }, thresholds);
          }
          if (delivery.mode !== 'allowance') {
            await outbox(tx, mass, `evt_${deliveryId}_settled`, 'mass_payout.progress', {
              mass_payout_id: mass.id,
              delivery_id: deliveryId,
              chunk_index: delivery.chunkIndex,
              items: delivery.itemCount,
              status: paid ? 'completed' : 'failed',
              tx_hash: outcome.chain?.txHash ?? null,
            });
          }
          return {
            completed: paid ? delivery.itemCount : 0,
            failed: paid ? 0 : delivery.itemCount,
            paidUnits: (paid ? total : 0n).toString(),
          };
        },
        { timeout: 30_000, maxWait: 30_000 },
      );
      // Settled before (a retry): report what the items say.
      if (result) return result;
      const items = await db.massPayoutItem.groupBy({ by: ['status'], where: { deliveryId }, _count: true });
      const completed = items.find((row) => row.status === 'completed')?._count ?? 0;
      return {
        completed,
        failed: items.find((row) => row.status === 'failed')?._count ?? 0,
        paidUnits: (completed > 0 ? decimalToBigint(delivery.totalAmount)! : 0n).toString(),
      };
    },

    /**
     * Fails the chunk's items not yet sent, with the reason (the treasury stayed short until
     * the funding timeout). Items already sent are not touched: the chain decides those.
     */
    async failUnsentChunkItems(massPayoutId: string, chunkIndex: number, failure: PayoutFailure): Promise<number> {
      const { count } = await db.massPayoutItem.updateMany({
        where: { massPayoutId, chunkIndex, status: 'in_progress', deliveryId: null },
        data: { status: 'failed', failureCode: failure.code, failureReason: failure.reason, updatedAt: new Date() },
      });
      return count;
    },

    /**
     * Every chunk is done: items never sent (the batch was canceled meanwhile) are canceled, the
     * unpaid part of the reservation is released, and the batch's status summarizes its items.
     */
    async finalizeMassPayout(massPayoutId: string, cancel?: { code: string; reason: string }): Promise<MassFinal> {
      const mass = await loadMass(massPayoutId);
      const treasury = treasuryOf(mass.network);
      const terminal = ['completed', 'partially_completed', 'failed', 'canceled', 'expired'];
      if (!terminal.includes(mass.status)) {
        const leftover = cancel ?? { code: 'not_sent', reason: 'the mass payout ended before this item was sent' };
        await db.massPayoutItem.updateMany({
          where: { massPayoutId, status: { in: ['pending_approval', 'in_progress'] }, deliveryId: null },
          data: {
            status: cancel ? 'canceled' : 'failed',
            failureCode: leftover.code,
            failureReason: leftover.reason,
            updatedAt: new Date(),
          },
        });
      }
      const { counts, paidUnits } = await itemCounts(massPayoutId);
      const unfinished = (counts.pending_approval ?? 0) + (counts.in_progress ?? 0) + (counts.processing ?? 0);
      if (unfinished > 0) throw ApplicationFailure.retryable(`${unfinished} items of ${massPayoutId} are not final yet`, 'items_not_final');
      const status = terminal.includes(mass.status) ? (mass.status as MassPayoutStatus) : summarizeFinalStatus(counts);
      const total = decimalToBigint(mass.totalAmount)!;
      const now = new Date();
      let finished = false;
      await db.$transaction(
        async (tx) => {
          const reservation = await tx.fundReservation.findUnique({ where: { payoutId: massReservationKey(massPayoutId) } });
          if (reservation) {
            if (reservation.state === 'held') {
              await tx.fundReservation.update({
                where: { payoutId: reservation.payoutId },
                data: { state: paidUnits > 0n ? 'consumed' : 'released', updatedAt: now },
              });
            }
            const at: WalletAsset = { wallet: treasury, network: mass.network, asset: mass.asset };
            // Fixed entry id: a retried finalize posts nothing more.
            if (total - paidUnits > 0n) await postEntry(tx, massReleaseEntry(massPayoutId, at, total - paidUnits), context());
            await evaluateBalanceAlert(tx, at, thresholds);
          }
          const { count } = await tx.massPayout.updateMany({
            where: { id: massPayoutId, status: { notIn: terminal } },
            data: { status, statusChangedAt: now, completedAt: now, attention: null },
          });
          if (count > 0) {
            finished = true;
            await outbox(tx, mass, `evt_${massPayoutId}_completed`, 'mass_payout.completed', {
              mass_payout_id: massPayoutId,
              status,
              counts,
              paid_amount: paidUnits.toString(),
              at: now.toISOString(),
            });
          }
        },
        { timeout: 30_000, maxWait: 30_000 },
      );
      if (finished) massStatusLogged(mass, status);
      return { status, counts, paidUnits: paidUnits.toString() };
    },
  };
}
