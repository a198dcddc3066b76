/**
 * The stored attempts of a delivery's one nonce, and how they reach the node. Shared by the delivery's own
 * activities (first broadcast, cancel) and by the wallet's owner (re-sends, bumps, fills, finality).
 *
 * Every variant of a delivery (fee bumps, the zero-value cancellation to the wallet itself) reuses its nonce and is
 * stored before it is sent; sends only ever repeat stored bytes. So at most one variant can be mined.
 */
import { ApplicationFailure } from '@temporalio/activity';
import {
  BaseError,
  keccak256,
  parseTransaction,
  TransactionReceiptNotFoundError,
  type Address,
  type Hex,
  type TransactionReceipt,
} from 'viem';
import { classifyRpcMessage } from '../../domain/failures';
import { replacementFees, type Fees } from '../../domain/fees';
import type { NetworkRegistry } from '../../domain/networks';
import { isTerminal, type PayoutStatus } from '../../domain/statuses';
import type { Prisma } from '../../generated/prisma/client';
import { currentFees, finalBlock, type ChainClients } from '../../lib/chain';
import { decimalToBigint, type Db } from '../../lib/db';
import { signerOfDelivery, type TreasurySigners } from '../../lib/signer';

export const PLAIN_TRANSFER_GAS = 21_000n;

/** A write that only the wallet's current owner may make: checked inside the write's own database transaction. */
export interface Fence {
  check(tx: Prisma.TransactionClient): Promise<void>;
}

export const errorText = (error: unknown) =>
  error instanceof BaseError ? `${error.shortMessage} ${error.details ?? ''} ${error.message}` : String(error);

/** What the node itself said, without viem's request dump. */
export const nodeMessage = (error: unknown) => (error instanceof BaseError ? error.details || error.shortMessage : String(error));

/** The node refused a transaction outright; sending the same bytes again cannot help. */
class NodeRefused extends Error {
  constructor(txHash: Hex, text: string) {
    super(`the node refused transaction ${txHash}: ${text.slice(0, 200)}`);
  }
  get reason(): string {
    return this.message;
  }
}

export type StoredAttempt = { attempt: number; kind: string; rawTx: string; txHash: string };

