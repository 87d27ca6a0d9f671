// Catalog access: the transformed catalog of the live data version.
// GET /titles (filters, cursor pages in code-point order of id) and GET /titles/{id} answer from the
// catalog index and rows (contract/catalog-index.ts), decoded once per isolate: no database round
// trip, and a page is the stored JSON bytes of its titles. GET /titles.csv streams from D1, which holds the same
// rows for SQL analytics; there every statement is static SQL with bound parameters.
import { findTitle, PLATFORMS, searchCatalog, TITLE_COLUMNS, titleBytes, titleId, type CatalogFilter, type Title } from '../contract';
import { loadCatalog, outdatedDataError, requirePointer } from './data';
import { defineEndpoint } from './endpoint';
import { CACHE_CONTROL, JSON_CONTENT_TYPE, type RequestContext } from './http';
import { optional, type JsonSchema } from './params';
import { decodeCursor, encodeCursor, intRange, TITLE_FILTER_PARAMS, TITLE_ID_PARAMS, TITLES_PARAMS } from './titles-params';
import { invalidParamsError, ProblemError, type InvalidParam } from './problem';

const TAG = 'catalog data';
const COLUMNS_SQL = TITLE_COLUMNS.map((c) => `"${c}"`).join(', ');

/**
 * Filters as fixed-position parameters: ?1 version, ?2 platform, ?3 type, ?4 year_from, ?5 year_to,
 * ?6 text in title/cast/director, ?7 title prefix, ?8 continue after this id. A NULL turns a filter off.
 * ?6 and ?7 come folded (foldSearchText) and match search_text, which holds the folded title, cast and
 * director, each closed by U+001F: a text holding that separator (or NUL) matches nothing, as in the index.
 * ORDER BY id uses SQLite's BINARY collation: byte order of UTF-8, which is code-point order.
 */
const FILTER_SQL = `version = ?1
  AND (?2 IS NULL OR platform = ?2)
  AND (?3 IS NULL OR type = ?3)
  AND (?4 IS NULL OR release_year >= ?4)
  AND (?5 IS NULL OR release_year <= ?5)
  AND (?6 IS NULL OR (instr(?6, char(31)) = 0 AND instr(?6, char(0)) = 0 AND instr(search_text, ?6) > 0))
  AND (?7 IS NULL OR (instr(?7, char(31)) = 0 AND instr(?7, char(0)) = 0 AND substr(search_text, 1, length(?7)) = ?7))
  AND (?8 IS NULL OR id > ?8)`;
const PAGE_SQL = `SELECT ${COLUMNS_SQL} FROM titles WHERE ${FILTER_SQL} ORDER BY id LIMIT ?9`;

type Filters = {
  platform?: string;
  type?: string;
  year_from?: number;
  year_to?: number;
  q?: string;
  title_prefix?: string;
};

/** /titles' and /titles.csv's rule between parameters: a year range's ends in order. */
function yearRangeRule(f: Filters): InvalidParam[] {
  if (f.year_from !== undefined && f.year_to !== undefined && f.year_from > f.year_to) {
    return [{ name: 'year_to', reason: `${f.year_to} is before year_from (${f.year_from})` }];
  }
  return [];
}

function checkYearRange(f: Filters): void {
  const invalid = yearRangeRule(f);
  if (invalid.length > 0) throw invalidParamsError(invalid);
}

function filterBinds(version: string, f: Filters, after: string | null): unknown[] {
  checkYearRange(f);
  return [version, f.platform ?? null, f.type ?? null, f.year_from ?? null, f.year_to ?? null, f.q || null, f.title_prefix || null, after];
}

function catalogFilter(f: Filters): CatalogFilter {
  checkYearRange(f);
  return {
    platform: f.platform as Title['platform'] | undefined,
    type: f.type as CatalogFilter['type'],
    yearFrom: f.year_from,
    yearTo: f.year_to,
    text: f.q,
    titlePrefix: f.title_prefix,
  };
}

const encoder = new TextEncoder();
const PAGE_START = encoder.encode('{"items":[');
const COMMA = encoder.encode(',');

