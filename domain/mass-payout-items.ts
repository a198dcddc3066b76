/**
 * The items of a mass payout: one recipient, one amount, an optional reference and memo each. Validation is pure
 * (no database, no network) and all-or-nothing: every problem of every item is reported, and a batch with any
 * bad item yields no items at all, so nothing can be created from a partly valid batch.
 *
 * The same field rules serve JSON items (`validateItems`, here) and CSV rows (domain/mass-payout-csv.ts). The
 * field names are the CSV header's (`address`, `amount`, `reference`, `memo`) in both formats, so one
 * document describes both (docs/mass-payout-csv.md).
 */
import type { Address } from 'viem';
import { checkAddress } from './eip55';
import { MAX_UINT256, parseAmount, type AmountParseError } from './money';

export const ITEM_FIELDS = ['address', 'amount', 'reference', 'memo'] as const;
export type ItemField = (typeof ITEM_FIELDS)[number];
export const REQUIRED_ITEM_FIELDS: readonly ItemField[] = ['address', 'amount'];

/** The rules of a payout's `external_id` (api/payouts/schemas.ts), so a reference can become one. */
export const REFERENCE_MAX_LENGTH = 50;
export const REFERENCE_PATTERN = /^[A-Za-z0-9._:/-]+$/;
/** In Unicode characters (code points), as PostgreSQL's varchar counts them. */
export const MEMO_MAX_LENGTH = 200;
/** C0 controls except tab, LF and CR (a quoted CSV memo may span lines), DEL, and lone surrogates (not storable). */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const MEMO_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\p{Cs}]/u;
/** Enough to fix a file by; a broken 100,000-row file would otherwise answer with megabytes of report. */
export const DEFAULT_MAX_REPORTED_ERRORS = 1000;

export interface MassPayoutItem {
  /** 0-based position in the batch (the JSON array index, or the data row's order in a CSV file). */
  index: number;
  /** EIP-55 checksummed. */
  destination: Address;
  /** Base units of the batch's asset. */
  amountUnits: bigint;
  reference?: string;
  memo?: string;
}

export type FieldErrorCode =
  | 'required'
  | 'not_a_string'
  | 'address_invalid'
  | 'address_checksum'
  | 'address_zero'
  | 'address_refused'
  | 'amount_invalid_format'
  | 'amount_too_many_decimals'
  | 'amount_not_positive'
  | 'amount_too_large'
  | 'reference_invalid'
  | 'reference_too_long'
  | 'reference_duplicate'
  | 'memo_too_long'
  | 'memo_invalid';

/** Problems of the whole batch rather than of one item. */
export type BatchErrorCode = 'no_items' | 'too_many_items' | 'total_too_large';

export type ItemErrorCode = FieldErrorCode | BatchErrorCode | 'not_an_array' | 'not_an_object' | 'unknown_field';

export interface ItemError {
  /** The item's array index; null for a problem of the whole batch. */
  item: number | null;
  /** `address`, `amount`, `reference`, `memo`, an unknown key, or null for the whole item or batch. */
  field: string | null;
  code: ItemErrorCode;
  message: string;
}

export interface ValidateItemsOptions {
  /** The batch's asset: amounts are parsed with its decimals. */
  asset: { symbol: string; decimals: number };
  /** Configuration (at least 100,000 in production); one more item is refused with a single `too_many_items`. */
  maxItems: number;
  /** Sanctions or policy screening: a reason to refuse this (checksummed) address, or undefined. Called once per distinct address. */
  isRefused?: (address: Address) => string | undefined;
  /** Report at most this many errors (DEFAULT_MAX_REPORTED_ERRORS); `errorCount` still counts all of them. */
  maxReportedErrors?: number;
}

export type ValidationResult<Item, Error> =
  | { ok: true; items: Item[]; totalUnits: bigint }
  | {
      ok: false;
      /** In input order, at most `maxReportedErrors`. */
      errors: Error[];
      /** Every error found, reported or not. */
      errorCount: number;
      /** Items (rows) with at least one error. */
      badItemCount: number;
      truncated: boolean;
    };

export type ValidateItemsResult = ValidationResult<MassPayoutItem, ItemError>;

/** One field's problem, before the caller says where it is (item index or CSV line). */
export interface FieldProblem {
  field: ItemField;
  code: FieldErrorCode;
  message: string;
}

/** Item fields as strings: JSON values after their type check, CSV cells after trimming (absent = undefined). */
export type RawItemFields = Partial<Record<ItemField, string>>;

/** Collects errors up to a cap and counts all of them. */
export class ErrorReport<E> {
  readonly errors: E[] = [];
  errorCount = 0;
  private readonly badItems = new Set<number>();

  constructor(private readonly max: number) {}

  /** `item` identifies the bad item or row (index or line) for `badItemCount`; null for batch-level problems. */
  add(item: number | null, error: E): void {
    this.errorCount++;
    if (item !== null) this.badItems.add(item);
    if (this.errors.length < this.max) this.errors.push(error);
  }

  get badItemCount(): number {
    return this.badItems.size;
  }

