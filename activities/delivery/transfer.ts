/**
 * Prepare, broadcast, replace and confirm one payout's transaction.
 *
 * The exactly-once rule: a payout owns one nonce. The nonce and the first signed transfer
 * are stored in the same database transaction that allocates the nonce, before anything is
 * broadcast. Every later variant (a fee bump, or the zero-value cancellation to the treasury
 * itself) reuses that nonce and is stored before it is sent. Retries only ever re-send
 * stored bytes. Since all variants share one nonce, at most one of them can be mined, so a
 * worker killed at any line can never cause a second transfer.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import {
  BaseError,
  ContractFunctionRevertedError,
  encodeFunctionData,
  erc20Abi,
  keccak256,
  parseTransaction,
  TransactionNotFoundError,
  TransactionReceiptNotFoundError,
  type Address,
  type Hex,
  type TransactionReceipt,
} from 'viem';
import { classifyRpcMessage } from '../../domain/failures';
import { replacementFees, type Fees } from '../../domain/fees';
import type { NetworkDefinition, NetworkRegistry } from '../../domain/networks';
import type { PayoutFailure } from '../../domain/payout';
import { isTerminal, type PayoutStatus } from '../../domain/statuses';
import type { ChainClients } from '../../lib/chain';
import { decimalToBigint, type Db } from '../../lib/db';
import type { TransactionSigner } from '../../lib/signer';
import { holdGas } from '../funds';
import { signAndStoreDelivery } from './sign';
import { tokenErrorsAbi } from './token-errors';
import type { CancellationResult, ConfirmationOutcome, FeeCeilingReached, PrepareResult } from '../types';

/** Head-room over the node's gas estimate, in percent (rounded up). */
const GAS_LIMIT_HEADROOM_PERCENT = 20n;
const PLAIN_TRANSFER_GAS = 21_000n;
/** Checks, one rebroadcast interval apart, that must agree before a nonce conflict is reported. */
const NONCE_CONFLICT_CHECKS = 3;

function revertReason(error: unknown): string | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((cause) => cause instanceof ContractFunctionRevertedError);
  if (reverted instanceof ContractFunctionRevertedError) {
    return reverted.data?.errorName
      ? `${reverted.data.errorName}(${(reverted.data.args ?? []).join(', ')})`
      : (reverted.reason ?? reverted.shortMessage);
  }
  const text = `${error.shortMessage} ${error.details ?? ''}`;
  if (/revert/i.test(text)) return error.details || error.shortMessage;
  return undefined;
}

const errorText = (error: unknown) =>
  error instanceof BaseError ? `${error.shortMessage} ${error.details ?? ''} ${error.message}` : String(error);

/** What the node itself said, without viem's request dump. */
const nodeMessage = (error: unknown) => (error instanceof BaseError ? error.details || error.shortMessage : String(error));

/** The node refused a transaction outright; sending the same bytes again cannot help. */
class NodeRefused extends Error {
  constructor(txHash: Hex, text: string) {
    super(`the node refused transaction ${txHash}: ${text.slice(0, 200)}`);
  }
  get reason(): string {
    return this.message;
  }
}

