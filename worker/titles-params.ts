// Parameters of the catalog-access endpoints (/titles, /titles/{id}, /titles.csv), declared like the
// query parameters in params.ts: each definition validates requests and documents itself in OpenAPI.
import { foldSearchText, normalizeName } from '../contract';
import { defaulted, MAX_PARAM_LENGTH, optional, PLATFORM, quote, required, YEAR, type ParamKind } from './params';

const TITLE_TYPES: Record<string, 'movie' | 'tv show'> = {
  movie: 'movie',
  movies: 'movie',
  film: 'movie',
  films: 'movie',
  'tv show': 'tv show',
  'tv shows': 'tv show',
  tv: 'tv show',
  show: 'tv show',
  shows: 'tv show',
  series: 'tv show',
};
export const TITLE_TYPE: ParamKind<'movie' | 'tv show'> = {
  schema: { type: 'string', enum: Object.keys(TITLE_TYPES) },
  allowed: Object.keys(TITLE_TYPES),
  format: 'movie or tv show (also movies, film, tv, show, series), matched ignoring case',
  parse(raw) {
    const key = normalizeName(raw);
    // hasOwn, not truthiness: "__proto__" would otherwise find Object.prototype.
    return Object.hasOwn(TITLE_TYPES, key)
      ? { ok: true, value: TITLE_TYPES[key] }
      : { ok: false, reason: `${quote(raw)} is not a title type` };
  },
  canonical: String,
};

/**
 * Free text matched as a substring of the stored text, both folded by foldSearchText: case, accents
 * and Unicode form do not matter ("amelie", "Amélie" and a decomposed "ame\u0301lie" all find "amélie").
 */
export const SEARCH_TEXT: ParamKind<string> = {
  schema: { type: 'string', minLength: 1, maxLength: MAX_PARAM_LENGTH },
  format: 'any text, matched as a substring ignoring case and accents',
  parse(raw) {
    return { ok: true, value: foldSearchText(raw).trim() };
  },
  canonical: String,
};

export function intRange(min: number, max: number): ParamKind<number> {
  return {
    schema: { type: 'integer', minimum: min, maximum: max },
    format: `an integer from ${min} to ${max} (digits only)`,
    parse(raw) {
      const text = raw.trim();
      if (!/^\d{1,6}$/.test(text)) return { ok: false, reason: `${quote(raw)} is not a whole number: give digits only, e.g. ${min}` };
      const value = Number(text);
      if (value < min || value > max) return { ok: false, reason: `${quote(raw)} is out of range: give ${min} to ${max}` };
      return { ok: true, value };
    },
    canonical: String,
  };
}

const CURSOR_PREFIX = 'after:';
/** Opaque page cursors: the id of the last title of the previous page, base64url-encoded. */
export function encodeCursor(lastId: string): string {
  const bytes = new TextEncoder().encode(CURSOR_PREFIX + lastId);
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}
/** The id a cursor continues after, or null when the text is not a cursor this API issued. */
export function decodeCursor(text: string): string | null {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return null;
  try {
    const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    const decoded = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
    return decoded.startsWith(CURSOR_PREFIX) && decoded.length > CURSOR_PREFIX.length ? decoded.slice(CURSOR_PREFIX.length) : null;
  } catch {
    return null;
  }
}
export const CURSOR: ParamKind<string> = {
  schema: { type: 'string', pattern: '^[A-Za-z0-9_-]+$' },
  format: 'the next_cursor value of the previous page, unchanged',
  parse(raw) {
    const text = raw.trim();
    return decodeCursor(text) === null
      ? { ok: false, reason: `${quote(raw)} is not a cursor from a previous page: pass next_cursor unchanged` }
      : { ok: true, value: text };
  },
  canonical: String,
};

const TITLE_ID_PATTERN = /^[a-z0-9]{1,32}$/;
export const TITLE_ID: ParamKind<string> = {
  schema: { type: 'string', pattern: TITLE_ID_PATTERN.source },
  format: 'a catalog id: platform letter + show_id, e.g. ns1234 (case-insensitive)',
  parse(raw) {
    const id = raw.trim().toLowerCase();
    return TITLE_ID_PATTERN.test(id)
      ? { ok: true, value: id }
      : { ok: false, reason: `${quote(raw)} is not a catalog id: give the platform letter and show_id, e.g. ns1234` };
  },
  canonical: String,
};

export const TITLES_MAX_LIMIT = 100;
export const TITLE_FILTER_PARAMS = {
  platform: optional(PLATFORM, 'Optional filter: streaming platform.', 'disney'),
  type: optional(TITLE_TYPE, 'Optional filter: movie or tv show.', 'movie'),
  year_from: optional(YEAR, 'Optional filter: released in this year or later.', '2015'),
  year_to: optional(YEAR, 'Optional filter: released in this year or earlier.', '2020'),
  q: optional(
    SEARCH_TEXT,
    'Optional filter: text found in the title, the cast or the director (a substring, ignoring case and accents).',
    'star wars',
  ),
  title_prefix: optional(SEARCH_TEXT, 'Optional filter: the title starts with this text (ignoring case and accents).', 'star'),
};
export const TITLES_PARAMS = {
  ...TITLE_FILTER_PARAMS,
  limit: defaulted(intRange(1, TITLES_MAX_LIMIT), 20, `Titles per page, 1 to ${TITLES_MAX_LIMIT}.`, '20'),
  cursor: optional(CURSOR, 'Continue after the previous page: its next_cursor.', 'YWZ0ZXI6ZHMxMA'),
};
export const TITLE_ID_PARAMS = {
  id: required(TITLE_ID, 'The title id: platform letter + show_id.', 'ns1'),
};
