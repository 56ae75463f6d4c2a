import { ApiException } from './api-error';

/**
 * The opaque cursor of a list read newest first on `(created_at, id)`: PostgreSQL's text of the last row's
 * `created_at` (`created_at::text`, with its microseconds, which a JavaScript Date would lose) and its bigint id.
 */
export function encodeTimeCursor(createdText: string, id: string): string {
  return Buffer.from(`${createdText}|${id}`).toString('base64url');
}

/** PostgreSQL's timestamptz text as this API writes it into a cursor: `2026-12-02 04:15:58.123456+00`. */
const CURSOR_TIME =
  /^([1-9]\d{3})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]) ([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?[+-](0\d|1[0-4])(:[0-5]\d)?$/;
const MAX_BIGINT = 2n ** 63n - 1n;

/** A calendar date that exists (no 31 February), as PostgreSQL would insist. */
function isRealDate(year: string, month: string, day: string): boolean {
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  return date.getUTCDate() === Number(day);
}

/**
 * A cursor this API returned, as `[time, id]` for `(created_at, id) < ($time::timestamptz, $id::bigint)`, or a
 * 400 naming `cursor` — never a value the database would refuse (a 500).
 */
export function decodeTimeCursor(cursor: string): [string, string] {
  const [time, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const date = CURSOR_TIME.exec(time ?? '');
  const valid =
    rest.length === 0 &&
    date !== null &&
    isRealDate(date[1], date[2], date[3]) &&
    /^\d{1,19}$/.test(id ?? '') &&
    BigInt(id) <= MAX_BIGINT;
  if (!valid) throw ApiException.validation('cursor', 'cursor is not a cursor this API returned');
  return [time, id];
}

/**
 * A page of a newest-first list read with `LIMIT limit + 1` (one row more than asked, to know whether another page
 * follows): the first `limit` rows as `toDto` makes them, and the cursor after the last, or null at the end.
 */
export function timePage<R extends { created_text: string; id: string }, D>(
  rows: R[],
  limit: number,
  toDto: (row: R) => D,
): { items: D[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(toDto),
    nextCursor: rows.length > limit && last ? encodeTimeCursor(last.created_text, last.id) : null,
  };
}
