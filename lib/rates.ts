/** Loads the development rate provider from a price file (config/rates.json by default). */
import { readFileSync } from 'node:fs';
import { StaticRateProvider } from '../domain/rates';

export function rateProviderFromFile(path: string): StaticRateProvider {
  let parsed: { prices?: Record<string, string>; as_of?: string };
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the rates file ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (!parsed.prices || typeof parsed.prices !== 'object') throw new Error(`${path} needs a "prices" object of currency -> decimal price`);
  return new StaticRateProvider(parsed.prices, `static prices from ${path.split('/').slice(-2).join('/')}`, parsed.as_of);
}