export function transferActivities(deps: { db: Db; registry: NetworkRegistry; chains: ChainClients; signer: TransactionSigner }) {
  const { db, registry, chains, signer } = deps;

  const loadTransaction = async (deliveryId: string) => {
    const transaction = await db.chainTransaction.findUnique({
      where: { payoutId: deliveryId },
      include: { attempts: { orderBy: { attempt: 'asc' } } },
    });
    if (!transaction) throw ApplicationFailure.nonRetryable(`payout ${deliveryId} has no prepared transaction`, 'not_prepared');
    return transaction;
  };

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
    attempt: { attempt: number; kind: string; rawTx: string; txHash: string },
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
      const { attempt: cancel } = await addAttempt(deliveryId, 'cancel');
      await sendAttempt(deliveryId, network, cancel);
      return 'refused';
    }
  }

  /**
   * Signs a replacement at the delivery's nonce, under the row lock of its transaction. Its kind is decided here:
   * once a cancellation is stored (the cancel was acknowledged), every replacement is a cancellation, whatever the
   * caller read before. Fees obey the network's ceiling, except the first cancellation of a transfer, which may pass it
   * by the replacement minimum. At the ceiling nothing is signed: `ceiling` says why and `attempt` is the latest.
   */
  async function addAttempt(deliveryId: string, requested: 'transfer' | 'cancel') {
    return db.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT 1 AS locked FROM chain_transactions WHERE payout_id = ${deliveryId} FOR UPDATE`;
        const transaction = await tx.chainTransaction.findUniqueOrThrow({
          where: { payoutId: deliveryId },
          include: { attempts: { orderBy: { attempt: 'asc' } } },
        });
        const latest = transaction.attempts[transaction.attempts.length - 1]!;
        const cancelStored = transaction.attempts.some((attempt) => attempt.kind === 'cancel');
        const kind = cancelStored ? 'cancel' : requested;
        const network = registry.network(transaction.network);
        const previous: Fees = {
          maxFeePerGas: decimalToBigint(latest.maxFeePerGas)!,
          maxPriorityFeePerGas: decimalToBigint(latest.maxPriorityFeePerGas)!,
        };
        const replacement = replacementFees(previous, await chains.client(network.id).estimateFeesPerGas(), {
          bumpsSoFar: transaction.attempts.length - 1,
          ceiling: network.feeCeiling,
          exempt: kind === 'cancel' && !cancelStored,
        });
        if (!replacement.ok) return { network: network.id, attempt: latest, ceiling: replacement.reason };
        const { fees } = replacement;
        // Every variant repeats the original call (attempt 1) exactly: rebuilt from its signed bytes,
        // so this works for any delivery (a payout, a mass payout's chunk or item, a token allowance).
        const original = storedCall(transaction.attempts[0]!.rawTx as Hex);
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
  async function finalNonceCount(network: string, address: Address): Promise<bigint> {
    const client = chains.client(network);
    const head = await client.getBlockNumber();
    const depth = BigInt(registry.network(network).confirmations - 1);
    return BigInt(await client.getTransactionCount({ address, blockNumber: head > depth ? head - depth : 0n }));
  }

  /** The mined attempt, if any attempt of this nonce is in a block. */
  async function findMined(network: string, attempts: { txHash: string; kind: string; attempt: number }[]) {
    for (const attempt of [...attempts].reverse()) {
      const receipt = await receiptOf(network, attempt.txHash as Hex);
      if (receipt) return { attempt, receipt };
    }
    return undefined;
  }

  /**
   * A transaction waits behind a nonce gap when a lower nonce of the same wallet was signed but
   * never reached the node (its worker died before broadcasting, or the node dropped it). Every
   * stored transaction is safe to send at any time, so whoever notices the gap re-sends the
   * missing ones: healing does not depend on the owning workflow getting an activity slot.
   * Says whether lower nonces are still unmined (a gap, or just a queue) and how many it re-sent.
   */
  async function healNonceGap(network: string, from: string, nonce: bigint): Promise<{ behind: boolean; resent: number }> {
    const client = chains.client(network);
    const mined = BigInt(await client.getTransactionCount({ address: from as Address, blockTag: 'latest' }));
    if (mined >= nonce) return { behind: false, resent: 0 };
    const missing = await db.chainTransaction.findMany({
      where: { network, fromAddress: from, nonce: { gte: mined, lt: nonce }, state: { in: ['signed', 'broadcast'] } },
      include: { attempts: { orderBy: { attempt: 'desc' }, take: 1 } },
      orderBy: { nonce: 'asc' },
    });
    let resent = 0;
    for (const transaction of missing) {
      const latest = transaction.attempts[0]!;
      if (await client.getTransaction({ hash: latest.txHash as Hex }).catch(() => null)) continue;
      if (await ownerEndedUnpaid(transaction.payoutId)) {
        // Its payout (or delivery) already ended and released its funds: its transfer must never go out now.
        // The nonce is still ours to fill, so the wallet does not stall: with a cancellation.
        const cancel = latest.kind === 'cancel' ? latest : (await addAttempt(transaction.payoutId, 'cancel')).attempt;
        await sendAttempt(transaction.payoutId, network, cancel);
      } else {
        await sendAttempt(transaction.payoutId, network, latest);
      }
      resent++;
    }
    return { behind: true, resent };
  }

  /** True when the delivery's owner has ended without being paid: a payout failed, canceled or expired; a delivery past `signed`. */
  async function ownerEndedUnpaid(deliveryId: string): Promise<boolean> {
    const payout = await db.payout.findUnique({ where: { id: deliveryId }, select: { status: true } });
    if (payout) return isTerminal(payout.status as PayoutStatus) && payout.status !== 'completed';
    const delivery = await db.massPayoutDelivery.findUnique({ where: { id: deliveryId }, select: { state: true } });
    return delivery !== null && delivery.state !== 'signed';
  }

  return {
    async prepareTransfer(payoutId: string): Promise<PrepareResult> {
      const existing = await db.chainTransaction.findUnique({ where: { payoutId } });
      if (existing) return { ok: true, txHash: existing.txHash, nonce: existing.nonce.toString() };

      const payout = await db.payout.findUniqueOrThrow({ where: { id: payoutId } });
      const network = registry.network(payout.network);
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
      let gasEstimate: bigint;
      try {
        if (asset.kind === 'erc20') {
          await client.simulateContract({
            account: signer.address,
            address: asset.contractAddress!,
            abi: tokenErrorsAbi,
            functionName: 'transfer',
            args: [destination, amount],
          });
        }
        gasEstimate = await client.estimateGas({ account: signer.address, ...call });
      } catch (error) {
        const reason = revertReason(error);
        if (reason === undefined) throw error; // RPC trouble: retry
        return { ok: false, failure: { code: 'simulation_reverted', reason: `the transfer would revert: ${reason}` } };
      }
      const gasLimit = (gasEstimate * (100n + GAS_LIMIT_HEADROOM_PERCENT) + 99n) / 100n;
      const fees = await client.estimateFeesPerGas();
      // The worst case this transaction can cost, held before signing (the amount itself is already held).
      const gas = await holdGas({ db, chains, registry, treasury: signer.address }, payoutId, network.id, gasLimit * fees.maxFeePerGas);
      if (!gas.ok) return gas;

      const signed = await signAndStoreDelivery({ db, chains, signer }, { deliveryId: payoutId, network, call, gasLimit, fees });
      return { ok: true, txHash: signed.txHash, nonce: signed.nonce };
    },

    /** Sends the latest stored attempt (the original, unless it was already replaced). A refusal fills the nonce instead. */
    async broadcastTransfer(deliveryId: string): Promise<{ txHash: string; refused?: string; short?: PayoutFailure }> {
      const transaction = await loadTransaction(deliveryId);
      const latest = transaction.attempts[transaction.attempts.length - 1]!;
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
     * Polls until one attempt has the network's confirmations on the canonical chain.
     * Meanwhile: re-sends an attempt the node dropped, and replaces one stuck too long with
     * higher fees. A receipt whose block was reorganized away counts as not mined.
     */
    async awaitConfirmations(
      deliveryId: string,
      options: { ceilingReported?: boolean; conflictReported?: boolean } = {},
    ): Promise<ConfirmationOutcome | FeeCeilingReached> {
      const context = Context.current();
      /** Consecutive checks, one rebroadcast interval apart, that found the nonce used at final depth by none of ours. */
      let conflictSeen = 0;
      /** Set once a bump was refused by the fee ceiling: from then on this attempt of the activity only waits. */
      let atCeiling = false;
      const { network: networkId } = await loadTransaction(deliveryId);
      const network: NetworkDefinition = registry.network(networkId);
      const client = chains.client(networkId);
      let lastSeenAt = Date.now();
      let lastGapCheckAt = 0;
      let behindLowerNonces = false;

      for (;;) {
        const transaction = await loadTransaction(deliveryId);
        const latest = transaction.attempts[transaction.attempts.length - 1]!;
        const mined = await findMined(networkId, transaction.attempts);
        if (mined) {
          lastSeenAt = Date.now();
          const { receipt, attempt } = mined;
          const [head, block] = await Promise.all([client.getBlockNumber(), client.getBlock({ blockNumber: receipt.blockNumber })]);
          const canonical = block.hash === receipt.blockHash;
          const confirmations = canonical ? Number(head - receipt.blockNumber + 1n) : 0;
          context.heartbeat({
            txHash: attempt.txHash,
            attempts: transaction.attempts.length,
            blockNumber: receipt.blockNumber.toString(),
            confirmations,
          });
          if (canonical && confirmations >= network.confirmations) {
            const status = receipt.status === 'success' ? 'success' : 'reverted';
            await db.chainTransaction.update({
              where: { payoutId: deliveryId },
              data: { state: status === 'success' ? 'mined' : 'reverted', minedTxHash: attempt.txHash },
            });
            return {
              status,
              kind: attempt.kind as 'transfer' | 'cancel',
              attempts: transaction.attempts.length,
              ...(attempt.kind === 'cancel' && transaction.refusedReason ? { refused: transaction.refusedReason } : {}),
              chain: {
                txHash: attempt.txHash,
                blockNumber: receipt.blockNumber.toString(),
                confirmations,
                gasUsed: receipt.gasUsed.toString(),
                networkFee: (receipt.gasUsed * receipt.effectiveGasPrice).toString(),
              },
            };
          }
        } else {
          context.heartbeat({ txHash: latest.txHash, attempts: transaction.attempts.length, confirmations: 0 });
          const pending = await client.getTransaction({ hash: latest.txHash as Hex }).catch((error) => {
            if (error instanceof TransactionNotFoundError) return null;
            throw error;
          });
          const sentAt = (latest.broadcastAt ?? latest.createdAt).getTime();
          if (pending) lastSeenAt = Date.now();
          // Checked at most once per rebroadcast interval: it reads the chain and the database.
          let resent = 0;
          if (Date.now() - sentAt > network.rebroadcastAfterMs && Date.now() - lastGapCheckAt > network.rebroadcastAfterMs) {
            lastGapCheckAt = Date.now();
            const queue = await healNonceGap(networkId, transaction.fromAddress, transaction.nonce);
            behindLowerNonces = queue.behind;
            resent = queue.resent;
          }
          if (resent > 0) {
            context.heartbeat({ txHash: latest.txHash, healedNonceGap: resent });
          } else if (pending && !behindLowerNonces && !atCeiling && Date.now() - sentAt > network.replaceAfterMs) {
            // Waiting behind lower nonces is no reason to pay more; only the next in line is bumped.
            // Stuck: same nonce, fees up at least 10% (see domain/fees.ts), up to the network's ceiling.
            const bumped = await addAttempt(deliveryId, latest.kind as 'transfer' | 'cancel');
            if (bumped.ceiling) {
              atCeiling = true;
              context.heartbeat({ txHash: latest.txHash, attempts: transaction.attempts.length, feeCeiling: bumped.ceiling });
              if (!options.ceilingReported) return { status: 'fee_ceiling', reason: bumped.ceiling, attempts: transaction.attempts.length };
            } else {
              await sendAttempt(deliveryId, networkId, bumped.attempt);
              lastSeenAt = Date.now();
            }
          } else if (!pending && Date.now() - lastSeenAt > network.rebroadcastAfterMs) {
            lastSeenAt = Date.now();
            const usedAtFinalDepth = (await finalNonceCount(networkId, transaction.fromAddress as Address)) > transaction.nonce;
            if (usedAtFinalDepth && !(await findMined(networkId, transaction.attempts))) {
              // Our nonce is used at final depth, by none of our attempts as far as this node can tell. One read may be
              // a lagging node behind a load balancer: it counts only when it holds on checks an interval apart, and even
              // then the workflow only asks a person (it never releases the funds by itself).
              conflictSeen += 1;
              context.heartbeat({ txHash: latest.txHash, nonceUsedElsewhere: conflictSeen });
              if (conflictSeen >= NONCE_CONFLICT_CHECKS && !options.conflictReported)
                return { status: 'nonce_conflict', kind: 'transfer', attempts: transaction.attempts.length };
            } else {
              conflictSeen = 0;
              // Dropped from the mempool (or reorganized out): send the very same bytes again.
              if (!usedAtFinalDepth) await sendAttempt(deliveryId, networkId, latest);
            }
          }
        }
        await context.sleep(network.pollIntervalMs);
      }
    },
  };
}
