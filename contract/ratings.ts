/**
 * The rating files' format and validation rules (docs/reference.md#rating-files and
 * docs/reference.md#errors-and-bad-input), shared by the byte-level parser (loader/ratings/parse-bytes.ts), the
 * csv-parse reference (loader/ratings/parse-csv.ts) and POST /ratings (worker/ingest-validate.ts) so all three
 * judge every row the same way.
 *
 * Format: CSV (RFC 4180 quoting, read the way csv-parse reads it with relax_quotes), LF and CRLF line ends
 * (mixed too), blank lines skipped. The first non-blank record is the header; it must name exactly the four
 * columns userId, rating, timestamp, movieId in any order. Extra or missing columns are a file error: a file
 * with other columns is not a file we know how to read, and guessing would publish wrong scores.
 *
 * Each data row is kept or rejected for the first reason in this order:
 *   malformed    not a CSV record: a quote never closed, or a record longer than MAX_RECORD_BYTES
 *   field_count  not exactly 4 fields
 *   user_id      not decimal digits, or outside 1..2^31-1
 *   rating       not `D[.F]` with value 0.5..5 in half steps (F is 0 or 5 followed by zeros only)
 *   timestamp    not decimal digits, or outside 1990-01-01..(ingest start + 1 day) in unix seconds
 *   movie_id     not exactly one of the catalog's ids
 * No trimming: " 4.5" is a bad rating. Leading zeros are accepted ("03.5", "0042").
 */

export const RATING_COLUMNS = ['userId', 'rating', 'timestamp', 'movieId'] as const;
export type RatingColumn = (typeof RATING_COLUMNS)[number];

export const REASONS = ['malformed', 'field_count', 'user_id', 'rating', 'timestamp', 'movie_id'] as const;
export type Reason = (typeof REASONS)[number];

/** 1990-01-01T00:00:00Z: the earliest plausible rating (MovieLens started in 1995). */
export const MIN_TIMESTAMP = 631_152_000;
export { MAX_USER_ID, MIN_USER_ID } from './model';
import { MAX_USER_ID, MIN_USER_ID } from './model';
/** A longer record is garbage, not a rating row; the cap keeps memory bounded on files without line ends. */
export const MAX_RECORD_BYTES = 64 * 1024;
export const EXAMPLES_PER_REASON = 5;
const EXAMPLE_TEXT_CHARS = 200;

/** Latest plausible timestamp: now, plus a day of clock skew. */
export function defaultMaxTimestamp(nowMs = Date.now()): number {
  return Math.floor(nowMs / 1000) + 86_400;
}

/** Field index of each column in a file, from its header. */
export type ColumnOrder = Record<RatingColumn, number>;

/** A problem that makes a whole file unreadable (no header, wrong header, unreadable): nothing is loaded. */
export class RatingsFileError extends Error {
  override name = 'RatingsFileError';
  constructor(
    readonly path: string,
    readonly problem: string,
    readonly line?: number,
  ) {
    super(`${path}${line === undefined ? '' : `:${line}`}: ${problem}`);
  }
}

export function headerColumns(fields: string[], path: string, line: number): ColumnOrder {
  // A UTF-8 byte order mark is not part of the first column's name.
  const names = fields.map((f, i) => (i === 0 && f.startsWith('\ufeff') ? f.slice(1) : f));
  const order: Partial<ColumnOrder> = {};
  names.forEach((name, i) => {
    if ((RATING_COLUMNS as readonly string[]).includes(name) && order[name as RatingColumn] === undefined) {
      order[name as RatingColumn] = i;
    }
  });
  const missing = RATING_COLUMNS.filter((c) => order[c] === undefined);
  if (missing.length > 0 || names.length !== RATING_COLUMNS.length) {
    const shown = exampleText(names.join(','));
    throw new RatingsFileError(
      path,
      `wrong header ${JSON.stringify(shown)}: expected exactly the columns ${RATING_COLUMNS.join(', ')} (any order)` +
        (missing.length > 0 ? `; missing ${missing.join(', ')}` : `; got ${names.length} columns`),
      line,
    );
  }
  return order as ColumnOrder;
}

export function exampleText(text: string): string {
  return text.length > EXAMPLE_TEXT_CHARS ? `${text.slice(0, EXAMPLE_TEXT_CHARS)}…` : text;
}

const DIGITS = /^[0-9]+$/;
const RATING = /^([0-9]+)(?:\.([05])0*)?$/;

/** Parsed row fields, or -1 for the field that is invalid. String form: the reference for the byte parser. */
export function parseUserId(s: string): number {
  if (!DIGITS.test(s)) return -1;
  const v = Number(s);
  return v >= MIN_USER_ID && v <= MAX_USER_ID ? v : -1;
}

export function parseHalfStars(s: string): number {
  const m = RATING.exec(s);
  if (m === null) return -1;
  const half = Number(m[1]) * 2 + (m[2] === '5' ? 1 : 0);
  return half >= 1 && half <= 10 ? half : -1;
}

export function parseTimestamp(s: string, maxTimestamp: number): number {
  if (!DIGITS.test(s)) return -1;
  const v = Number(s);
  return v >= MIN_TIMESTAMP && v <= maxTimestamp ? v : -1;
}

/** What both parsers need to judge rows. */
export interface ParseContext {
  titleIds: string[];
  titleIndex: Map<string, number>;
  maxTimestamp: number;
}

export function makeContext(titleIds: string[], maxTimestamp: number): ParseContext {
  if (titleIds.length > 65_536) throw new Error(`${titleIds.length} titles do not fit RatingRows.title (Uint16)`);
  const titleIndex = new Map<string, number>();
  titleIds.forEach((id, i) => {
    if (titleIndex.has(id)) throw new Error(`duplicate catalog id ${JSON.stringify(id)}`);
    titleIndex.set(id, i);
  });
  return { titleIds, titleIndex, maxTimestamp };
}

/**
 * Judges one record given as strings: returns the reject reason, or null with the row in `out`
 * ([user, title, half stars, timestamp]). Used for the reference parser and for quoted records.
 */
export function judgeFields(fields: string[], order: ColumnOrder, ctx: ParseContext, out: Int32Array | Uint32Array): Reason | null {
  if (fields.length !== RATING_COLUMNS.length) return 'field_count';
  const user = parseUserId(fields[order.userId]);
  if (user < 0) return 'user_id';
  const half = parseHalfStars(fields[order.rating]);
  if (half < 0) return 'rating';
  const ts = parseTimestamp(fields[order.timestamp], ctx.maxTimestamp);
  if (ts < 0) return 'timestamp';
  const title = ctx.titleIndex.get(fields[order.movieId]);
  if (title === undefined) return 'movie_id';
  out[0] = user;
  out[1] = title;
  out[2] = half;
  out[3] = ts;
  return null;
}
