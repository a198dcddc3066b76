import { MEASURED_BATCH_GAS, TX_GAS_LIMIT_CAP, batchGas, maxRecipientsPerBatch } from './batch-size';

describe('maxRecipientsPerBatch', () => {
  test('is the largest n with fixed + perRecipient * n <= gasLimit', () => {
    const cost = { fixed: 40_000n, perRecipient: 30_000n };
    expect(maxRecipientsPerBatch('erc20', 40_000n + 30_000n * 7n, cost)).toBe(7);
    expect(maxRecipientsPerBatch('erc20', 40_000n + 30_000n * 7n - 1n, cost)).toBe(6);
    expect(batchGas(7, cost)).toBe(250_000n);
    for (const limit of [15_000_000n, 30_000_000n, TX_GAS_LIMIT_CAP]) {
      const n = maxRecipientsPerBatch('eth', limit, cost);
      expect(batchGas(n, cost)).toBeLessThanOrEqual(limit);
      expect(batchGas(n + 1, cost)).toBeGreaterThan(limit);
    }
  });

  test('is 0 when not even one recipient fits, and rejects a nonsensical cost', () => {
    expect(maxRecipientsPerBatch('eth', 21_000n)).toBe(0);
    expect(maxRecipientsPerBatch('eth', MEASURED_BATCH_GAS.eth.fixed)).toBe(0);
    expect(maxRecipientsPerBatch('eth', MEASURED_BATCH_GAS.eth.fixed + MEASURED_BATCH_GAS.eth.perRecipient)).toBe(1);
    expect(() => maxRecipientsPerBatch('erc20', 30_000_000n, { fixed: 0n, perRecipient: 0n })).toThrow(RangeError);
    expect(() => maxRecipientsPerBatch('erc20', 30_000_000n, { fixed: -1n, perRecipient: 1n })).toThrow(RangeError);
  });

  test('with the measured defaults gives the sizes bench/batch-gas.ts proved on anvil', () => {
    // Each of these was sent as a batch of new recipients with exactly that gas limit, and fit.
    expect(maxRecipientsPerBatch('eth', 30_000_000n)).toBe(856);
    expect(maxRecipientsPerBatch('eth', 15_000_000n)).toBe(427);
    expect(maxRecipientsPerBatch('eth', TX_GAS_LIMIT_CAP)).toBe(478);
    expect(maxRecipientsPerBatch('erc20', 30_000_000n)).toBe(1_036);
    expect(maxRecipientsPerBatch('erc20', 15_000_000n)).toBe(517);
    expect(maxRecipientsPerBatch('erc20', TX_GAS_LIMIT_CAP)).toBe(579);
  });

  test('the ETH default is the costlier per recipient (a new account costs 25,000 gas)', () => {
    expect(MEASURED_BATCH_GAS.eth.perRecipient).toBeGreaterThan(MEASURED_BATCH_GAS.erc20.perRecipient);
    expect(TX_GAS_LIMIT_CAP).toBe(2n ** 24n);
  });
});
