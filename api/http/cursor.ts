/**
 * Pagination. A list's `cursor` is the base64url JSON of the last row's sort key: `[time, id]` (the time as an ISO
 * string) for the lists that run newest first, `[seq]` for a mass payout's items. A cursor the API could not have
 * returned is a 400, never a 500: its contents go into a PostgreSQL comparison, which fails on a NUL in the id or a
 * date before 4713 BC (years 1-9999 cover every cursor the API issues).
 */
import { validationError } from './errors';

export const encodeCursor = (key: readonly unknown[]): string => Buffer.from(JSON.stringify(key)).toString('base64url');

/** The cursor's key, if `check` accepts it; otherwise a 400 on `cursor`. */
export function decodeCursor<T>(cursor: string, check: (value: unknown) => value is T): T {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (check(value)) return value;
  } catch {
    // refused below
  }
  throw validationError([{ field: 'cursor', message: 'cursor is not one this API returned; pass next_cursor from the previous page' }]);
}

/** `[time, id]`: a date PostgreSQL can compare and an id without NUL. */
const isTimeIdKey = (value: unknown): value is [string, string] => {
  if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== 'string' || typeof value[1] !== 'string') return false;
  const year = new Date(value[0]).getUTCFullYear();
  return !Number.isNaN(year) && year >= 1 && year <= 9999 && !value[1].includes('\0');
};

/** The cursor after a row of a list ordered by (time desc, id desc). */
export const timeIdCursor = (time: Date, id: string): string => encodeCursor([time.toISOString(), id]);

/**
 * The rows strictly after the cursor in (`column` desc, id desc) order, as a Prisma `where`; `{}` without a cursor.
 * A cursor the API could not have returned is a 400.
 */
export function afterTimeId<Column extends string>(
  column: Column,
  cursor: string | undefined,
): Record<never, never> | { OR: [Record<Column, { lt: Date }>, Record<Column, Date> & { id: { lt: string } }] } {
  if (!cursor) return {};
  const [at, id] = decodeCursor(cursor, isTimeIdKey);
  const time = new Date(at);
  return {
    OR: [
      { [column]: { lt: time } } as Record<Column, { lt: Date }>,
      { [column]: time, id: { lt: id } } as Record<Column, Date> & { id: { lt: string } },
    ],
  };
}

/**
 * One page of a list read with `take: limit + 1` (the extra row says whether there is more): the envelope every
 * paginated list answers with, `next_cursor` naming the page's last row.
 */
export function listPage<Row, View>(rows: Row[], limit: number, view: (row: Row) => View, cursorAfter: (row: Row) => string) {
  const shown = rows.slice(0, limit);
  const hasMore = rows.length > limit;
  return {
    object: 'list' as const,
    data: shown.map((row) => view(row)),
    has_more: hasMore,
    next_cursor: hasMore ? cursorAfter(shown[shown.length - 1]!) : null,
  };
}
