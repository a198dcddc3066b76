/**
 * A mass payout as a CSV file (RFC 4180, documented in docs/mass-payout-csv.md): a header row naming the columns
 * `address,amount,reference,memo` (reference and memo optional), then one recipient per row. Every row is checked
 * with the rules of JSON items (domain/mass-payout-items.ts) before anything is created; a file with any bad row is
 * refused whole, with every bad row listed by line and column.
 *
 * The input is the uploaded bytes, so the encoding is checked here and not by whoever decoded it: UTF-8 with or
 * without a BOM, and invalid UTF-8 is reported at the row and column holding it. Only globals are used (no
 * node: imports), so this also runs where Node's modules are not available.
 */
import { ADDRESS_SHAPE } from './eip55';
import { DECIMAL_PATTERN } from './money';
import {
  assertOptions,
  BatchChecker,
  DEFAULT_MAX_REPORTED_ERRORS,
  ErrorReport,
  ITEM_FIELDS,
  REQUIRED_ITEM_FIELDS,
  tooManyItemsMessage,
  type BatchErrorCode,
  type FieldErrorCode,
  type FieldProblem,
  type ItemField,
  type MassPayoutItem,
  type RawItemFields,
  type ValidateItemsOptions,
  type ValidationResult,
} from './mass-payout-items';

/** The documented header, every column; `reference` and `memo` may be left out, and the order is free. */
export const CSV_HEADER = ITEM_FIELDS.join(',');

export type CsvStructureErrorCode =
  | 'empty_file'
  | 'unsupported_encoding'
  | 'invalid_utf8'
  | 'missing_header'
  | 'unknown_column'
  | 'duplicate_column'
  | 'missing_column'
  | 'blank_line'
  | 'too_many_columns'
  | 'too_few_columns'
  | 'unterminated_quote'
  | 'stray_quote'
  | 'text_after_quote';

export type CsvErrorCode = CsvStructureErrorCode | FieldErrorCode | BatchErrorCode;

export interface CsvError {
  /** 1-based line where the row starts (a quoted line break does not start a row); null for the whole file. */
  line: number | null;
  /** The column's name (lowercase; as written for `unknown_column`), or null for the whole row or file. */
  column: string | null;
  code: CsvErrorCode;
  message: string;
}

export interface CsvMassPayoutItem extends MassPayoutItem {
  /** The line the row starts on, for reports that point back into the file. */
  line: number;
}

export type ValidateCsvResult = ValidationResult<CsvMassPayoutItem, CsvError>;

const COMMA = 0x2c;
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const END = -1;

type RecordProblemCode = 'unterminated_quote' | 'stray_quote' | 'text_after_quote';

/** One CSV record: a row of the file, which may span several lines when a quoted value holds line breaks. */
interface CsvRecord {
  line: number;
  /** Values as written: quotes removed and `""` unescaped, not trimmed. */
  fields: string[];
  /** Offset in the text where each value starts, to place an invalid UTF-8 byte in its column. */
  starts: number[];
  /** Offset just past the record's last character (before its line break). */
  end: number;
  problems: { field: number; code: RecordProblemCode }[];
}

/**
 * Reads records one at a time, so a file over the item limit is refused without reading the rest. Line breaks are
 * CRLF, LF or a lone CR, mixed freely; a line break at the very end of the file ends the last row and starts none.
 */
class CsvReader {
  private line = 1;
  private pos = 0;

  constructor(private readonly text: string) {}

  next(): CsvRecord | undefined {
    if (this.pos >= this.text.length) return undefined;
    const record: CsvRecord = { line: this.line, fields: [], starts: [], end: 0, problems: [] };
    while (this.readField(record) === COMMA) this.pos++;
    record.end = this.pos;
    this.skipLineBreak();
    return record;
  }

