/** Signing one mass-payout delivery, shared by batch chunks, single items and the batch allowance. */
import { formatAmount } from '../../domain/money';
import type { PayoutFailure } from '../../domain/payout';
import type { Db } from '../../lib/db';
import { currentFees, maxNetworkFee } from '../../lib/chain';
import { signAndStoreDelivery, type DeliveryCall } from '../delivery/sign';
import { withHeadroom, type MassShared } from './shared';

export function deliverySigner(shared: MassShared) {
  const { db, registry, chains, signers, treasuryOf } = shared;

  /**
   * Signs one delivery after checking the treasury can pay its gas (and, for ETH, its value), and
   * writes its row (plus `also`: the items it pays) in the transaction that stores the signed bytes.
   */
  async function signDelivery(args: {
    network: string;
    deliveryId: string;
    call: DeliveryCall;
    gasEstimate: bigint;
    delivery: { massPayoutId: string; chunkIndex: number; mode: 'batch' | 'single' | 'allowance'; itemCount: number; totalUnits: bigint };
    also?: (tx: Parameters<Parameters<Db['$transaction']>[0]>[0], txHash: string) => Promise<void>;
  }): Promise<{ ok: true } | { ok: false; failure: PayoutFailure }> {
    const client = chains.client(args.network);
    const gasLimit = withHeadroom(args.gasEstimate);
    const network = registry.network(args.network);
    const native = registry.nativeAsset(args.network);
    const treasury = treasuryOf(args.network);
    const fees = await currentFees(client, network);
    const nativeBalance = await client.getBalance({ address: treasury });
    const nativeNeeded = (await maxNetworkFee(client, network, { ...args.call, gas: gasLimit, ...fees })) + args.call.value;
    if (nativeBalance < nativeNeeded) {
      return {
        ok: false,
        failure: {
          code: 'insufficient_gas',
          reason:
            `treasury ${treasury} on ${args.network} holds ${formatAmount(nativeBalance, native.decimals)} ${native.symbol} but this ` +
            `transaction needs up to ${formatAmount(nativeNeeded, native.decimals)} ${native.symbol} (value plus gas); fund it with ` +
            `${native.symbol} and the mass payout resumes`,
        },
      };
    }
    await signAndStoreDelivery(
      { db, chains, signers },
      {
        deliveryId: args.deliveryId,
        network: registry.network(args.network),
        call: args.call,
        gasLimit,
        fees,
        alsoInTransaction: async (tx, { txHash }) => {
          const { totalUnits, ...delivery } = args.delivery;
          await tx.massPayoutDelivery.create({
            data: { id: args.deliveryId, ...delivery, totalAmount: totalUnits.toString(), state: 'signed', txHash },
          });
          await args.also?.(tx, txHash);
        },
      },
    );
    return { ok: true };
  }

  return signDelivery;
}
