/**
 * What the command prints about a mass payout: a refused file's bad rows, the final summary (items and amounts
 * per status, transactions, network fee), the failed items, and the exit code. Pure: lines of text in, lines out.
 */
import type { ApiErrorBody, MassPayoutItem, MassPayoutView } from './client';
import { count, formatDuration, itemsIn } from './progress';

/** At most this many bad rows or failed items are listed; the rest are counted. */
export const MAX_LISTED = 50;

export interface RowProblem {
  /** The file's line (1 is the header), or null for the whole file. */
  line: number | null;
  column: string | null;
  reason: string;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * A validation field as a bad row of the file, when it names one: `{line, column, message}` as the mass-payout
 * route reports CSV rows, or a path such as `line 19: amount` / `items[3].amount` (an item of a JSON body,
 * shown as its line in an equivalent CSV file). Null for a field of the request itself (network, asset, …).
 */
export function rowProblem(field: Record<string, unknown>): RowProblem | null {
  // The API's message may repeat the place ("line 5, amount: …"); the table has its own columns for that.
  const reason = (text(field.reason) ?? text(field.message) ?? text(field.code) ?? 'invalid').replace(/^(line|row) \d+(, [a-z_]+)?: /i, '');
  const name = text(field.field) ?? '';
  if (typeof field.line === 'number' || field.line === null) {
    return { line: field.line as number | null, column: text(field.column) ?? null, reason };
  }
  const byLine = /^(?:file\s*)?(?:line|row)\s*(\d+)(?:\s*[:.,]?\s*([a-z_]+))?$/i.exec(name);
  if (byLine) return { line: Number(byLine[1]), column: byLine[2] ?? text(field.column) ?? null, reason };
  const byItem = /^items\[(\d+)\](?:\.([a-z_]+))?$/i.exec(name);
  if (byItem) return { line: Number(byItem[1]) + 2, column: byItem[2] ?? null, reason };
  if (/^(file|csv|items)$/i.test(name) && (text(field.code) || /line|row|item/i.test(reason))) return { line: null, column: null, reason };
  return null;
}

/** A refused submission (400): the bad rows, at most MAX_LISTED, then the request's own bad fields. */
export function formatRejection(error: ApiErrorBody, fileName: string, max: number = MAX_LISTED): string[] {
  const fields = error.fields ?? [];
  const rows: RowProblem[] = [];
  const others: string[] = [];
  for (const field of fields) {
    const row = rowProblem(field);
    if (row) rows.push(row);
    else others.push(`  ${text(field.field) ?? '(request)'}: ${text(field.message) ?? text(field.reason) ?? 'invalid'}`);
  }
  const lines: string[] = [];
  if (rows.length) {
    const badLines = new Set(rows.map((row) => row.line)).size;
    lines.push(
      `${fileName} was refused: ${count(rows.length)} problem${rows.length === 1 ? '' : 's'} on ${count(badLines)} line${badLines === 1 ? '' : 's'}. Nothing was created.`,
    );
    const listed = rows.slice(0, max);
    const lineWidth = Math.max(4, ...listed.map((row) => String(row.line ?? 'file').length));
    const columnWidth = Math.max(6, ...listed.map((row) => (row.column ?? '').length));
    lines.push(`  ${'line'.padStart(lineWidth)}  ${'column'.padEnd(columnWidth)}  reason`);
    for (const row of listed) {
      lines.push(
        `  ${String(row.line ?? 'file').padStart(lineWidth)}  ${(row.column ?? '').padEnd(columnWidth)}  ${row.reason.replace(/\s+/g, ' ')}`,
      );
    }
    if (rows.length > listed.length) lines.push(`  … and ${count(rows.length - listed.length)} more`);
    if (error.message && /truncat|more than|first \d+/i.test(error.message)) lines.push(`  (${error.message})`);
  } else {
    lines.push(`the request was refused: ${error.message ?? error.code ?? 'validation error'}. Nothing was created.`);
  }
  if (others.length) {
    if (rows.length) lines.push('and in the request:');
    lines.push(...others);
  }
  lines.push(
    rows.length
      ? `Next step: fix these lines in ${fileName} (docs/mass-payout-csv.md has the rules) and run the same command again.`
      : 'Next step: correct the options named above (GET /v1/currencies lists the networks and assets) and run the command again.',
  );
  return lines;
}

const ITEM_STATUS_ORDER = ['completed', 'failed', 'canceled', 'expired', 'processing', 'in_progress', 'pending_approval'];

/** The final picture: status, items and amounts per item status, transactions and network fee. */
export function formatSummary(view: MassPayoutView, elapsedMs: number): string[] {
  const asset = view.asset ?? '';
  const statuses = [...ITEM_STATUS_ORDER, ...Object.keys(view.counts ?? {}).filter((status) => !ITEM_STATUS_ORDER.includes(status))].filter(
    (status) => itemsIn(view, status) > 0 || status === 'completed',
  );
  const amounts = alignDecimals([...statuses.map((status) => view.counts?.[status]?.amount ?? '0'), view.total_amount]);
  const rows = statuses.map((status, i) => [status, count(itemsIn(view, status)), amounts[i]!]);
  rows.push(['total', count(view.item_count), amounts.at(-1)!]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]!.length), i === 2 ? `amount ${asset}`.length : 5));
  const line = (cells: string[]) =>
    `  ${cells[0]!.padEnd(widths[0]!)}  ${cells[1]!.padStart(widths[1]!)}  ${cells[2]!.padStart(widths[2]!)}`;
  const lines = [
    `mass payout ${view.id}: ${view.status} after ${formatDuration(elapsedMs)}`,
    line(['', 'items', `amount ${asset}`.trim()]),
    ...rows.map(line),
  ];
  const fee = view.network_fee_total !== undefined ? ` · network fee ${view.network_fee_total} ${nativeAsset(view)}` : '';
  const paid = view.paid_amount !== undefined ? `paid ${view.paid_amount} ${asset}`.trim() + ' · ' : '';
  lines.push(`  ${paid}${count(view.transactions ?? 0)} transaction${view.transactions === 1 ? '' : 's'}${fee}`);
  const failure = failureOf(view);
  if (failure) lines.push(`  reason: ${failure}`);
  return lines;
}