  /** Reads one value; returns what ends it (COMMA, CR, LF or END) with `pos` on that character. */
  private readField(record: CsvRecord): number {
    const { text } = this;
    // Spaces before an opening quote are tolerated: every value is trimmed anyway.
    let i = this.pos;
    while (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === TAB) i++;
    if (text.charCodeAt(i) === QUOTE) return this.readQuoted(record, i + 1);
    const start = this.pos;
    let stray = false;
    for (i = start; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === COMMA || c === LF || c === CR) break;
      if (c === QUOTE) stray = true;
    }
    if (stray) record.problems.push({ field: record.fields.length, code: 'stray_quote' });
    record.fields.push(text.slice(start, i));
    record.starts.push(start);
    this.pos = i;
    return this.terminator();
  }

  /** A quoted value from just after its opening quote: `""` is a quote, commas and line breaks are data. */
  private readQuoted(record: CsvRecord, start: number): number {
    const { text } = this;
    const field = record.fields.length;
    let value = '';
    for (let from = start; ;) {
      const quote = text.indexOf('"', from);
      if (quote === -1) {
        // Everything to the end of the file became this value: report it, and let nothing after it be read.
        record.problems.push({ field, code: 'unterminated_quote' });
        record.fields.push(value + text.slice(from));
        record.starts.push(start);
        this.pos = text.length;
        return END;
      }
      this.countLineBreaks(from, quote);
      if (text.charCodeAt(quote + 1) !== QUOTE) {
        value += text.slice(from, quote);
        this.pos = quote + 1;
        break;
      }
      value += text.slice(from, quote + 1);
      from = quote + 2;
    }
    record.fields.push(value);
    record.starts.push(start);
    return this.afterClosingQuote(record, field);
  }

  /** After a closing quote only spaces may come before the delimiter; anything else is reported and skipped. */
  private afterClosingQuote(record: CsvRecord, field: number): number {
    const { text } = this;
    let i = this.pos;
    while (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === TAB) i++;
    const c = text.charCodeAt(i);
    if (i < text.length && c !== COMMA && c !== LF && c !== CR) {
      record.problems.push({ field, code: 'text_after_quote' });
      while (i < text.length && ![COMMA, LF, CR].includes(text.charCodeAt(i))) i++;
    }
    this.pos = i;
    return this.terminator();
  }

  private terminator(): number {
    return this.pos < this.text.length ? this.text.charCodeAt(this.pos) : END;
  }

  private skipLineBreak(): void {
    const c = this.text.charCodeAt(this.pos);
    if (c === CR) this.pos += this.text.charCodeAt(this.pos + 1) === LF ? 2 : 1;
    else if (c === LF) this.pos += 1;
    else return;
    this.line++;
  }

  /** Line breaks inside a quoted value still advance the line count, so later rows keep their real line numbers. */
  private countLineBreaks(from: number, to: number): void {
    const { text } = this;
    for (let i = from; i < to; i++) {
      const c = text.charCodeAt(i);
      if (c === LF || (c === CR && (i + 1 >= to || text.charCodeAt(i + 1) !== LF))) this.line++;
    }
  }
}

/** Text decoded from the upload, and where (as text offsets) invalid UTF-8 byte sequences were. */
interface DecodedText {
  text: string;
  invalid: { offset: number; byte: number }[];
}

const fatalDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenientDecoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** Decodes strictly in one native call; only a file with invalid bytes takes the slow path that locates them. */
function decodeUtf8(bytes: Uint8Array): DecodedText {
  try {
    return { text: fatalDecoder.decode(bytes), invalid: [] };
  } catch {
    return decodeLocatingInvalid(bytes);
  }
}

/** Replaces each invalid sequence (maximal subpart, as WHATWG decoders do) by U+FFFD and records where it was. */
function decodeLocatingInvalid(bytes: Uint8Array): DecodedText {
  const parts: string[] = [];
  const invalid: DecodedText['invalid'] = [];
  let length = 0;
  let segment = 0;
  for (let i = 0; i < bytes.length;) {
    const sequence = utf8SequenceAt(bytes, i);
    if (sequence > 0) {
      i += sequence;
      continue;
    }
    const valid = lenientDecoder.decode(bytes.subarray(segment, i));
    parts.push(valid, '\uFFFD');
    length += valid.length;
    invalid.push({ offset: length, byte: bytes[i]! });
    length += 1;
    i -= sequence;
    segment = i;
  }
  parts.push(lenientDecoder.decode(bytes.subarray(segment)));
  return { text: parts.join(''), invalid };
}