/** `{"items":[...],"total":…,"limit":…,"next_cursor":…}` from stored title JSON, without re-serialising a title. */
function pageBody(items: Uint8Array[], rest: { total: number; limit: number; next_cursor: string | null }): Uint8Array {
  const end = encoder.encode(`],${JSON.stringify(rest).slice(1)}`);
  const parts = [PAGE_START, ...items.flatMap((item, i) => (i === 0 ? [item] : [COMMA, item])), end];
  const body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    body.set(p, at);
    at += p.length;
  }
  return body;
}

const JSON_REPLY = { contentType: JSON_CONTENT_TYPE };

const nullable = (type: string): JsonSchema => ({ type: [type, 'null'] });
export const TITLE_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: [...TITLE_COLUMNS],
  properties: {
    id: { type: 'string', description: 'Platform letter + show_id, e.g. "ns1234".' },
    platform: { type: 'string', enum: [...PLATFORMS] },
    show_id: { type: 'string' },
    type: { type: 'string', description: '"movie" or "tv show".' },
    title: { type: 'string' },
    director: nullable('string'),
    cast: { ...nullable('string'), description: 'Comma-separated names.' },
    country: nullable('string'),
    date_added: { ...nullable('string'), format: 'date' },
    release_year: { type: 'integer' },
    rating: { type: 'string', description: 'Age rating label; empty ratings were filled with "g".' },
    duration_int: nullable('integer'),
    duration_type: { type: ['string', 'null'], enum: ['min', 'season', null] },
    listed_in: { ...nullable('string'), description: 'Comma-separated genres.' },
    description: nullable('string'),
    score: { ...nullable('number'), description: "Mean of all the title's ratings (float64, not rounded)." },
    n_ratings: { type: 'integer', minimum: 0 },
  },
};

export const listTitles = defineEndpoint({
  path: '/titles',
  tag: TAG,
  summary: 'Search the catalog',
  description:
    'Titles of the live data version, filtered, one page at a time in code-point order of id. ' +
    'Pass `next_cursor` back as `cursor` for the next page; pages stay stable however the filters match. ' +
    '`total` counts every title matching the filters.',
  params: TITLES_PARAMS,
  response: {
    description: 'One page of matching titles.',
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['items', 'total', 'limit', 'next_cursor'],
      properties: {
        items: { type: 'array', items: TITLE_SCHEMA },
        total: { type: 'integer', minimum: 0, description: 'Titles matching the filters, over all pages.' },
        limit: { type: 'integer', minimum: 1 },
        next_cursor: { type: ['string', 'null'], description: 'Cursor of the next page; null on the last page.' },
      },
    },
  },
  problems: ['noData'],
  cacheControl: CACHE_CONTROL.data,
  crossRules: (values) => yearRangeRule(values),
  async handle(values, ctx, query) {
    const pointer = requirePointer(ctx);
    const after = values.cursor === undefined ? null : decodeCursor(values.cursor);
    const filter = catalogFilter(values);
    const { index, rows } = await loadCatalog(ctx.env.KV, pointer);
    const page = searchCatalog(index, filter, after, values.limit);
    const last = page.items[page.items.length - 1];
    return {
      body: pageBody(
        page.items.map((t) => titleBytes(rows, t)),
        {
          total: page.total,
          limit: values.limit,
          next_cursor: page.more ? encodeCursor(titleId(index, last)) : null,
        },
      ),
      etagSource: `${pointer.version}\n${query}`,
      raw: JSON_REPLY,
    };
  },
});

export const getTitle = defineEndpoint({
  path: '/titles/:id',
  operationId: 'get_title',
  tag: TAG,
  summary: 'One title',
  description: 'Every column of one title of the live data version.',
  params: {},
  pathParams: TITLE_ID_PARAMS,
  response: { description: 'The title.', schema: TITLE_SCHEMA },
  problems: ['noMatch', 'noData'],
  cacheControl: CACHE_CONTROL.data,
  async handle(values, ctx, query) {
    const pointer = requirePointer(ctx);
    const id = (values as unknown as { id: string }).id;
    const { index, rows } = await loadCatalog(ctx.env.KV, pointer);
    const t = findTitle(index, id);
    if (t < 0) throw new ProblemError('noMatch', `No title has the id "${id}".`);
    return { body: titleBytes(rows, t), etagSource: `${pointer.version}\n${query}`, raw: JSON_REPLY };
  },
});

