import { bumpedFees, isValidReplacement } from './fees';

describe('replacement fees', () => {
  it('raises both fields by at least 10%, rounded up', () => {
    const previous = { maxFeePerGas: 1_000_000_001n, maxPriorityFeePerGas: 7n };
    const next = bumpedFees(previous, { maxFeePerGas: 1n, maxPriorityFeePerGas: 1n });
    expect(next).toEqual({ maxFeePerGas: 1_125_000_002n, maxPriorityFeePerGas: 8n });
    expect(isValidReplacement(previous, next)).toBe(true);
  });

  it('follows the market when it moved more than the bump', () => {
    const next = bumpedFees({ maxFeePerGas: 100n, maxPriorityFeePerGas: 10n }, { maxFeePerGas: 500n, maxPriorityFeePerGas: 50n });
    expect(next).toEqual({ maxFeePerGas: 500n, maxPriorityFeePerGas: 50n });
  });

  it('stays valid over many bumps and never lets the fee cap drop under the tip', () => {
    let fees = { maxFeePerGas: 10n, maxPriorityFeePerGas: 10n };
    for (let i = 0; i < 20; i++) {
      const next = bumpedFees(fees, { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n });
      expect(isValidReplacement(fees, next)).toBe(true);
      expect(next.maxFeePerGas).toBeGreaterThanOrEqual(next.maxPriorityFeePerGas);
      fees = next;
    }
  });

  it('rejects a replacement under 10%', () => {
    expect(isValidReplacement({ maxFeePerGas: 100n, maxPriorityFeePerGas: 100n }, { maxFeePerGas: 109n, maxPriorityFeePerGas: 200n })).toBe(
      false,
    );
  });
});