export function deliveryAttempts(deps: { db: Db; registry: NetworkRegistry; chains: ChainClients; signers: TreasurySigners }) {
  const { db, registry, chains, signers } = deps;

  const receiptOf = (network: string, hash: Hex): Promise<TransactionReceipt | null> =>
    chains
      .client(network)
      .getTransactionReceipt({ hash })
      .catch((error) => {
        if (error instanceof TransactionReceiptNotFoundError) return null;
        throw error;
      });

  /** Sends stored bytes. "Already known" and nonce-too-low are settled by looking the hash up, never by failing. */
  async function sendRaw(network: string, rawTx: Hex, txHash: Hex): Promise<'sent' | 'known' | 'nonce_used'> {
    const client = chains.client(network);
    try {
      await client.sendRawTransaction({ serializedTransaction: rawTx });
      return 'sent';
    } catch (error) {
      const kind = classifyRpcMessage(errorText(error));
      if (kind === 'already_known') return 'known';
      if (kind === 'nonce_too_low' || kind === 'underpriced') {
        // Either this very transaction (or another attempt with our nonce) is already in, or
        // an attempt with higher fees sits in the mempool: the caller decides from receipts.
        const known = (await client.getTransaction({ hash: txHash }).catch(() => null)) ?? (await receiptOf(network, txHash));
        return known ? 'known' : 'nonce_used';
      }
      if (kind === 'terminal') throw new NodeRefused(txHash, nodeMessage(error));
      // A timeout or 5xx may hide a node that accepted the transaction before the answer was lost.
      if (await client.getTransaction({ hash: txHash }).catch(() => null)) return 'known';
      throw error; // retryable: timeouts, 5xx, rate limits, insufficient funds (until funded)
    }
  }

  /**
   * Sends a stored attempt of a delivery and records the broadcast. A transfer the node refuses is never sent again:
   * the refusal is stored for its owner and the nonce is filled with a same-nonce cancellation, so the wallet's later
   * nonces are not stuck behind a gap. The owner then fails with the node's reason once the cancellation is final.
   */
  async function sendAttempt(
    deliveryId: string,
    network: string,
    attempt: StoredAttempt,
    fence?: Fence,
  ): Promise<'sent' | 'known' | 'nonce_used' | 'refused'> {
    try {
      const sent = await sendRaw(network, attempt.rawTx as Hex, attempt.txHash as Hex);
      await markBroadcast(deliveryId, attempt.attempt);
      return sent;
    } catch (error) {
      if (!(error instanceof NodeRefused)) throw error;
      if (attempt.kind === 'cancel') {
        // Nothing cheaper can fill the nonce: retry (visibly, as a failing activity) until the node takes it.
        throw ApplicationFailure.retryable(`the node refused cancellation ${attempt.txHash}: ${error.reason}`, 'cancellation_refused');
      }
      await db.chainTransaction.updateMany({ where: { payoutId: deliveryId, refusedReason: null }, data: { refusedReason: error.reason } });
      // The delivery's activity and the wallet's owner may both meet the refusal: one cancellation fills the nonce.
      const { attempt: cancel } = await addAttempt(deliveryId, 'cancel', fence, { reuseCancel: true });
      await sendAttempt(deliveryId, network, cancel, fence);
      return 'refused';
    }
  }

  /**
   * Signs a replacement at the delivery's nonce, under the row lock of its transaction. Its kind is decided here:
   * once a cancellation is stored (the cancel was acknowledged), every replacement is a cancellation, whatever the
   * caller read before. Fees obey the network's ceiling, except the first cancellation of a transfer, which may pass it
   * by the replacement minimum. At the ceiling nothing is signed: `ceiling` says why and `attempt` is the latest.
   * With a fence, nothing is signed unless the caller still owns the wallet. `reuseCancel`: a cancellation that fills
   * the nonce, not a bump; if one is stored, it is the answer and nothing new is signed.
   */
  async function addAttempt(deliveryId: string, requested: 'transfer' | 'cancel', fence?: Fence, options: { reuseCancel?: boolean } = {}) {
    return db.$transaction(
      async (tx) => {
        await fence?.check(tx);
        await tx.$queryRaw`SELECT 1 AS locked FROM chain_transactions WHERE payout_id = ${deliveryId} FOR UPDATE`;
        const transaction = await tx.chainTransaction.findUniqueOrThrow({
          where: { payoutId: deliveryId },
          include: { attempts: { orderBy: { attempt: 'asc' } } },
        });
        const latest = transaction.attempts[transaction.attempts.length - 1]!;
        const cancelStored = transaction.attempts.some((attempt) => attempt.kind === 'cancel');
        const kind = cancelStored ? 'cancel' : requested;
        // A fill (not a bump): the stored cancellation already does it.
        if (options.reuseCancel && cancelStored && latest.kind === 'cancel')
          return { network: transaction.network, attempt: latest, ceiling: undefined };
        const network = registry.network(transaction.network);
        const previous: Fees = {
          maxFeePerGas: decimalToBigint(latest.maxFeePerGas)!,
          maxPriorityFeePerGas: decimalToBigint(latest.maxPriorityFeePerGas)!,
        };
        const replacement = replacementFees(previous, await currentFees(chains.client(network.id), network), {
          bumpsSoFar: transaction.attempts.length - 1,
          ceiling: network.feeCeiling,
          exempt: kind === 'cancel' && !cancelStored,
        });
        if (!replacement.ok) return { network: network.id, attempt: latest, ceiling: replacement.reason };
        const { fees } = replacement;
        // Every variant repeats the original call (attempt 1) exactly: rebuilt from its signed bytes,
        // so this works for any delivery (a payout, a mass payout's chunk or item, a token allowance).
        const original = storedCall(transaction.attempts[0]!.rawTx as Hex);
        const signer = signerOfDelivery(signers, network.id, transaction.fromAddress);
        const call = kind === 'cancel' ? { to: signer.address, value: 0n, data: undefined, gas: PLAIN_TRANSFER_GAS } : original;
        const rawTx = await signer.signTransaction({
          type: 'eip1559',
          chainId: network.chainId,
          nonce: Number(transaction.nonce),
          to: call.to,
          value: call.value,
          data: call.data,
          gas: call.gas,
          ...fees,
        });
        const txHash = keccak256(rawTx);
        const attempt = await tx.transactionAttempt.create({
          data: {
            payoutId: deliveryId,
            attempt: latest.attempt + 1,
            kind,
            txHash,
            rawTx,
            maxFeePerGas: fees.maxFeePerGas.toString(),
            maxPriorityFeePerGas: fees.maxPriorityFeePerGas.toString(),
          },
        });
        return { network: network.id, attempt, ceiling: undefined };
      },
      { timeout: 30_000, maxWait: 30_000 },
    );
  }

  /** The call a stored transaction makes. */
  function storedCall(rawTx: Hex) {
    const original = parseTransaction(rawTx);
    return { to: original.to!, value: original.value ?? 0n, data: original.data as Hex | undefined, gas: original.gas! };
  }

  async function markBroadcast(deliveryId: string, attempt: number) {
    const now = new Date();
    await db.transactionAttempt.updateMany({ where: { payoutId: deliveryId, attempt, broadcastAt: null }, data: { broadcastAt: now } });
    await db.chainTransaction.updateMany({
      where: { payoutId: deliveryId, state: 'signed' },
      data: { state: 'broadcast', broadcastAt: now },
    });
  }

  /** The wallet's transaction count at the newest block with the network's confirmations: what a reorg cannot undo. */
  async function finalNonceCount(network: string, address: Address, head?: bigint): Promise<bigint> {
    const client = chains.client(network);
    const final = await finalBlock(client, registry.network(network), head ?? (await client.getBlockNumber()));
    return BigInt(await client.getTransactionCount({ address, blockNumber: final > 0n ? final : 0n }));
  }

  /** The mined attempt, if any attempt of this nonce is in a block. */
  async function findMined<A extends { txHash: string }>(network: string, attempts: A[]) {
    for (const attempt of [...attempts].reverse()) {
      const receipt = await receiptOf(network, attempt.txHash as Hex);
      if (receipt) return { attempt, receipt };
    }
    return undefined;
  }

  /** True when the delivery's owner has ended without being paid: a payout failed, canceled or expired; a delivery past `signed`. */
  async function ownerEndedUnpaid(deliveryId: string): Promise<boolean> {
    const payout = await db.payout.findUnique({ where: { id: deliveryId }, select: { status: true } });
    if (payout) return isTerminal(payout.status as PayoutStatus) && payout.status !== 'completed';
    const delivery = await db.massPayoutDelivery.findUnique({ where: { id: deliveryId }, select: { state: true } });
    return delivery !== null && delivery.state !== 'signed';
  }

  return { receiptOf, sendRaw, sendAttempt, addAttempt, markBroadcast, finalNonceCount, findMined, ownerEndedUnpaid };
}

export type DeliveryAttempts = ReturnType<typeof deliveryAttempts>;