const CSV_CHUNK_ROWS = 1000;
/** More rows than the catalog has: `limit` only ever shortens the export. */
const CSV_MAX_LIMIT = 1_000_000;

/** /titles' filters, and `limit`; no cursor: the export is one stream (page with /titles). */
const CSV_PARAMS = {
  ...TITLE_FILTER_PARAMS,
  limit: optional(intRange(1, CSV_MAX_LIMIT), 'At most this many rows (the first in id order); all matching titles when absent.', '100'),
};

/** A text cell a spreadsheet would run as a formula (OWASP, CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * RFC 4180: quote a field holding a comma, quote or line break; double the quotes inside. A text cell
 * that a spreadsheet would take for a formula gets a leading single quote, inside quotes, so it opens
 * as the text it is.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string' && FORMULA_START.test(value)) return `"'${value.replace(/"/g, '""')}"`;
  const text = String(value); // numbers: shortest round-trip form, so scores keep full precision
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Text filters match search_text, which rows written before migration 0004 hold as '' (every row of a
 * version alike: the loader writes them all, a fold copies its base's). Such a version, still live
 * after the migration or rolled back to, would answer every search with an empty CSV: answer 503 and
 * ask for a fresh publish instead, as /titles does for that version's older catalog index.
 */
async function requireSearchText(ctx: RequestContext, version: string): Promise<void> {
  const row = await ctx.env.DB.prepare("SELECT search_text = '' AS missing FROM titles WHERE version = ?1 ORDER BY id LIMIT 1")
    .bind(version)
    .first<{ missing: number }>();
  if (row?.missing) throw outdatedDataError(version, 'its D1 rows predate the search_text column, so q and title_prefix cannot match');
}

/** The catalog as CSV, read from D1 in keyset chunks as the client consumes it (nothing buffered whole). */
function csvStream(ctx: RequestContext, version: string, filters: Filters, limit = CSV_MAX_LIMIT): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const statement = ctx.env.DB.prepare(PAGE_SQL);
  let after: string | null = null;
  let headerSent = false;
  let left = limit;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!headerSent) {
        headerSent = true;
        controller.enqueue(encoder.encode(`${TITLE_COLUMNS.join(',')}\r\n`));
        return;
      }
      const chunk = Math.min(CSV_CHUNK_ROWS, left);
      const { results } = await statement.bind(...filterBinds(version, filters, after), chunk).all<Record<string, unknown>>();
      left -= results.length;
      if (results.length > 0) {
        controller.enqueue(encoder.encode(results.map((row) => `${TITLE_COLUMNS.map((c) => csvField(row[c])).join(',')}\r\n`).join('')));
        after = String(results[results.length - 1].id);
      }
      if (results.length < chunk || left === 0) controller.close();
    },
  });
}

export const exportTitlesCsv = defineEndpoint({
  path: '/titles.csv',
  operationId: 'titles_csv',
  tag: TAG,
  summary: 'The cleaned catalog as CSV',
  description:
    'Every title of the live data version (or those matching the same filters as /titles, or the first `limit` of them) ' +
    `as RFC 4180 CSV, UTF-8, CRLF line ends, in code-point order of id. Columns: ${TITLE_COLUMNS.join(', ')}. Empty fields are nulls. ` +
    'A text cell starting with =, +, -, @, TAB or CR is prefixed with a single quote, so spreadsheets open it as text. ' +
    'Unlike /titles there is no cursor: the export is one stream.',
  params: CSV_PARAMS,
  responseContentType: 'text/csv',
  response: { description: 'The catalog as CSV, with a header row.', schema: { type: 'string' } },
  problems: ['noData'],
  cacheControl: CACHE_CONTROL.data,
  crossRules: (values) => yearRangeRule(values),
  async handle(values, ctx, query) {
    const { version } = requirePointer(ctx);
    filterBinds(version, values, null); // rejects a bad year range before the stream starts
    if (values.q || values.title_prefix) await requireSearchText(ctx, version);
    return {
      body: csvStream(ctx, version, values, values.limit),
      etagSource: `${version}\n${query}`,
      raw: {
        contentType: 'text/csv; charset=utf-8; header=present',
        headers: { 'Content-Disposition': `attachment; filename="titles-${version}.csv"` },
      },
    };
  },
});

export const TITLE_ENDPOINTS = [listTitles, getTitle, exportTitlesCsv];
