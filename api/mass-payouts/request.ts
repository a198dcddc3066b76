/**
 * Validation of POST /v1/mass-payouts, whatever the form: the batch's fields (zod, then the network registry) and
 * every item (domain/mass-payout-items.ts for JSON, domain/mass-payout-csv.ts for a file). All or nothing: one bad
 * item refuses the batch, and the answer lists every bad item (JSON `items[i].field`) or row (CSV line and column).
 */
import { createHash } from 'node:crypto';
import { validateCsv, type CsvError } from '../../domain/mass-payout-csv';
import { itemErrorPath, validateItems, type ItemError, type MassPayoutItem } from '../../domain/mass-payout-items';
import type { AssetDefinition, NetworkRegistry } from '../../domain/networks';
import { ApiError, type FieldError } from '../http/errors';
import { zodFieldErrors } from '../http/field-errors';
import { FILE_PART, type MassPayoutBody } from './body';
import { MASS_PAYOUT_FIELDS, massPayoutFields } from './schemas';

export type MassPayoutSource = 'json' | 'csv';

export interface ValidMassPayoutRequest {
  network: string;
  asset: AssetDefinition;
  purpose: string;
  externalId?: string;
  source: MassPayoutSource;
  items: MassPayoutItem[];
  /** Base units: the sum of the items. */
  totalUnits: bigint;
  /**
   * What the Idempotency-Key contract compares: the fields and a digest of the validated items. A multi-megabyte
   * body is not stored or walked key by key, and a file is compared by what it says, not by its bytes.
   */
  fingerprint: Record<string, unknown>;
}

export interface MassPayoutLimits {
  registry: NetworkRegistry;
  maxItems: number;
  /** Sanctions screening of each row's address: why it is refused, or undefined. */
  isRefused?: (address: string) => string | undefined;
}

const NUL = 'must not contain the NUL character (U+0000)';

/** The network and asset, from the registry; each unknown one named with what is available. */
function findAsset(registry: NetworkRegistry, network: string, symbol: string, errors: FieldError[]): AssetDefinition | undefined {
  if (!registry.findNetwork(network)) {
    errors.push({ field: 'network', message: `unknown network "${network}"; supported: ${registry.networkIds().join(', ')}` });
    return undefined;
  }
  const asset = registry.findAsset(network, symbol);
  if (asset) return asset;
  const valid = registry.networksForAsset(symbol);
  errors.push({
    field: 'asset',
    message: valid.length
      ? `${symbol} is not configured on network "${network}"; it is available on: ${valid.join(', ')}`
      : `unknown asset "${symbol}"; supported: ${registry.assetSymbols().join(', ')} (see GET /v1/currencies)`,
  });
  return undefined;
}

/** The form's raw fields and items, with what is wrong with the form itself. */
function splitForm(body: MassPayoutBody, query: Record<string, unknown>, errors: FieldError[]) {
  if (body.form !== 'csv') {
    for (const name of Object.keys(query)) {
      errors.push({ field: name, message: 'query parameters are read only with a text/csv body; put the field in the body' });
    }
  }
  if (body.form === 'json') {
    const raw = body.body;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      errors.push({ field: 'body', message: 'send a JSON object: { network, asset, purpose, external_id?, items: [...] }' });
      return { fields: {}, allowed: [...MASS_PAYOUT_FIELDS, 'items'] };
    }
    const { items, ...fields } = raw as Record<string, unknown>;
    if (items === undefined)
      errors.push({ field: 'items', message: 'items is required: an array of { address, amount, reference?, memo? }' });
    return { fields, items, allowed: [...MASS_PAYOUT_FIELDS, 'items'] };
  }
  if (body.form === 'multipart') {
    errors.push(...body.problems);
    const { [FILE_PART]: asText, ...fields } = body.fields;
    if (asText !== undefined) {
      // Its bytes were already decoded as text, so invalid UTF-8 could no longer be reported where it is.
      errors.push({
        field: FILE_PART,
        message: `send ${FILE_PART} as a file part (curl -F ${FILE_PART}=@payroll.csv), not as a text field`,
      });
    } else if (body.file === undefined) {
      errors.push({ field: FILE_PART, message: `${FILE_PART} is required: the CSV file as a file part` });
    }
    return { fields, file: asText === undefined ? body.file : undefined, allowed: [...MASS_PAYOUT_FIELDS, FILE_PART] };
  }
  return { fields: query, file: body.file, allowed: MASS_PAYOUT_FIELDS };
}

