import { convertUnits, feeUnits, rationalFromDecimal, rationalToDecimal, StaticRateProvider } from './rates';

describe('rates', () => {
  it('parses decimal rates exactly', () => {
    expect(rationalFromDecimal('3012.45')).toEqual({ numerator: 301245n, denominator: 100n });
    expect(() => rationalFromDecimal('0')).toThrow();
    expect(() => rationalFromDecimal('1e3')).toThrow();
  });

  it('converts 100 EUR into ETH with named rounding', async () => {
    const rates = new StaticRateProvider({ USD: '1', EUR: '1.08', ETH: '3000' });
    const eurToEth = (await rates.rate('EUR', 'ETH'))!;
    // 100 EUR = 108 USD = 0.036 ETH exactly.
    expect(convertUnits(100_00n, 2, 18, eurToEth.value, 'down')).toBe(36_000_000_000_000_000n);
    expect(rationalToDecimal(eurToEth.value, 12, 'half_even')).toBe('0.00036');
  });

  it('rounds where the result is not exact, as named', async () => {
    const rates = new StaticRateProvider({ USD: '1', ETH: '3000' });
    const usdToEth = (await rates.rate('USD', 'ETH'))!;
    // 1 cent of USD in wei = 10^16 / 3000 / 100... = 3333333333333.33 wei
    expect(convertUnits(1n, 2, 18, usdToEth.value, 'down')).toBe(3_333_333_333_333n);
    expect(convertUnits(1n, 2, 18, usdToEth.value, 'up')).toBe(3_333_333_333_334n);
  });

  it('charges fees rounded up', () => {
    expect(feeUnits(1_000_000n, 50)).toBe(5_000n);
    expect(feeUnits(1n, 50)).toBe(1n);
    expect(feeUnits(0n, 50)).toBe(0n);
    expect(() => feeUnits(1n, -1)).toThrow();
  });

  it('has no rate for an unknown currency', async () => {
    expect(await new StaticRateProvider({ USD: '1' }).rate('USD', 'XYZ')).toBeUndefined();
  });
});
