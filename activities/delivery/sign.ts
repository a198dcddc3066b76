/**
 * Allocates a nonce and stores the signed transaction of one delivery (a payout, a mass payout's
 * chunk or item, a token allowance) in one database transaction, before anything is broadcast.
 * The delivery id is the key: calling again returns what was stored, so a retried activity can
 * never sign a second transaction with a second nonce for the same delivery.
 */
import { keccak256, type Address, type Hex } from 'viem';
import type { Fees } from '../../domain/fees';
import type { NetworkDefinition } from '../../domain/networks';
import type { Prisma } from '../../generated/prisma/client';
import type { ChainClients } from '../../lib/chain';
import type { Db } from '../../lib/db';
import type { TreasurySigners } from '../../lib/signer';

export interface DeliveryCall {
  to: Address;
  value: bigint;
  data?: Hex;
}

export interface SignedDelivery {
  txHash: string;
  nonce: string;
  /** False when the delivery had been signed before (a retry): nothing new was stored. */
  created: boolean;
}

export async function signAndStoreDelivery(
  deps: { db: Db; chains: ChainClients; signers: TreasurySigners },
  args: {
    deliveryId: string;
    network: NetworkDefinition;
    call: DeliveryCall;
    gasLimit: bigint;
    fees: Fees;
    /** Writes that must commit with the signed transaction (or not at all), e.g. the items it pays. */
    alsoInTransaction?: (tx: Prisma.TransactionClient, signed: { txHash: string; nonce: bigint }) => Promise<void>;
  },
): Promise<SignedDelivery> {
  const { db, chains } = deps;
  const { deliveryId, network, call, gasLimit, fees } = args;
  const signer = deps.signers.forNetwork(network.id);
  const client = chains.client(network.id);
  return db.$transaction(
    async (tx) => {
      // The row lock serializes nonce allocation across every workflow and worker process.
      const lockRow = () =>
        tx.$queryRaw<{ next_nonce: bigint }[]>`
          SELECT next_nonce FROM wallet_nonces WHERE network = ${network.id} AND address = ${signer.address} FOR UPDATE`;
      let rows = await lockRow();
      // The chain's pending count can only be ahead of us if something else used the wallet:
      // then we follow it, so our stored counter never drifts below (or above) the chain.
      const chainNonce = BigInt(await client.getTransactionCount({ address: signer.address, blockTag: 'pending' }));
      if (rows.length === 0) {
        await tx.$executeRaw`
          INSERT INTO wallet_nonces (network, address, next_nonce) VALUES (${network.id}, ${signer.address}, ${chainNonce})
          ON CONFLICT DO NOTHING`;
        rows = await lockRow();
      }
      const raced = await tx.chainTransaction.findUnique({ where: { payoutId: deliveryId } });
      if (raced) return { txHash: raced.txHash, nonce: raced.nonce.toString(), created: false };

      const stored = BigInt(rows[0]!.next_nonce);
      const nonce = stored > chainNonce ? stored : chainNonce;
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
      const feeFields = { maxFeePerGas: fees.maxFeePerGas.toString(), maxPriorityFeePerGas: fees.maxPriorityFeePerGas.toString() };
      await tx.chainTransaction.create({
        data: {
          payoutId: deliveryId,
          network: network.id,
          fromAddress: signer.address,
          nonce,
          txHash,
          rawTx,
          gasLimit: gasLimit.toString(),
          ...feeFields,
          state: 'signed',
        },
      });
      await tx.transactionAttempt.create({ data: { payoutId: deliveryId, attempt: 1, kind: 'transfer', txHash, rawTx, ...feeFields } });
      await tx.walletNonce.update({
        where: { network_address: { network: network.id, address: signer.address } },
        data: { nextNonce: nonce + 1n },
      });
      await args.alsoInTransaction?.(tx, { txHash, nonce });
      return { txHash, nonce: nonce.toString(), created: true };
    },
    { timeout: 30_000, maxWait: 30_000 },
  );
}
