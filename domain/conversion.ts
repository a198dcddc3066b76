/**
 * A conversion quote: a payout requested in one currency (input), sent in an asset
 * (sending), and debited from the treasury in a third (debit). Pure and exact: rates are
 * rationals, and each rounding is named where it happens.
 */
import { convertUnits, feeUnits, rationalToDecimal, type Rate } from './rates';

export interface Currency {
  symbol: string;
  decimals: number;
}

export interface ConversionQuote {
  input: { units: bigint; currency: string };
  sending: { units: bigint; asset: string };
  debit: { units: bigint; asset: string };
  /** Units of the sending asset per input unit; units of the debit asset per sending unit. */
  rates: { inputToSending: string; sendingToDebit: string; source: string };
  fees: { serviceUnits: bigint; conversionUnits: bigint; asset: string };
  rounding: { sending: 'down'; debit: 'up'; fees: 'up' };
}

/** Decimal places kept when a rate is recorded as text (the conversion itself uses the exact rational). */
export const RATE_PLACES = 18;

/**
 * sending = input x rate(input -> sending), rounded down: the recipient never gets more than quoted.
 * debit   = sending x rate(sending -> debit), rounded up, plus fees rounded up: the treasury never pays less.
 */
export function quoteConversion(options: {
  inputUnits: bigint;
  input: Currency;
  sending: Currency;
  debit: Currency;
  inputToSending: Rate;
  sendingToDebit: Rate;
  serviceFeeBps: number;
  conversionFeeBps: number;
}): ConversionQuote {
  const { input, sending, debit } = options;
  const sendingUnits = convertUnits(options.inputUnits, input.decimals, sending.decimals, options.inputToSending.value, 'down');
  const principal = convertUnits(sendingUnits, sending.decimals, debit.decimals, options.sendingToDebit.value, 'up');
  const serviceUnits = feeUnits(principal, options.serviceFeeBps);
  const converting = input.symbol !== sending.symbol || sending.symbol !== debit.symbol;
  const conversionUnits = converting ? feeUnits(principal, options.conversionFeeBps) : 0n;
  return {
    input: { units: options.inputUnits, currency: input.symbol },
    sending: { units: sendingUnits, asset: sending.symbol },
    debit: { units: principal + serviceUnits + conversionUnits, asset: debit.symbol },
    rates: {
      inputToSending: rationalToDecimal(options.inputToSending.value, RATE_PLACES, 'half_even'),
      sendingToDebit: rationalToDecimal(options.sendingToDebit.value, RATE_PLACES, 'half_even'),
      source: options.inputToSending.source,
    },
    fees: { serviceUnits, conversionUnits, asset: debit.symbol },
    rounding: { sending: 'down', debit: 'up', fees: 'up' },
  };
}