/** Length of the well-formed UTF-8 sequence at `i` (Unicode table 3-7), or minus the length of the ill-formed part there. */
function utf8SequenceAt(bytes: Uint8Array, i: number): number {
  const first = bytes[i]!;
  if (first < 0x80) return 1;
  let continuation: number;
  let low = 0x80;
  let high = 0xbf;
  if (first >= 0xc2 && first <= 0xdf) continuation = 1;
  else if (first >= 0xe0 && first <= 0xef) {
    continuation = 2;
    if (first === 0xe0) low = 0xa0; // overlong
    if (first === 0xed) high = 0x9f; // surrogates
  } else if (first >= 0xf0 && first <= 0xf4) {
    continuation = 3;
    if (first === 0xf0) low = 0x90; // overlong
    if (first === 0xf4) high = 0x8f; // above U+10FFFF
  } else return -1;
  for (let k = 1; k <= continuation; k++) {
    const byte = bytes[i + k];
    if (byte === undefined || byte < low || byte > high) return -k;
    low = 0x80;
    high = 0xbf;
  }
  return continuation + 1;
}

/** Whether the bytes start with a UTF-16 byte order mark: a common "Unicode text" export that is not UTF-8. */
function isUtf16(bytes: Uint8Array): boolean {
  return (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
}

function hasUtf8Bom(bytes: Uint8Array): boolean {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

/** Everything one validation run shares: the report, the batch rules, the columns and the invalid bytes still ahead. */
class CsvValidation {
  readonly report: ErrorReport<CsvError>;
  readonly batch: BatchChecker;
  readonly items: CsvMassPayoutItem[] = [];
  columns: ItemField[] = [];
  private nextInvalid = 0;

  constructor(
    readonly options: ValidateItemsOptions,
    private readonly invalid: DecodedText['invalid'],
  ) {
    this.report = new ErrorReport(options.maxReportedErrors ?? DEFAULT_MAX_REPORTED_ERRORS);
    this.batch = new BatchChecker(options, (line) => `line ${line}`);
  }

  /** A problem of data row `line` (counted in `badItemCount`), or of the file when `line` is null. */
  add(line: number | null, column: string | null, code: CsvErrorCode, message: string): void {
    this.report.add(line, { line, column, code, message });
  }

  /** A problem of the header: line 1, but not a bad row. */
  addHeader(column: string | null, code: CsvErrorCode, message: string): void {
    this.report.add(null, { line: 1, column, code, message });
  }

  /** The header name of value `index`, or null past the header's columns. */
  columnName(index: number): string | null {
    return this.columns[index] ?? null;
  }

  /** Indexes of the record's values holding invalid UTF-8 (records arrive in order, so one pass covers the file). */
  invalidFields(record: CsvRecord): { field: number; byte: number }[] {
    const found: { field: number; byte: number }[] = [];
    for (; this.nextInvalid < this.invalid.length; this.nextInvalid++) {
      const { offset, byte } = this.invalid[this.nextInvalid]!;
      if (offset >= record.end) break;
      let field = record.starts.length - 1;
      while (field > 0 && record.starts[field]! > offset) field--;
      if (!found.some((f) => f.field === field)) found.push({ field, byte });
    }
    return found;
  }
}

const HEADER_HINT = `the first line must be the header ${CSV_HEADER} (reference and memo are optional)`;

function invalidUtf8Message(byte: number): string {
  const hex = byte.toString(16).toUpperCase().padStart(2, '0');
  return `not valid UTF-8 (byte 0x${hex}); save the file as UTF-8 (in Excel: "CSV UTF-8")`;
}

/** Reads the header into `run.columns`; false when the header is unusable (its errors are reported). */
function readHeader(run: CsvValidation, record: CsvRecord): boolean {
  for (const { field, byte } of run.invalidFields(record)) {
    run.addHeader(null, 'invalid_utf8', `header column ${field + 1}: ${invalidUtf8Message(byte)}`);
  }
  for (const { field, code } of record.problems) {
    run.addHeader(null, code, `header column ${field + 1}: ${recordProblemMessage(code)}`);
  }
  if (run.report.errorCount) return false;
  const names = record.fields.map((value) => value.trim().toLowerCase());
  if (names.every((name) => name === '')) {
    run.addHeader(null, 'missing_header', `line 1 is blank; ${HEADER_HINT}`);
    return false;
  }
  if (names.some((name) => ADDRESS_SHAPE.test(name) || DECIMAL_PATTERN.test(name))) {
    run.addHeader(null, 'missing_header', `line 1 looks like a data row; ${HEADER_HINT}`);
    return false;
  }
  return readColumnNames(run, names, record.fields);
}

function readColumnNames(run: CsvValidation, names: string[], written: string[]): boolean {
  const columns: ItemField[] = [];
  names.forEach((name, index) => {
    if (!(ITEM_FIELDS as readonly string[]).includes(name)) {
      const label = name === '' ? `column ${index + 1} has no name` : `unknown column "${written[index]!.trim()}"`;
      run.addHeader(name === '' ? null : written[index]!.trim(), 'unknown_column', `${label}; the columns are ${CSV_HEADER}`);
    } else if (columns.includes(name as ItemField)) {
      run.addHeader(name, 'duplicate_column', `column ${name} appears more than once`);
    }
    columns.push(name as ItemField);
  });
  for (const field of REQUIRED_ITEM_FIELDS) {
    if (!names.includes(field)) run.addHeader(field, 'missing_column', `the header has no ${field} column; ${HEADER_HINT}`);
  }
  run.columns = columns;
  return run.report.errorCount === 0;
}

function recordProblemMessage(code: RecordProblemCode): string {
  switch (code) {
    case 'unterminated_quote':
      return 'a quoted value is never closed: the rest of the file was read as this value; close it with a "';
    case 'stray_quote':
      return 'a " inside a value that does not start with one; quote the whole value and double the inner quote ("")';
    case 'text_after_quote':
      return 'text after the closing quote of a value; put the whole value inside the quotes';
  }
}

/** A row with nothing in it: no character, only spaces, or only empty values (",,,", as spreadsheets export). */
function isBlank(record: CsvRecord): boolean {
  return record.problems.length === 0 && record.fields.every((value) => value.trim() === '');
}

/** Checks one data row; adds its item when it is valid. */
function validateRow(run: CsvValidation, record: CsvRecord, index: number): void {
  const { line } = record;
  const invalid = run.invalidFields(record);
  const unterminated = record.problems.find((problem) => problem.code === 'unterminated_quote');
  if (unterminated) {
    // The value swallowed every later line, so its column count and content mean nothing.
    run.add(line, run.columnName(unterminated.field), 'unterminated_quote', recordProblemMessage('unterminated_quote'));
    return;
  }
  if (record.fields.length !== run.columns.length) {
    // Values cannot be matched to columns, so only the encoding is reported besides the count.
    if (invalid[0]) run.add(line, null, 'invalid_utf8', invalidUtf8Message(invalid[0].byte));
    reportColumnCount(run, record);
    return;
  }
  const unreadable = unreadableValues(record, invalid);
  const raw: RawItemFields = {};
  run.columns.forEach((column, field) => {
    const value = record.fields[field]!.trim();
    // An empty value is an absent one: optional columns may be left empty row by row.
    if (value !== '' && !unreadable.has(field)) raw[column] = value;
  });
  const { problems, item } = run.batch.check(raw, line);
  if (item && unreadable.size === 0) run.items.push({ index, line, ...item });
  else reportRow(run, line, unreadable, problems);
}

/** Values that cannot be read (invalid UTF-8, quoting): reported as such, and not checked or reported missing again. */
function unreadableValues(
  record: CsvRecord,
  invalid: { field: number; byte: number }[],
): Map<number, { code: CsvErrorCode; message: string }> {
  const unreadable = new Map<number, { code: CsvErrorCode; message: string }>();
  for (const { field, byte } of invalid) unreadable.set(field, { code: 'invalid_utf8', message: invalidUtf8Message(byte) });
  for (const { field, code } of record.problems) {
    if (!unreadable.has(field)) unreadable.set(field, { code, message: recordProblemMessage(code) });
  }
  return unreadable;
}

/** Reports a row's problems in column order, as a person reads the row. */
function reportRow(
  run: CsvValidation,
  line: number,
  unreadable: Map<number, { code: CsvErrorCode; message: string }>,
  problems: FieldProblem[],
): void {
  const found = [...unreadable].map(([field, problem]) => ({ field, ...problem }));
  for (const problem of problems) {
    const field = run.columns.indexOf(problem.field);
    if (!unreadable.has(field)) found.push({ ...problem, field });
  }
  for (const { field, code, message } of found.sort((a, b) => a.field - b.field)) run.add(line, run.columnName(field), code, message);
}

function reportColumnCount(run: CsvValidation, record: CsvRecord): void {
  const count = record.fields.length;
  const expected = run.columns.length;
  const code = count > expected ? 'too_many_columns' : 'too_few_columns';
  const hint = count > expected ? '; a value holding a comma must be quoted (and amounts have no thousands separator)' : '';
  run.add(record.line, null, code, `the row has ${count} values and the header ${expected} (${run.columns.join(',')})${hint}`);
}

/**
 * Validates a mass payout CSV file given as the uploaded bytes. Returns every item (checksummed address, amount in
 * base units, line) with the bigint total; or every error by line and column, capped at `maxReportedErrors`. A file
 * with more than `maxItems` rows is refused with one `too_many_items` error, without reading past the limit.
 */
export function validateCsv(input: Uint8Array, options: ValidateItemsOptions): ValidateCsvResult {
  assertOptions(options);
  const early = new ErrorReport<CsvError>(1);
  if (isUtf16(input)) {
    early.add(null, { line: null, column: null, code: 'unsupported_encoding', message: 'the file is UTF-16; save it as UTF-8' });
    return early.failure();
  }
  const { text, invalid } = decodeUtf8(hasUtf8Bom(input) ? input.subarray(3) : input);
  if (text.trim() === '') {
    early.add(null, { line: null, column: null, code: 'empty_file', message: `the file is empty; ${HEADER_HINT}` });
    return early.failure();
  }
  const run = new CsvValidation(options, invalid);
  const reader = new CsvReader(text);
  if (!readHeader(run, reader.next()!)) return run.report.failure();
  return readRows(run, reader);
}

function readRows(run: CsvValidation, reader: CsvReader): ValidateCsvResult {
  const { maxItems } = run.options;
  let rows = 0;
  for (let record = reader.next(); record; record = reader.next()) {
    if (isBlank(record)) {
      run.add(record.line, null, 'blank_line', 'blank line; remove it (every line after the header must be a payment)');
      continue;
    }
    if (++rows > maxItems) return tooManyRows(record.line, maxItems);
    validateRow(run, record, rows - 1);
  }
  if (rows === 0 && run.report.errorCount === 0) run.add(null, null, 'no_items', 'the file has a header but no rows');
  const total = run.batch.totalProblem();
  if (total) run.add(null, 'amount', total.code, total.message);
  if (run.report.errorCount) return run.report.failure();
  return { ok: true, items: run.items, totalUnits: run.batch.totalUnits };
}

/** One clear error replaces whatever else was found: the file cannot be accepted at this size whatever its rows say. */
function tooManyRows(line: number, maxItems: number): ValidateCsvResult {
  const report = new ErrorReport<CsvError>(1);
  const message = `${tooManyItemsMessage(maxItems, 'file has more')} (line ${line} is row ${(maxItems + 1).toLocaleString('en-US')})`;
  report.add(null, { line, column: null, code: 'too_many_items', message });
  return report.failure();
}
