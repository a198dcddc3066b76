/**
 * A payout's own delivery steps: prepare (simulate, hold the gas, sign and store), the first broadcast, the cancel,
 * and the wait for what the wallet's owner (wallet-owner.ts) decided. Everything after the first broadcast (re-sends,
 * bumps, gap fills, finality) is the owner's.
 *
 * The exactly-once rule: a payout owns one nonce. The nonce and the first signed transfer are stored in the same
 * database transaction that allocates the nonce, before anything is broadcast. Every later variant (a fee bump, or
 * the zero-value cancellation to the treasury itself) reuses that nonce and is stored before it is sent. Retries only
 * ever re-send stored bytes. Since all variants share one nonce, at most one of them can be mined, so a worker killed
 * at any line can never cause a second transfer.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { encodeFunctionData, erc20Abi, type Address } from 'viem';
import { classifyRpcMessage } from '../../domain/failures';
import type { NetworkRegistry } from '../../domain/networks';
import type { PayoutFailure } from '../../domain/payout';
import { currentFees, maxNetworkFee, type ChainClients } from '../../lib/chain';
import { decimalToBigint, type Db } from '../../lib/db';
import type { TreasurySigners } from '../../lib/signer';
import { holdGas } from '../funds';
import { deliveryAttempts, errorText, nodeMessage } from './attempts';
import { signAndStoreDelivery } from './sign';
import { simulateDelivery } from './simulate';
import { verdictWatch, type VerdictRow } from './verdict-watch';
import type { CancellationResult, ConfirmationOutcome, FeeCeilingReached, PrepareResult } from '../types';

/** Head-room over the node's gas estimate, in percent (rounded up). */
const GAS_LIMIT_HEADROOM_PERCENT = 20n;

