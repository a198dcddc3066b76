/**
 * The L1 data fee a whole mass payout pays on an OP-stack chain, for the reserve's up-front gas check: the oracle's
 * quote (with lib/chain.ts's headroom) for a sample transaction of the shape the batch sends, scaled to the item count.
 * The fee counts calldata bytes (compressed, since Fjord), so the sample has the items' byte shape: distinct
 * recipients and amounts no narrower than the batch's. 0 off OP-stack chains. An estimate (the check says "about"); each
 * delivery is checked against its own quote when it is signed (sign.ts).
 */
import { encodeFunctionData, erc20Abi, keccak256, numberToHex, slice, type Address, type PublicClient } from 'viem';
import { batchTransferAbi } from '../../contracts/artifacts/BatchTransfer';
import type { Fees } from '../../domain/fees';
import type { AssetDefinition, NetworkDefinition } from '../../domain/networks';
import { maxL1DataFee } from '../../lib/chain';

/** Items in the quoted sample; a larger batch's fee is scaled from it (its per-transaction overhead counted more often). */
export const L1_QUOTE_SAMPLE_ITEMS = 100;

export async function massL1DataFee(
  client: PublicClient,
  network: NetworkDefinition,
  args: { itemCount: number; asset: AssetDefinition; batchContract: Address | undefined; amountBound: bigint; fees: Fees },
): Promise<bigint> {
  if (network.l1DataFee !== 'op-stack' || args.itemCount === 0) return 0n;
  const { asset, batchContract, fees } = args;
  // As wide as any item's amount: none is larger than the batch's total.
  const largestAmount = args.amountBound;
  // One item per transaction when there is no BatchTransfer.
  const sampleItems = batchContract ? Math.min(args.itemCount, L1_QUOTE_SAMPLE_ITEMS) : 1;
  const recipients = Array.from({ length: sampleItems }, (_, index) => slice(keccak256(numberToHex(index + 1)), 12) as Address);
  const amounts = recipients.map(() => largestAmount);
  const call = batchContract
    ? {
        to: batchContract,
        value: asset.kind === 'native' ? largestAmount * BigInt(sampleItems) : 0n,
        data:
          asset.kind === 'native'
            ? encodeFunctionData({ abi: batchTransferAbi, functionName: 'payEth', args: [recipients, amounts] })
            : encodeFunctionData({ abi: batchTransferAbi, functionName: 'payToken', args: [asset.contractAddress!, recipients, amounts] }),
      }
    : asset.kind === 'native'
      ? { to: recipients[0]!, value: largestAmount }
      : {
          to: asset.contractAddress!,
          value: 0n,
          data: encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [recipients[0]!, largestAmount] }),
        };
  const sampleFee = await maxL1DataFee(client, network, { ...call, gas: 30_000_000n, ...fees });
  const samples = BigInt(args.itemCount);
  const per = BigInt(sampleItems);
  return (sampleFee * samples + per - 1n) / per; // rounded up
}
