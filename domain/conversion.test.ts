import { quoteConversion } from './conversion';
import { StaticRateProvider } from './rates';

const rates = new StaticRateProvider({ USD: '1', EUR: '1.08', USDC: '1', ETH: '3000' });
const EUR = { symbol: 'EUR', decimals: 2 };
const ETH = { symbol: 'ETH', decimals: 18 };
const USDC = { symbol: 'USDC', decimals: 6 };

describe('quoteConversion', () => {
  it('quotes 100 EUR sent as ETH and debited in USDC, with fees', async () => {
    const quote = quoteConversion({
      inputUnits: 100_00n,
      input: EUR,
      sending: ETH,
      debit: USDC,
      inputToSending: (await rates.rate('EUR', 'ETH'))!,
      sendingToDebit: (await rates.rate('ETH', 'USDC'))!,
      serviceFeeBps: 10,
      conversionFeeBps: 50,
    });
    expect(quote.sending).toEqual({ units: 36_000_000_000_000_000n, asset: 'ETH' }); // 0.036 ETH
    // 0.036 ETH = 108 USDC; service fee 0.1% = 0.108; conversion fee 0.5% = 0.54
    expect(quote.fees).toEqual({ serviceUnits: 108_000n, conversionUnits: 540_000n, asset: 'USDC' });
    expect(quote.debit).toEqual({ units: 108_648_000n, asset: 'USDC' });
    expect(quote.rates).toMatchObject({ inputToSending: '0.00036', sendingToDebit: '3000' });
  });

  it('rounds the amount sent down and the debit up when the rate does not divide evenly', async () => {
    const odd = new StaticRateProvider({ USD: '1', USDC: '1', ETH: '2999.99' });
    const quote = quoteConversion({
      inputUnits: 1_000_000n,
      input: USDC,
      sending: ETH,
      debit: USDC,
      inputToSending: (await odd.rate('USDC', 'ETH'))!,
      sendingToDebit: (await odd.rate('ETH', 'USDC'))!,
      serviceFeeBps: 0,
      conversionFeeBps: 0,
    });
    // 1 USDC / 2999.99 = 0.000333334444448148... ETH, rounded down to the wei
    expect(quote.sending.units).toBe(333_334_444_448_148n);
    // and back to USDC it is 0.99999999... rounded up: the treasury pays at least the input
    expect(quote.debit.units).toBe(1_000_000n);
  });

  it('charges no conversion fee when nothing is converted', async () => {
    const quote = quoteConversion({
      inputUnits: 5_000_000n,
      input: USDC,
      sending: USDC,
      debit: USDC,
      inputToSending: (await rates.rate('USDC', 'USDC'))!,
      sendingToDebit: (await rates.rate('USDC', 'USDC'))!,
      serviceFeeBps: 0,
      conversionFeeBps: 50,
    });
    expect(quote.debit.units).toBe(5_000_000n);
    expect(quote.fees.conversionUnits).toBe(0n);
  });
});
