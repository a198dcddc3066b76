/**
 * The network fee over real receipts (domain/fixtures/receipts, each naming its source): an OP Mainnet transaction
 * pays its L1 data fee on top of its L2 gas; an Arbitrum One transaction's gasUsed already includes its L1 part.
 * The receipts go through viem's own receipt formatter first, as the engine's getTransactionReceipt calls do.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatTransactionReceipt, type RpcTransactionReceipt } from 'viem';
import { l1DataFee, transactionFee } from './network-fee';

const fixture = (name: string) =>
  JSON.parse(readFileSync(join(__dirname, 'fixtures', 'receipts', name), 'utf8')) as { source: string; receipt: RpcTransactionReceipt };

describe('transactionFee', () => {
  it('adds the L1 data fee of an OP-stack receipt to its L2 gas', () => {
    const { receipt: raw } = fixture('op-mainnet-ecotone.json');
    const receipt = formatTransactionReceipt(raw);
    const l2 = 0x85b9n * 0x3ac9e84n;
    expect(l1DataFee(receipt)).toBe(70_284_681_252n);
    expect(transactionFee(receipt)).toBe(l2 + 70_284_681_252n);
    expect(transactionFee(receipt)).toBe(2_180_558_111_112n);
  });

  it("is the receipt's own l1Fee, which Ecotone's formula over the receipt's other fields reproduces", () => {
    const { receipt: raw } = fixture('op-mainnet-ecotone.json');
    const fields = raw as unknown as Record<string, string>;
    const [gasUsed, baseFee, baseScalar, blobFee, blobScalar] = [
      'l1GasUsed',
      'l1GasPrice',
      'l1BaseFeeScalar',
      'l1BlobBaseFee',
      'l1BlobBaseFeeScalar',
    ].map((name) => BigInt(fields[name]!));
    // specs.optimism.io, Ecotone L1 cost: l1GasUsed × (16 × baseFee × baseFeeScalar + blobBaseFee × blobBaseFeeScalar) / 16e6
    const ecotone = (gasUsed! * (16n * baseFee! * baseScalar! + blobFee! * blobScalar!)) / 16_000_000n;
    expect(ecotone).toBe(l1DataFee(formatTransactionReceipt(raw)));
  });

  it('adds nothing on Arbitrum, whose gasUsed already covers the L1 cost', () => {
    const { receipt: raw } = fixture('arbitrum-one.json');
    const receipt = formatTransactionReceipt(raw);
    expect((raw as unknown as Record<string, string>).gasUsedForL1).toBe('0x2c906');
    expect(transactionFee(receipt)).toBe(0x3ad89n * 0x989680n);
  });

  it('reads a bigint l1Fee (OP-stack formatters) and refuses one it cannot read', () => {
    expect(transactionFee({ gasUsed: 21_000n, effectiveGasPrice: 2n, l1Fee: 5n })).toBe(42_005n);
    expect(transactionFee({ gasUsed: 21_000n, effectiveGasPrice: 2n, l1Fee: null })).toBe(42_000n);
    expect(() => transactionFee({ gasUsed: 1n, effectiveGasPrice: 1n, l1Fee: '12 gwei' })).toThrow(/not a quantity/);
  });
});
