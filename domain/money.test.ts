import { approximateWholeUnits, divide, formatAmount, MAX_UINT256, parseAmount, rescale, unitsFromWire, unitsToWire } from './money';

const units = (input: unknown, decimals: number) => {
  const result = parseAmount(input, decimals);
  if (!result.ok) throw new Error(result.error.message);
  return result.units;
};
const errorCode = (input: unknown, decimals: number) => {
  const result = parseAmount(input, decimals);
  return result.ok ? 'ok' : result.error.code;
};

describe('parseAmount', () => {
  it.each([
    ['1', 6, 1_000_000n],
    ['1.5', 6, 1_500_000n],
    ['0.000001', 6, 1n],
    ['12.50', 6, 12_500_000n],
    ['0.000000000000000001', 18, 1n],
    ['115792089237316195423570985008687907853269984665640564039457584007913129639935', 0, MAX_UINT256],
  ])('parses %s with %i decimals exactly', (input, decimals, expected) => {
    expect(units(input, decimals)).toBe(expected);
  });

  it.each([
    [1.5, 'not_a_string'],
    [null, 'not_a_string'],
    ['', 'invalid_format'],
    ['1e6', 'invalid_format'],
    ['-1', 'invalid_format'],
    ['+1', 'invalid_format'],
    [' 1', 'invalid_format'],
    ['1.', 'invalid_format'],
    ['.5', 'invalid_format'],
    ['01', 'invalid_format'],
    ['1,5', 'invalid_format'],
    ['0x10', 'invalid_format'],
    ['NaN', 'invalid_format'],
    ['0', 'not_positive'],
    ['0.000000', 'not_positive'],
    ['1.0000001', 'too_many_decimals'],
    ['115792089237316195423570985008687907853269984665640564039457584007913129639936', 'too_large'],
  ])('refuses %p (%s)', (input, code) => {
    expect(errorCode(input, 6)).toBe(code);
  });
});

describe('formatAmount', () => {
  it.each([
    [1_500_000n, 6, '1.5'],
    [1n, 6, '0.000001'],
    [0n, 6, '0'],
    [10n ** 18n, 18, '1'],
    [123n, 0, '123'],
    [-1_500_000n, 6, '-1.5'],
  ])('formats %s with %i decimals as %s', (value, decimals, expected) => {
    expect(formatAmount(value, decimals)).toBe(expected);
  });

  it('round-trips every parsed amount', () => {
    for (const text of ['1', '0.1', '123456.654321', '0.000001', '999999999999.999999']) {
      expect(formatAmount(units(text, 6), 6)).toBe(text);
    }
  });
});

describe('divide and rescale name their rounding', () => {
  it.each([
    [7n, 2n, 'down', 3n],
    [7n, 2n, 'up', 4n],
    [7n, 2n, 'half_even', 4n],
    [5n, 2n, 'half_even', 2n],
    [6n, 4n, 'half_even', 2n],
    [10n, 4n, 'half_even', 2n],
    [11n, 4n, 'half_even', 3n],
    [8n, 2n, 'up', 4n],
  ] as const)('%s / %s rounded %s = %s', (numerator, denominator, rounding, expected) => {
    expect(divide(numerator, denominator, rounding)).toBe(expected);
  });

  it('refuses a zero denominator and negative numerators', () => {
    expect(() => divide(1n, 0n, 'down')).toThrow(RangeError);
    expect(() => divide(-1n, 2n, 'down')).toThrow(RangeError);
  });

  it('rescales between precisions', () => {
    expect(rescale(1_500_000n, 6, 18, 'down')).toBe(1_500_000_000_000_000_000n);
    expect(rescale(1_999_999_999_999n, 18, 6, 'down')).toBe(1n);
    expect(rescale(1_999_999_999_999n, 18, 6, 'up')).toBe(2n);
  });
});

describe('wire format', () => {
  it('carries base units as decimal strings', () => {
    expect(unitsToWire(MAX_UINT256)).toBe(MAX_UINT256.toString());
    expect(unitsFromWire('42')).toBe(42n);
    expect(() => unitsFromWire('4.2')).toThrow(TypeError);
    expect(() => unitsFromWire('1e3')).toThrow(TypeError);
  });

  it('gives an approximate float only for display', () => {
    expect(approximateWholeUnits(12_500_000n, 6)).toBe(12.5);
  });
});
