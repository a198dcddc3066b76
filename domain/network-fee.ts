/**
 * What a mined transaction cost its sender, in base units of the network's native asset. On most chains that is
 * `gasUsed × effectiveGasPrice`. OP-stack chains (OP Mainnet, Base and their testnets) also charge an L1 data fee for
 * posting the transaction to Ethereum, outside gasUsed; their receipts report it as `l1Fee`. Arbitrum folds its L1
 * cost into gasUsed (its receipts' `gasUsedForL1` is a part of gasUsed, not an addition), so nothing is added there.
 */

export interface FeeReceipt {
  gasUsed: bigint;
  effectiveGasPrice: bigint;
  /** viem leaves fields it does not know as the node sent them: a hex string (a bigint with OP-stack formatters). */
  l1Fee?: unknown;
}

export function transactionFee(receipt: FeeReceipt): bigint {
  return receipt.gasUsed * receipt.effectiveGasPrice + l1DataFee(receipt);
}

/** The receipt's L1 data fee, or 0 where the chain charges none. */
export function l1DataFee(receipt: FeeReceipt): bigint {
  const fee = receipt.l1Fee;
  if (fee === undefined || fee === null) return 0n;
  if (typeof fee === 'bigint') return fee;
  if (typeof fee === 'string' && /^0x[0-9a-fA-F]+$/.test(fee)) return BigInt(fee);
  // A fee we cannot read must not be booked as zero.
  throw new Error(`the receipt's l1Fee is ${JSON.stringify(fee)}, not a quantity`);
}
