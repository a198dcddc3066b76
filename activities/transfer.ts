/**
 * Prepare, broadcast and confirm one payout's transfer. The exactly-once rule:
 * a payout gets at most one signed transaction, stored (with its nonce) in the same
 * database transaction that allocates the nonce, before anything is broadcast.
 * Every retry re-sends those same bytes, so a worker killed at any line can only
 * ever cause the same transaction (same hash) to be sent again, never a second transfer.
 */
import { Context } from '@temporalio/activity';
import {
  BaseError,
  ContractFunctionRevertedError,
  encodeFunctionData,
  erc20Abi,
  keccak256,
  TransactionReceiptNotFoundError,
  TransactionNotFoundError,
  type Address,
  type Hex,
} from 'viem';
import { testUsdcAbi } from '../contracts/artifacts/TestUSDC';
import { formatAmount } from '../domain/money';
import type { NetworkRegistry } from '../domain/networks';
import type { PayoutFailure } from '../domain/payout';
import type { ChainClients } from '../lib/chain';
import { decimalToBigint, type Db } from '../lib/db';
import type { TransactionSigner } from '../lib/signer';
import type { ConfirmationOutcome, PrepareResult } from './types';

/**
 * ERC-20 plus the custom errors tokens commonly revert with (ERC-6093's standard errors and
 * the test token's blocklist), so a simulated revert is reported by name, not as a selector.
 */
const transferAbi = [...erc20Abi, ...testUsdcAbi.filter((item) => item.type === 'error')];

/** Head-room over the node's gas estimate, in percent (rounded up). */
const GAS_LIMIT_HEADROOM_PERCENT = 20n;
/** Re-send a transaction the node no longer knows after this long without a receipt. */
const REBROADCAST_AFTER_MS = 10_000;

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

function isAlreadyKnown(error: unknown): boolean {
  const text = error instanceof BaseError ? `${error.shortMessage} ${error.details ?? ''} ${error.message}` : String(error);
  return /already known|already imported|nonce too low|known transaction|replacement transaction underpriced/i.test(text);
}