  failure(): ValidationResult<never, E> & { ok: false } {
    const { errors, errorCount, badItemCount } = this;
    return { ok: false, errors, errorCount, badItemCount, truncated: errorCount > errors.length };
  }
}

/**
 * The state every item is checked against: references seen so far (to find duplicates), screening answers per
 * address, and the running total. `describe` names a position in messages ("item 3", "line 7").
 */
export class BatchChecker {
  private readonly references = new Map<string, number>();
  private readonly screening = new Map<Address, string | undefined>();
  totalUnits = 0n;

  constructor(
    private readonly options: ValidateItemsOptions,
    private readonly describe: (position: number) => string,
  ) {}

  /** Checks one item's fields; returns the item's parts when every field is valid. */
  check(raw: RawItemFields, position: number): { problems: FieldProblem[]; item?: Omit<MassPayoutItem, 'index'> } {
    const problems: FieldProblem[] = [];
    const destination = this.address(raw.address, problems);
    const amountUnits = this.amount(raw.amount, problems);
    const reference = this.reference(raw.reference, position, problems);
    const memo = checkMemo(raw.memo, problems);
    if (problems.length || destination === undefined || amountUnits === undefined) return { problems };
    this.totalUnits += amountUnits;
    const item: Omit<MassPayoutItem, 'index'> = { destination, amountUnits };
    if (reference !== undefined) item.reference = reference;
    if (memo !== undefined) item.memo = memo;
    return { problems, item };
  }

  /** The uint256 bound of a single amount applies to the sum too: the reservation and the ledger hold it. */
  totalProblem(): { code: 'total_too_large'; message: string } | undefined {
    if (this.totalUnits <= MAX_UINT256) return undefined;
    return { code: 'total_too_large', message: 'the amounts add up to more than any on-chain balance can be' };
  }

  private address(value: string | undefined, problems: FieldProblem[]): Address | undefined {
    if (value === undefined) {
      problems.push(required('address'));
      return undefined;
    }
    const check = checkAddress(value, 'address');
    if (!check.ok) {
      problems.push({ field: 'address', code: check.code, message: check.message });
      return undefined;
    }
    const reason = this.refusal(check.address);
    if (reason !== undefined) {
      problems.push({ field: 'address', code: 'address_refused', message: `address refused: ${reason}` });
      return undefined;
    }
    return check.address;
  }

  private refusal(address: Address): string | undefined {
    const screen = this.options.isRefused;
    if (!screen) return undefined;
    if (!this.screening.has(address)) this.screening.set(address, screen(address));
    return this.screening.get(address);
  }

  private amount(value: string | undefined, problems: FieldProblem[]): bigint | undefined {
    if (value === undefined) {
      problems.push(required('amount'));
      return undefined;
    }
    const parsed = parseAmount(value, this.options.asset.decimals);
    if (parsed.ok) return parsed.units;
    problems.push({
      field: 'amount',
      code: AMOUNT_CODES[parsed.error.code],
      message: amountMessage(parsed.error, this.options.asset.symbol),
    });
    return undefined;
  }

  /** Unique within the batch, case-sensitively: external ids compare exactly (PostgreSQL text), so references do too. */
  private reference(value: string | undefined, position: number, problems: FieldProblem[]): string | undefined {
    if (value === undefined) return undefined;
    const problem = referenceProblem(value);
    if (problem) {
      problems.push(problem);
      return undefined;
    }
    const first = this.references.get(value);
    if (first !== undefined) {
      const message = `reference "${value}" is already used by ${this.describe(first)}; references must be unique within a mass payout`;
      problems.push({ field: 'reference', code: 'reference_duplicate', message });
      return undefined;
    }
    this.references.set(value, position);
    return value;
  }
}

const AMOUNT_CODES: Record<AmountParseError['code'], FieldErrorCode> = {
  not_a_string: 'not_a_string',
  invalid_format: 'amount_invalid_format',
  too_many_decimals: 'amount_too_many_decimals',
  not_positive: 'amount_not_positive',
  too_large: 'amount_too_large',
};

function amountMessage(error: AmountParseError, symbol: string): string {
  // parseAmount says "this asset"; the batch knows which one.
  return error.code === 'too_many_decimals' ? error.message.replace('this asset', symbol) : error.message;
}

function required(field: ItemField): FieldProblem {
  return { field, code: 'required', message: `${field} is required` };
}

function referenceProblem(value: string): FieldProblem | undefined {
  if (value.length > REFERENCE_MAX_LENGTH) {
    return { field: 'reference', code: 'reference_too_long', message: `reference must be at most ${REFERENCE_MAX_LENGTH} characters` };
  }
  if (!REFERENCE_PATTERN.test(value)) {
    const message = value ? 'reference may contain only letters, digits and ._:/-' : 'reference must not be empty (omit it instead)';
    return { field: 'reference', code: 'reference_invalid', message };
  }
  return undefined;
}