/** Decimal strings padded so their points line up when right-aligned: 50000, 12.5 → "50000  ", "   12.5". */
export function alignDecimals(values: string[]): string[] {
  const fraction = (value: string) => (value.includes('.') ? value.length - value.indexOf('.') : 0);
  const widest = Math.max(0, ...values.map(fraction));
  return values.map((value) => value + ' '.repeat(widest - fraction(value)));
}

/** Network fees are paid in the chain's own coin: ETH on every network the engine knows. */
function nativeAsset(view: MassPayoutView): string {
  return text(view.network_fee_asset) ?? 'ETH';
}

function failureOf(view: MassPayoutView): string | undefined {
  const failure = view.failure;
  const reason = text(failure?.reason) ?? text(failure?.message) ?? text(view.failure_reason);
  const code = text(failure?.code) ?? text(view.failure_code);
  if (!reason && !code) return undefined;
  return code && reason ? `${code}: ${reason}` : (reason ?? code);
}

/** Failed items with their reasons; `total` is how many failed in all (the list may be one page of them). */
export function formatFailedItems(items: MassPayoutItem[], total: number, max: number = MAX_LISTED): string[] {
  if (total === 0) return [];
  const listed = items.slice(0, max);
  const lines = [`failed items (${count(total)}; #n is the item's 0-based position, the file's data row n + 1):`];
  const seqWidth = Math.max(3, ...listed.map((item) => String(item.seq).length));
  for (const item of listed) {
    const reason = text(item.failure?.reason) ?? text(item.failure?.message) ?? 'no reason given';
    const code = text(item.failure?.code);
    const reference = text(item.reference) ? ` ${item.reference}` : '';
    lines.push(`  #${String(item.seq).padEnd(seqWidth)} ${item.address} ${item.amount}${reference}: ${code ? `${code}: ` : ''}${reason}`);
  }
  if (total > listed.length) lines.push(`  … and ${count(total - listed.length)} more`);
  return lines;
}

/** 0 completed, 2 partially completed, 1 anything else (failed, canceled, expired). */
export function exitCodeFor(status: string): number {
  if (status === 'completed') return 0;
  if (status === 'partially_completed') return 2;
  return 1;
}

/** What to do after an unhappy ending. */
export function nextStepFor(view: MassPayoutView, apiUrl: string): string | undefined {
  const items = `${apiUrl}/v1/mass-payouts/${view.id}/items`;
  switch (view.status) {
    case 'completed':
      return undefined;
    case 'partially_completed':
    case 'failed': {
      const unpaid = itemsIn(view, 'failed') + itemsIn(view, 'canceled') + itemsIn(view, 'expired');
      return `Next step: read the reasons above (all of them: GET ${items}?status=failed), fix the cause, and pay the ${count(unpaid)} unpaid item${unpaid === 1 ? '' : 's'} in a new file.`;
    }
    case 'expired':
      return 'Next step: nobody approved it in time and nothing was sent; submit the file again and have a second person approve it (--approve-with).';
    case 'canceled':
      return 'Next step: it was canceled or rejected and nothing was sent; submit the file again if it should still be paid.';
    default:
      return undefined;
  }
}