export function validateMassPayoutRequest(
  body: MassPayoutBody,
  query: Record<string, unknown>,
  limits: MassPayoutLimits,
): ValidMassPayoutRequest {
  const errors: FieldError[] = [];
  const form = splitForm(body, query, errors);
  for (const [name, value] of Object.entries(form.fields)) {
    if (typeof value === 'string' && value.includes('\0')) errors.push({ field: name, message: NUL });
  }
  const parsed = massPayoutFields.safeParse(form.fields);
  if (!parsed.success) errors.push(...zodFieldErrors(parsed.error, { allowed: form.allowed }));
  const raw = form.fields as Record<string, unknown>;
  const asset =
    typeof raw.network === 'string' && typeof raw.asset === 'string' && raw.network && raw.asset
      ? findAsset(limits.registry, raw.network, raw.asset, errors)
      : undefined;

  // Items are judged in the asset's decimals, so an unknown asset leaves them unchecked (its error says why).
  let items: { items: MassPayoutItem[]; totalUnits: bigint } | undefined;
  let summary: string | undefined;
  if (asset && (body.form === 'json' ? form.items !== undefined : form.file !== undefined)) {
    const options = {
      asset: { symbol: asset.symbol, decimals: asset.decimals },
      maxItems: limits.maxItems,
      ...(limits.isRefused ? { isRefused: limits.isRefused } : {}),
    };
    const result = body.form === 'json' ? validateItems(form.items, options) : validateCsv(form.file!, options);
    if (result.ok) items = result;
    else {
      const tooMany = result.errors.find((error) => error.code === 'too_many_items');
      if (tooMany) {
        const where = body.form === 'json' ? jsonItemError(tooMany as ItemError) : csvRowError(tooMany as CsvError);
        throw tooManyItems(tooMany.message, limits.maxItems, where);
      }
      errors.push(
        ...(body.form === 'json' ? (result.errors as ItemError[]).map(jsonItemError) : (result.errors as CsvError[]).map(csvRowError)),
      );
      summary = badItemsSummary(body.form === 'json' ? 'item' : 'row', result);
    }
  }

  if (errors.length || !parsed.success || !asset || !items) {
    if (!errors.length) errors.push({ field: 'body', message: 'invalid request' });
    throw invalidMassPayout(errors, summary);
  }
  const source: MassPayoutSource = body.form === 'json' ? 'json' : 'csv';
  const { network, purpose, external_id: externalId } = parsed.data;
  return {
    network,
    asset,
    purpose,
    ...(externalId === undefined ? {} : { externalId }),
    source,
    items: items.items,
    totalUnits: items.totalUnits,
    fingerprint: { source, network, asset: asset.symbol, purpose, external_id: externalId ?? null, items: itemsDigest(items.items) },
  };
}

/** sha256 of the validated items (checksummed address, base units, reference, memo), in order. */
export function itemsDigest(items: readonly MassPayoutItem[]): string {
  const hash = createHash('sha256');
  for (const item of items)
    hash.update(`${JSON.stringify([item.destination, item.amountUnits.toString(), item.reference ?? null, item.memo ?? null])}\n`);
  return hash.digest('hex');
}

export function jsonItemError(error: ItemError): FieldError {
  return { field: itemErrorPath(error), code: error.code, message: error.message };
}

/** A CSV problem as a field error: the file, and where in it (the message says it too, for people). */
export function csvRowError(error: CsvError): FieldError {
  const where = error.line === null ? '' : `line ${error.line}${error.column ? `, ${error.column}` : ''}: `;
  return { field: FILE_PART, line: error.line, column: error.column, code: error.code, message: `${where}${error.message}` };
}

function badItemsSummary(
  what: 'item' | 'row',
  result: { errorCount: number; badItemCount: number; truncated: boolean; errors: unknown[] },
) {
  const count = (n: number, noun: string) => `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
  const listed = result.truncated
    ? `the first ${result.errors.length.toLocaleString('en-US')} are listed in fields`
    : 'every one is listed in fields';
  return `${count(result.badItemCount, `bad ${what}`)} (${count(result.errorCount, 'problem')}); nothing was created: ${listed}`;
}

function invalidMassPayout(fields: FieldError[], summary: string | undefined): ApiError {
  const others = fields.filter((field) => field.code === undefined).map((field) => field.field);
  const parts = [...(others.length ? [`${others.length} field(s) are invalid: ${others.join(', ')}`] : []), ...(summary ? [summary] : [])];
  return new ApiError(400, 'validation', 'invalid_request', parts.join('; '), fields);
}

/** One error, at the first item or row over the limit, like every other item or row error. */
function tooManyItems(message: string, maxItems: number, where: FieldError): ApiError {
  return new ApiError(413, 'validation', 'too_many_items', `${message} (the limit is MASS_PAYOUT_MAX_ITEMS=${maxItems})`, [
    { ...where, code: 'too_many_items', message: `at most ${maxItems.toLocaleString('en-US')} items (MASS_PAYOUT_MAX_ITEMS)` },
  ]);
}
