import { bumpedFees, isValidReplacement, replacementFees } from './fees';

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

describe('the fee ceiling', () => {
  const ceiling = { maxFeePerGas: 1_000n, maxBumps: 3 };
  const quiet = { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n };

  it('bumps as usual below the ceiling', () => {
    const previous = { maxFeePerGas: 100n, maxPriorityFeePerGas: 10n };
    expect(replacementFees(previous, quiet, { bumpsSoFar: 0, ceiling })).toEqual({ ok: true, fees: bumpedFees(previous, quiet) });
  });

  it('refuses once the nonce was replaced maxBumps times', () => {
    const outcome = replacementFees({ maxFeePerGas: 100n, maxPriorityFeePerGas: 10n }, quiet, { bumpsSoFar: 3, ceiling });
    expect(outcome).toEqual({ ok: false, reason: expect.stringContaining('the most this network allows (3)') });
  });

  it('clamps a bump to the ceiling while that is still a valid replacement, then refuses', () => {
    const previous = { maxFeePerGas: 900n, maxPriorityFeePerGas: 900n };
    expect(replacementFees(previous, quiet, { bumpsSoFar: 1, ceiling })).toEqual({
      ok: true,
      fees: { maxFeePerGas: 1_000n, maxPriorityFeePerGas: 1_000n },
    });
    const atCeiling = { maxFeePerGas: 1_000n, maxPriorityFeePerGas: 1_000n };
    expect(replacementFees(atCeiling, quiet, { bumpsSoFar: 2, ceiling })).toEqual({
      ok: false,
      reason: expect.stringContaining("above this network's ceiling of 1000"),
    });
  });

  it('never signs above the ceiling when the market is above it', () => {
    const outcome = replacementFees(
      { maxFeePerGas: 100n, maxPriorityFeePerGas: 10n },
      { maxFeePerGas: 5_000n, maxPriorityFeePerGas: 50n },
      {
        bumpsSoFar: 0,
        ceiling,
      },
    );
    expect(outcome).toEqual({ ok: true, fees: { maxFeePerGas: 1_000n, maxPriorityFeePerGas: 50n } });
  });

  it('lets the first cancellation pass the ceiling by the replacement minimum', () => {
    const atCeiling = { maxFeePerGas: 1_000n, maxPriorityFeePerGas: 1_000n };
    const outcome = replacementFees(atCeiling, quiet, { bumpsSoFar: 3, ceiling, exempt: true });
    expect(outcome).toEqual({ ok: true, fees: { maxFeePerGas: 1_125n, maxPriorityFeePerGas: 1_125n } });
  });
});