function checkMemo(value: string | undefined, problems: FieldProblem[]): string | undefined {
  if (value === undefined) return undefined;
  if (MEMO_FORBIDDEN.test(value)) {
    problems.push({
      field: 'memo',
      code: 'memo_invalid',
      message: 'memo must not contain control characters other than tab and line breaks',
    });
    return undefined;
  }
  // Code points, not UTF-16 units: an emoji is one character, as the database counts it. The cheap test first.
  if (value.length > MEMO_MAX_LENGTH && [...value].length > MEMO_MAX_LENGTH) {
    problems.push({ field: 'memo', code: 'memo_too_long', message: `memo must be at most ${MEMO_MAX_LENGTH} characters` });
    return undefined;
  }
  return value;
}

/** Refuses a configuration that could never accept a batch: a programming error, not a client's. */
export function assertOptions(options: ValidateItemsOptions): void {
  if (!Number.isSafeInteger(options.maxItems) || options.maxItems < 1)
    throw new RangeError(`maxItems must be a positive integer, got ${options.maxItems}`);
  const { decimals } = options.asset;
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 77) throw new RangeError(`asset decimals out of range: ${decimals}`);
}

export function tooManyItemsMessage(maxItems: number, what: string): string {
  return `a mass payout holds at most ${maxItems.toLocaleString('en-US')} items and this ${what}; split it into several mass payouts`;
}

/**
 * Validates the JSON `items` of a mass payout: an array of objects `{ address, amount, reference?, memo? }`, every
 * value a string (amounts as decimal strings in whole units of the asset, never JSON numbers). Unknown keys are
 * refused (a misspelt `memo` would otherwise vanish). Returns every item, checksummed and in base units, with the
 * bigint total; or every error, by array index and field.
 */
export function validateItems(rawItems: unknown, options: ValidateItemsOptions): ValidateItemsResult {
  assertOptions(options);
  const report = new ErrorReport<ItemError>(options.maxReportedErrors ?? DEFAULT_MAX_REPORTED_ERRORS);
  if (!Array.isArray(rawItems)) {
    report.add(null, { item: null, field: null, code: 'not_an_array', message: 'items must be an array of objects' });
    return report.failure();
  }
  if (rawItems.length === 0) {
    report.add(null, { item: null, field: null, code: 'no_items', message: 'items must hold at least one item' });
    return report.failure();
  }
  // One clear error, before any work: a batch over the limit is refused whatever its items say.
  if (rawItems.length > options.maxItems) {
    const message = tooManyItemsMessage(options.maxItems, `one has ${rawItems.length.toLocaleString('en-US')}`);
    // Named at the first item over the limit, as the CSV form names the first row over it.
    report.add(null, { item: options.maxItems, field: null, code: 'too_many_items', message });
    return report.failure();
  }
  const batch = new BatchChecker(options, (index) => `item ${index}`);
  const items: MassPayoutItem[] = [];
  rawItems.forEach((raw: unknown, index) => {
    const read = readJsonItem(raw, index, report);
    if (!read) return;
    // Fields already reported as unreadable are not reported again as missing.
    const { problems, item } = batch.check(read.fields, index);
    for (const problem of problems) if (!read.unreadable.has(problem.field)) report.add(index, { item: index, ...problem });
    if (item && !read.unreadable.size) items.push({ index, ...item });
  });
  const total = batch.totalProblem();
  if (total) report.add(null, { item: null, field: 'amount', ...total });
  if (report.errorCount) return report.failure();
  return { ok: true, items, totalUnits: batch.totalUnits };
}

/**
 * The item's string fields, and the keys already reported (unknown, or not a string); undefined after reporting
 * that the item is not an object at all.
 */
function readJsonItem(
  raw: unknown,
  index: number,
  report: ErrorReport<ItemError>,
): { fields: RawItemFields; unreadable: Set<string> } | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    report.add(index, { item: index, field: null, code: 'not_an_object', message: 'each item must be an object with address and amount' });
    return undefined;
  }
  const fields: RawItemFields = {};
  const unreadable = new Set<string>();
  for (const [key, value] of Object.entries(raw)) {
    if (!(ITEM_FIELDS as readonly string[]).includes(key)) {
      report.add(index, { item: index, field: key, code: 'unknown_field', message: `unknown field; allowed: ${ITEM_FIELDS.join(', ')}` });
      unreadable.add(key);
    } else if (typeof value !== 'string') {
      report.add(index, { item: index, field: key, code: 'not_a_string', message: notAStringMessage(key as ItemField) });
      unreadable.add(key);
    } else fields[key as ItemField] = value;
  }
  return { fields, unreadable };
}

function notAStringMessage(field: ItemField): string {
  return field === 'amount' ? 'amount must be a string of decimal digits such as "12.50", not a JSON number' : `${field} must be a string`;
}

/** The API's field path of an item error, e.g. `items[3].amount` (or `items` for the whole batch). */
export function itemErrorPath(error: ItemError): string {
  if (error.item === null) return error.field ? `items[].${error.field}` : 'items';
  return error.field === null ? `items[${error.item}]` : `items[${error.item}].${error.field}`;
}
