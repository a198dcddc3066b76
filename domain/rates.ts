/**
 * Exchange rates as exact rationals (a decimal string like "3012.45" is 301245/100), so
 * conversions stay in bigint arithmetic and every rounding is named. Rates come from a
 * pluggable provider: `StaticRateProvider` (a price table, deterministic, for development
 * and tests) implements the same interface a live feed would.
 */
import { divide, type Rounding } from './money';

export interface Rational {
  numerator: bigint;
  denominator: bigint;
}

const DECIMAL = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;

export function rationalFromDecimal(text: string): Rational {
  const match = DECIMAL.exec(text);
  if (!match) throw new Error(`not a plain positive decimal: ${JSON.stringify(text)}`);
  const fraction = (match[2] ?? '').slice(1);
  const numerator = BigInt((match[1] ?? '0') + fraction);
  if (numerator === 0n) throw new Error('a rate must be greater than zero');
  return { numerator, denominator: 10n ** BigInt(fraction.length) };
}

/** A rational as a decimal string with `places` fraction digits, rounded as named (for display and records). */
export function rationalToDecimal(rate: Rational, places: number, rounding: Rounding): string {
  const scaled = divide(rate.numerator * 10n ** BigInt(places), rate.denominator, rounding);
  const digits = scaled.toString().padStart(places + 1, '0');
  const whole = digits.slice(0, digits.length - places);
  const fraction = digits.slice(digits.length - places).replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole;
}

/**
 * Converts base units of one currency into base units of another at `rate` (units of `to`
 * per one unit of `from`, in whole units), with the named rounding.
 */
export function convertUnits(units: bigint, fromDecimals: number, toDecimals: number, rate: Rational, rounding: Rounding): bigint {
  return divide(units * rate.numerator * 10n ** BigInt(toDecimals), rate.denominator * 10n ** BigInt(fromDecimals), rounding);
}

/** A fee of `bps` basis points of `units`, rounded up: the engine never undercharges a fee. */
export function feeUnits(units: bigint, bps: number): bigint {
  if (!Number.isInteger(bps) || bps < 0) throw new RangeError('fee basis points must be a non-negative integer');
  return divide(units * BigInt(bps), 10_000n, 'up');
}

export interface Rate {
  base: string;
  quote: string;
  /** Units of `quote` per one unit of `base`. */
  value: Rational;
  source: string;
  asOf: string;
}

export interface RateProvider {
  /** Undefined when the provider has no rate for the pair. */
  rate(base: string, quote: string): Promise<Rate | undefined>;
}

/** Rates from a table of prices in one reference currency: rate(A, B) = price(A) / price(B). */
export class StaticRateProvider implements RateProvider {
  private readonly prices: Map<string, Rational>;

  constructor(
    prices: Record<string, string>,
    private readonly source = 'static price table',
    private readonly asOf = '1970-01-01T00:00:00.000Z',
  ) {
    this.prices = new Map(Object.entries(prices).map(([currency, price]) => [currency, rationalFromDecimal(price)]));
  }

  async rate(base: string, quote: string): Promise<Rate | undefined> {
    const from = this.prices.get(base);
    const to = this.prices.get(quote);
    if (!from || !to) return undefined;
    return {
      base,
      quote,
      value: { numerator: from.numerator * to.denominator, denominator: from.denominator * to.numerator },
      source: this.source,
      asOf: this.asOf,
    };
  }

  currencies(): string[] {
    return [...this.prices.keys()];
  }
}

/** Fiat currencies a payout may be requested in, with their minor-unit decimals. */
export const FIAT_CURRENCIES: Record<string, number> = { USD: 2, EUR: 2, GBP: 2 };
