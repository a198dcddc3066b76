/**
 * Money is integer base units (bigint) everywhere inside the engine, and a decimal
 * string at the edges (API, CSV). No JS number ever holds an amount. Parsing is exact
 * and refuses what it cannot represent; every lossy step names its rounding.
 */

export type Rounding = 'down' | 'up' | 'half_even';

export type AmountParseError =
  | { code: 'not_a_string'; message: string }
  | { code: 'invalid_format'; message: string }
  | { code: 'too_many_decimals'; message: string }
  | { code: 'not_positive'; message: string }
  | { code: 'too_large'; message: string };

export type AmountParseResult = { ok: true; units: bigint } | { ok: false; error: AmountParseError };

/** A plain decimal: digits, optional fraction. No sign, exponent, spaces, or leading zeros. */
export const DECIMAL_PATTERN = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/** Largest value a NUMERIC(78,0) / uint256 holds. */
export const MAX_UINT256 = (1n << 256n) - 1n;

/**
 * Parses a positive decimal string into base units with `decimals` places, exactly:
 * "1.5" with 6 decimals is 1500000n. More fraction digits than the asset has is an error,
 * never rounded away.
 */
export function parseAmount(input: unknown, decimals: number): AmountParseResult {
  if (typeof input !== 'string') {
    return fail('not_a_string', 'amount must be a string of decimal digits such as "12.50", not a JSON number');
  }
  const match = DECIMAL_PATTERN.exec(input);
  if (!match) {
    return fail(
      'invalid_format',
      'amount must be a plain decimal such as "12.50": digits with an optional "." fraction, no sign, exponent, spaces or leading zeros',
    );
  }
  const whole = match[1] ?? '0';
  const fraction = (match[2] ?? '').slice(1);
  if (fraction.length > decimals) {
    return fail('too_many_decimals', `amount has ${fraction.length} decimal places; this asset allows at most ${decimals}`);
  }
  const units = BigInt(whole + fraction.padEnd(decimals, '0'));
  if (units <= 0n) return fail('not_positive', 'amount must be greater than zero');
  if (units > MAX_UINT256) return fail('too_large', 'amount is larger than any on-chain balance can be');
  return { ok: true, units };
}

function fail(code: AmountParseError['code'], message: string): AmountParseResult {
  return { ok: false, error: { code, message } as AmountParseError };
}

/** Formats base units as the shortest exact decimal string: 1500000n, 6 → "1.5". */
export function formatAmount(units: bigint, decimals: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals).replace(/0+$/, '');
  return (negative ? '-' : '') + (fraction ? `${whole}.${fraction}` : whole);
}

/** Integer division with the rounding named by the caller (operands must be non-negative). */
export function divide(numerator: bigint, denominator: bigint, rounding: Rounding): bigint {
  if (denominator <= 0n) throw new RangeError('denominator must be positive');
  if (numerator < 0n) throw new RangeError('numerator must not be negative');
  const quotient = numerator / denominator;
  const remainder = numerator % denominator;
  if (remainder === 0n) return quotient;
  switch (rounding) {
    case 'down':
      return quotient;
    case 'up':
      return quotient + 1n;
    case 'half_even': {
      const twice = remainder * 2n;
      if (twice > denominator) return quotient + 1n;
      if (twice < denominator) return quotient;
      return quotient % 2n === 0n ? quotient : quotient + 1n;
    }
  }
}

/** Converts between precisions, e.g. 18-decimal wei to 6-decimal units, with named rounding. */
export function rescale(units: bigint, fromDecimals: number, toDecimals: number, rounding: Rounding): bigint {
  if (toDecimals >= fromDecimals) return units * 10n ** BigInt(toDecimals - fromDecimals);
  return divide(units, 10n ** BigInt(fromDecimals - toDecimals), rounding);
}

/**
 * An approximate float of a base-unit amount, for search attributes and dashboards only.
 * Never used for accounting: floats cannot hold every amount exactly.
 */
export function approximateWholeUnits(units: bigint, decimals: number): number {
  return Number(formatAmount(units, decimals));
}

/** Amounts cross Temporal payloads and JSON as decimal strings of base units (JSON has no bigint). */
export function unitsToWire(units: bigint): string {
  return units.toString();
}

export function unitsFromWire(wire: string): bigint {
  if (!/^-?[0-9]+$/.test(wire)) throw new TypeError(`not an integer amount of base units: ${JSON.stringify(wire)}`);
  return BigInt(wire);
}