export function transferActivities(deps: { db: Db; registry: NetworkRegistry; chains: ChainClients; signer: TransactionSigner }) {
  const { db, registry, chains, signer } = deps;

  async function loadTransaction(payoutId: string) {
    const transaction = await db.chainTransaction.findUnique({ where: { payoutId } });
    if (!transaction) throw new Error(`payout ${payoutId} has no prepared transaction; prepareTransfer must run first`);
    return transaction;
  }

  async function sendRaw(network: string, rawTx: Hex, txHash: Hex): Promise<void> {
    const client = chains.client(network);
    try {
      await client.sendRawTransaction({ serializedTransaction: rawTx });
    } catch (error) {
      // A lost response, or a retry: the node may already have our transaction. viem
      // reports that as "already known" or nonce-too-low; settle it by looking the hash up.
      if (isAlreadyKnown(error)) {
        const known = await client.getTransaction({ hash: txHash }).catch(() => null);
        if (known) return;
        const receipt = await client.getTransactionReceipt({ hash: txHash }).catch(() => null);
        if (receipt) return;
        throw new Error(
          `the node refused transaction ${txHash} (${error instanceof BaseError ? error.shortMessage : String(error)}) and does not know it: ` +
            `its nonce was used by another transaction from the treasury. An operator must check the wallet's nonces.`,
          { cause: error },
        );
      }
      throw error;
    }
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
            abi: transferAbi,
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
      const nativeBalance = await client.getBalance({ address: signer.address });
      const nativeNeeded = gasLimit * fees.maxFeePerGas + (asset.kind === 'native' ? amount : 0n);
      if (nativeBalance < nativeNeeded) {
        const failure: PayoutFailure = {
          code: 'insufficient_gas',
          reason:
            `treasury ${signer.address} on ${network.id} holds ${formatAmount(nativeBalance, 18)} ETH but needs up to ` +
            `${formatAmount(nativeNeeded, 18)} ETH (amount plus gas); fund it with ETH and create the payout again`,
        };
        return { ok: false, failure };
      }

      return db.$transaction(
        async (tx) => {
          // The row lock serializes nonce allocation across every workflow and worker process.
          const lockRow = () =>
            tx.$queryRaw<{ next_nonce: bigint }[]>`
              SELECT next_nonce FROM wallet_nonces WHERE network = ${network.id} AND address = ${signer.address} FOR UPDATE`;
          let rows = await lockRow();
          if (rows.length === 0) {
            const chainNonce = await client.getTransactionCount({ address: signer.address, blockTag: 'pending' });
            await tx.$executeRaw`
              INSERT INTO wallet_nonces (network, address, next_nonce) VALUES (${network.id}, ${signer.address}, ${chainNonce})
              ON CONFLICT DO NOTHING`;
            rows = await lockRow();
          }
          const raced = await tx.chainTransaction.findUnique({ where: { payoutId } });
          if (raced) return { ok: true, txHash: raced.txHash, nonce: raced.nonce.toString() } as const;

          const nonce = BigInt(rows[0]!.next_nonce);
          const rawTx = await signer.signTransaction({
            type: 'eip1559',
            chainId: network.chainId,
            nonce: Number(nonce),
            to: call.to,
            value: call.value,
            data: call.data,
            gas: gasLimit,
            maxFeePerGas: fees.maxFeePerGas,
            maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
          });
          const txHash = keccak256(rawTx);
          await tx.chainTransaction.create({
            data: {
              payoutId,
              network: network.id,
              fromAddress: signer.address,
              nonce,
              txHash,
              rawTx,
              gasLimit: gasLimit.toString(),
              maxFeePerGas: fees.maxFeePerGas.toString(),
              maxPriorityFeePerGas: fees.maxPriorityFeePerGas.toString(),
              state: 'signed',
            },
          });
          await tx.walletNonce.update({
            where: { network_address: { network: network.id, address: signer.address } },
            data: { nextNonce: nonce + 1n, updatedAt: new Date() },
          });
          return { ok: true, txHash, nonce: nonce.toString() } as const;
        },
        { timeout: 30_000, maxWait: 30_000 },
      );
    },

    async broadcastTransfer(payoutId: string): Promise<{ txHash: string }> {
      const transaction = await loadTransaction(payoutId);
      if (transaction.state === 'signed' || transaction.state === 'broadcast') {
        await sendRaw(transaction.network, transaction.rawTx as Hex, transaction.txHash as Hex);
        await db.chainTransaction.updateMany({
          where: { payoutId, state: 'signed' },
          data: { state: 'broadcast', broadcastAt: new Date() },
        });
      }
      return { txHash: transaction.txHash };
    },

    /** Polls until the transaction has the network's confirmations on the canonical chain. */
    async awaitConfirmations(payoutId: string): Promise<ConfirmationOutcome> {
      const context = Context.current();
      const transaction = await loadTransaction(payoutId);
      const network = registry.network(transaction.network);
      const client = chains.client(transaction.network);
      const hash = transaction.txHash as Hex;
      let lastSeenAt = Date.now();

      for (;;) {
        const receipt = await client.getTransactionReceipt({ hash }).catch((error) => {
          if (error instanceof TransactionReceiptNotFoundError) return null;
          throw error;
        });
        if (receipt) {
          lastSeenAt = Date.now();
          const [head, block] = await Promise.all([client.getBlockNumber(), client.getBlock({ blockNumber: receipt.blockNumber })]);
          // Count only on the canonical chain: a receipt from a block that was reorganized away is not a payment.
          const canonical = block.hash === receipt.blockHash;
          const confirmations = canonical ? Number(head - receipt.blockNumber + 1n) : 0;
          context.heartbeat({ txHash: hash, blockNumber: receipt.blockNumber.toString(), confirmations });
          if (canonical && confirmations >= network.confirmations) {
            const status = receipt.status === 'success' ? 'success' : 'reverted';
            await db.chainTransaction.update({ where: { payoutId }, data: { state: status === 'success' ? 'mined' : 'reverted' } });
            return {
              status,
              chain: {
                txHash: hash,
                blockNumber: receipt.blockNumber.toString(),
                confirmations,
                gasUsed: receipt.gasUsed.toString(),
                networkFee: (receipt.gasUsed * receipt.effectiveGasPrice).toString(),
              },
            };
          }
        } else {
          context.heartbeat({ txHash: hash, confirmations: 0 });
          const pending = await client.getTransaction({ hash }).catch((error) => {
            if (error instanceof TransactionNotFoundError) return null;
            throw error;
          });
          if (pending) lastSeenAt = Date.now();
          else if (Date.now() - lastSeenAt > REBROADCAST_AFTER_MS) {
            // Dropped from the mempool: send the very same bytes again.
            await sendRaw(transaction.network, transaction.rawTx as Hex, hash);
            lastSeenAt = Date.now();
          }
        }
        await context.sleep(network.pollIntervalMs);
      }
    },
  };
}
