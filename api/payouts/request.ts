/**
 * Validation of `POST /v1/payouts`. zod checks the shape; the network registry checks
 * that the asset is payable on the network and that the amount fits the asset. Every
 * bad field is reported at once; nothing is created for an invalid request.
 */
import { getAddress, isAddress, zeroAddress, type Address } from 'viem';
import { parseAmount } from '../../domain/money';
import { FIAT_CURRENCIES } from '../../domain/rates';
import type { AssetDefinition, NetworkRegistry } from '../../domain/networks';
import type { FieldError } from '../http/errors';
import { zodFieldErrors, type FieldErrorOptions } from '../http/field-errors';
import { createPayoutBody } from './schemas';

export { createPayoutBody, type CreatePayoutBody } from './schemas';

export interface ValidPayoutRequest {
  /** Base units of `input` (the currency the amount was given in). */
  amountUnits: bigint;
  input: { symbol: string; decimals: number };
  /** The asset sent on chain. */
  asset: AssetDefinition;
  /** The asset the treasury is debited in. */
  debitAsset: AssetDefinition;
  program: string;
  network: string;
  destination: Address;
  purpose: string;
  externalId?: string;
  /** As given; api/payouts/callback.ts checks its addresses and normalizes it. */
  callbackUrl?: string;
}

/**
 * An unknown field of POST /v1/payouts is named with the body's fields. (The payout list and action routes, the
 * approval-policy routes and the exports use these options too, so their unknown keys name the same fields.)
 */
export const PAYOUT_FIELD_ERRORS: FieldErrorOptions = {
  allowed: ['amount', 'currency', 'asset', 'debit_asset', 'network', 'destination', 'purpose', 'program', 'external_id', 'callback_url'],
};

export function validatePayoutRequest(
  body: unknown,
  registry: NetworkRegistry,
): { ok: true; value: ValidPayoutRequest } | { ok: false; errors: FieldError[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, errors: [{ field: 'body', message: 'send a JSON object' }] };
  }
  const parsed = createPayoutBody.safeParse(body);
  const errors: FieldError[] = parsed.success
    ? []
    : zodFieldErrors(parsed.error, PAYOUT_FIELD_ERRORS).filter((error) => error.field !== 'amount');
  const raw = body as Record<string, unknown>;
  const has = (field: string) => errors.some((error) => error.field === field);

  // Registry checks run even when other fields failed, so the caller sees every problem at once.
  let asset: AssetDefinition | undefined;
  if (typeof raw.network === 'string' && typeof raw.asset === 'string' && !has('network') && !has('asset')) {
    if (!registry.findNetwork(raw.network)) {
      errors.push({ field: 'network', message: `unknown network "${raw.network}"; supported: ${registry.networkIds().join(', ')}` });
    } else {
      asset = registry.findAsset(raw.network, raw.asset);
      if (!asset) {
        const valid = registry.networksForAsset(raw.asset);
        errors.push({
          field: 'asset',
          message: valid.length
            ? `${raw.asset} is not configured on network "${raw.network}"; it is available on: ${valid.join(', ')}`
            : `unknown asset "${raw.asset}"; supported: ${registry.assetSymbols().join(', ')} (see GET /v1/currencies)`,
        });
      }
    }
  }

  let debitAsset = asset;
  if (typeof raw.debit_asset === 'string' && typeof raw.network === 'string' && registry.findNetwork(raw.network)) {
    debitAsset = registry.findAsset(raw.network, raw.debit_asset);
    if (!debitAsset) {
      const assets = registry.network(raw.network).assets.map((a) => a.symbol);
      errors.push({
        field: 'debit_asset',
        message: `${raw.debit_asset} is not held on network "${raw.network}"; available: ${assets.join(', ')}`,
      });
    }
  }

  // The amount is in `currency` when given (a fiat currency or an asset), else in `asset`.
  let input: { symbol: string; decimals: number } | undefined = asset ? { symbol: asset.symbol, decimals: asset.decimals } : undefined;
  if (typeof raw.currency === 'string' && !has('currency')) {
    const fiatDecimals = FIAT_CURRENCIES[raw.currency];
    const assetDecimals = registry.networks.flatMap((n) => n.assets).find((a) => a.symbol === raw.currency)?.decimals;
    const decimals = fiatDecimals ?? assetDecimals;
    if (decimals === undefined) {
      input = undefined;
      errors.push({
        field: 'currency',
        message: `unknown currency "${raw.currency}"; supported: ${[...Object.keys(FIAT_CURRENCIES), ...registry.assetSymbols()].join(', ')}`,
      });
    } else input = { symbol: raw.currency, decimals };
  }

  // The amount's rules depend on the currency's decimals, so it is checked here, not by zod.
  let amountUnits: bigint | undefined;
  if (raw.amount === undefined) errors.push({ field: 'amount', message: 'amount is required' });
  else {
    const amount = parseAmount(raw.amount, input?.decimals ?? 18);
    if (amount.ok) amountUnits = amount.units;
    else errors.push({ field: 'amount', message: amount.error.message });
  }

  if (typeof raw.destination === 'string') {
    if (!isAddress(raw.destination, { strict: false })) {
      errors.push({ field: 'destination', message: 'destination must be a 0x-prefixed EVM address of 40 hex digits' });
    } else if (!isAddress(raw.destination, { strict: true })) {
      errors.push({
        field: 'destination',
        message: 'destination has mixed case but a wrong EIP-55 checksum (a typo?); check the address or send it all lowercase',
      });
    } else if (getAddress(raw.destination) === zeroAddress) {
      errors.push({ field: 'destination', message: 'destination must not be the zero address (funds sent there are burned)' });
    }
  }

  if (errors.length || !parsed.success || !asset || !debitAsset || !input || amountUnits === undefined) {
    return { ok: false, errors: errors.length ? errors : [{ field: 'body', message: 'invalid request' }] };
  }
  return {
    ok: true,
    value: {
      amountUnits,
      input,
      asset,
      debitAsset,
      program: parsed.data.program ?? '',
      network: parsed.data.network,
      destination: getAddress(parsed.data.destination),
      purpose: parsed.data.purpose,
      externalId: parsed.data.external_id,
      callbackUrl: parsed.data.callback_url,
    },
  };
}