export function transferActivities(deps: { db: Db; registry: NetworkRegistry; chains: ChainClients; signers: TreasurySigners }) {
  const { db, registry, chains, signers } = deps;
  const { sendAttempt, addAttempt, findMined } = deliveryAttempts(deps);
  // The fastest network's poll interval: one read for all the waits of this worker.
  const verdicts = verdictWatch(db, Math.min(...registry.networks.map((network) => network.pollIntervalMs)));

  const loadTransaction = async (deliveryId: string) => {
    const transaction = await db.chainTransaction.findUnique({
      where: { payoutId: deliveryId },
      include: { attempts: { orderBy: { attempt: 'asc' } } },
    });
    if (!transaction) throw ApplicationFailure.nonRetryable(`payout ${deliveryId} has no prepared transaction`, 'not_prepared');
    return transaction;
  };

  return {
    async prepareTransfer(payoutId: string): Promise<PrepareResult> {
      const existing = await db.chainTransaction.findUnique({ where: { payoutId } });
      if (existing) return { ok: true, txHash: existing.txHash, nonce: existing.nonce.toString() };

      const payout = await db.payout.findUniqueOrThrow({ where: { id: payoutId } });
      const network = registry.network(payout.network);
      const treasury = signers.forNetwork(network.id).address;
      const asset = registry.asset(payout.network, payout.asset);
      const client = chains.client(payout.network);
      const amount = decimalToBigint(payout.amount)!;
      const destination = payout.destination as Address;
      const call =
        asset.kind === 'native'
          ? { to: destination, value: amount, data: undefined }
          : {
              to: asset.contractAddress!,
              value: 0n,
              data: encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [destination, amount] }),
            };

      // Simulate first, so a transfer that would revert fails here, before it costs gas.
      const simulation = await simulateDelivery(
        client,
        treasury,
        call,
        asset.kind === 'erc20' ? { address: asset.contractAddress!, to: destination, amount } : undefined,
      );
      if (!simulation.ok) {
        return { ok: false, failure: { code: 'simulation_reverted', reason: `the transfer would revert: ${simulation.reason}` } };
      }
      const gasEstimate = simulation.gasEstimate;
      const gasLimit = (gasEstimate * (100n + GAS_LIMIT_HEADROOM_PERCENT) + 99n) / 100n;
      const fees = await currentFees(client, network);
      // The worst case this transaction can cost, held before signing (the amount itself is already held).
      const worstFee = await maxNetworkFee(client, network, { ...call, gas: gasLimit, ...fees });
      const gas = await holdGas({ db, chains, registry, treasury }, payoutId, network.id, worstFee);
      if (!gas.ok) return gas;

      const signed = await signAndStoreDelivery({ db, chains, signers }, { deliveryId: payoutId, network, call, gasLimit, fees });
      return { ok: true, txHash: signed.txHash, nonce: signed.nonce };
    },

    /**
     * Releases the delivery to be sent and sends the latest stored attempt (the original, unless it was already
     * replaced), if its nonce is inside the network's in-flight window; otherwise the wallet's owner sends it once the
     * chain catches up. A refusal fills the nonce instead.
     */
    async broadcastTransfer(deliveryId: string): Promise<{ txHash: string; refused?: string; short?: PayoutFailure }> {
      const transaction = await loadTransaction(deliveryId);
      const latest = transaction.attempts[transaction.attempts.length - 1]!;
      if (transaction.state === 'signed') {
        if (transaction.releasedAt) return { txHash: latest.txHash }; // handed to the owner before: it sends it
        const minedCount = await chains
          .client(transaction.network)
          .getTransactionCount({ address: transaction.fromAddress as Address, blockTag: 'latest' });
        if (transaction.nonce >= BigInt(minedCount) + BigInt(registry.network(transaction.network).inFlightWindow)) {
          // Outside the window: released to the owner, which sends it once the chain catches up. Only then, so the
          // owner and this activity never both handle the same first send (a refusal, say).
          await db.chainTransaction.updateMany({ where: { payoutId: deliveryId, releasedAt: null }, data: { releasedAt: new Date() } });
          return { txHash: latest.txHash };
        }
      }
      if (transaction.state === 'signed' || transaction.state === 'broadcast') {
        const sent = await sendAttempt(deliveryId, transaction.network, latest).catch((error: unknown) => {
          if (classifyRpcMessage(errorText(error)) !== 'insufficient_funds') throw error;
          return { short: nodeMessage(error) };
        });
        if (typeof sent === 'object') {
          const short: PayoutFailure = {
            code: 'insufficient_gas',
            reason:
              `the node refused ${latest.txHash} for now: ${sent.short.slice(0, 200)}. The treasury ${transaction.fromAddress} ` +
              `no longer covers it (funds left the wallet outside the engine); fund it and the payout is sent`,
          };
          return { txHash: latest.txHash, short };
        }
        if (sent === 'refused') {
          const { refusedReason } = await db.chainTransaction.findUniqueOrThrow({ where: { payoutId: deliveryId } });
          return { txHash: latest.txHash, refused: refusedReason ?? undefined };
        }
      }
      return { txHash: latest.txHash };
    },

    /**
     * Cancels by replacement: a zero-value transaction to the treasury with the payout's nonce
     * and higher fees. Refused once any attempt is mined. Whether the payout ends canceled is
     * decided only by which attempt the chain keeps (awaitConfirmations).
     */
    async replaceWithCancellation(deliveryId: string): Promise<CancellationResult> {
      const transaction = await loadTransaction(deliveryId);
      const mined = await findMined(transaction.network, transaction.attempts);
      if (mined)
        return { sent: false, reason: `transaction ${mined.attempt.txHash} is already mined in block ${mined.receipt.blockNumber}` };
      const existing = transaction.attempts.find((attempt) => attempt.kind === 'cancel');
      const { network, attempt } = existing ? { network: transaction.network, attempt: existing } : await addAttempt(deliveryId, 'cancel');
      const sent = await sendAttempt(deliveryId, network, attempt);
      if (sent === 'nonce_used') {
        const minedNow = await findMined(transaction.network, transaction.attempts);
        if (minedNow) return { sent: false, reason: `transaction ${minedNow.attempt.txHash} was mined first` };
      }
      return { sent: true, txHash: attempt.txHash };
    },

    /**
     * Waits for what the wallet's owner decided: the attempt the chain kept at the network's depth, a fee ceiling or a
     * nonce used by none of ours. No RPC, however long finality takes, and one database read per poll for all the
     * waits of this worker (verdict-watch.ts).
     */
    async awaitConfirmations(
      deliveryId: string,
      options: { ceilingReported?: boolean; conflictReported?: boolean } = {},
    ): Promise<ConfirmationOutcome | FeeCeilingReached> {
      const context = Context.current();
      const isNews = (row: Omit<VerdictRow, 'payoutId'>) =>
        row.state === 'mined' ||
        row.state === 'reverted' ||
        (row.feeCeilingReason !== null && !options.ceilingReported) ||
        (row.nonceConflictAt !== null && !options.conflictReported);
      for (;;) {
        const seen = await db.chainTransaction.findUnique({
          where: { payoutId: deliveryId },
          select: { state: true, feeCeilingReason: true, nonceConflictAt: true },
        });
        if (!seen) throw ApplicationFailure.nonRetryable(`payout ${deliveryId} has no prepared transaction`, 'not_prepared');
        if (!isNews(seen)) {
          context.heartbeat({ state: seen.state });
          // Woken by the shared poll; at least every 5 s it heartbeats (and so learns of a cancellation) and reads again.
          await Promise.race([verdicts.wait(deliveryId, isNews, 5_000), context.cancelled]);
          continue;
        }
        const transaction = await loadTransaction(deliveryId);
        const attempts = transaction.attempts.length;
        if (transaction.state === 'mined' || transaction.state === 'reverted') {
          const kept = transaction.attempts.find((attempt) => attempt.txHash === transaction.minedTxHash)!;
          return {
            status: transaction.state === 'mined' ? 'success' : 'reverted',
            kind: kept.kind as 'transfer' | 'cancel',
            attempts,
            ...(kept.kind === 'cancel' && transaction.refusedReason ? { refused: transaction.refusedReason } : {}),
            chain: {
              txHash: kept.txHash,
              blockNumber: decimalToBigint(transaction.minedBlockNumber)!.toString(),
              confirmations: transaction.confirmations!,
              gasUsed: decimalToBigint(transaction.gasUsed)!.toString(),
              networkFee: decimalToBigint(transaction.networkFee)!.toString(),
            },
          };
        }
        if (transaction.feeCeilingReason && !options.ceilingReported)
          return { status: 'fee_ceiling', reason: transaction.feeCeilingReason, attempts };
        if (transaction.nonceConflictAt && !options.conflictReported) return { status: 'nonce_conflict', kind: 'transfer', attempts };
      }
    },
  };
}
