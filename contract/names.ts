// The one normalising function for every user-typed name (platforms, duration units, titles),
// and the platform vocabulary. Loader and worker both import this; nothing else re-implements it.

export const PLATFORMS = ['amazon', 'disney', 'hulu', 'netflix'] as const;
export type Platform = (typeof PLATFORMS)[number];

/** First letter of the platform, prefixed to show_id to form the catalog id (`as123`). */
export const PLATFORM_LETTER: Record<Platform, string> = { amazon: 'a', disney: 'd', hulu: 'h', netflix: 'n' };

export const PLATFORM_FILES: Record<Platform, string> = {
  amazon: 'amazon_prime_titles.csv',
  disney: 'disney_plus_titles.csv',
  hulu: 'hulu_titles.csv',
  netflix: 'netflix_titles.csv',
};

const ZERO_WIDTH = /[\u200B-\u200D\u2060\uFEFF\u00AD]/g;
const COMBINING_MARKS = /\p{M}/gu;

/**
 * Text search's folding, run on the stored text (catalog index, D1's search_text) and on the query
 * alike: compatibility decomposition (so "é", "e\u0301" and "ﬁ" compare as "e", "e" and "fi"),
 * lower case, and no combining marks or invisible characters. Unlike normalizeName it keeps the
 * text's own spacing: a match is a substring of the stored text, which is not re-spaced.
 */
export function foldSearchText(text: string): string {
  // NFKD again after lower-casing: a few lower-case forms decompose further (İ -> i + U+0307).
  return text.normalize('NFKD').toLowerCase().normalize('NFKD').replace(COMBINING_MARKS, '').replace(ZERO_WIDTH, '');
}

/** Separates title, cast and director in D1's search_text (SQL text holds no NUL; no stored field holds this). */
export const SEARCH_FIELD_SEPARATOR = '\u001f';

/** D1's search_text of a title: its folded title, cast and director, each followed by the separator. */
export function d1SearchText(title: { title: string; cast: string | null; director: string | null }): string {
  return [title.title, title.cast ?? '', title.director ?? ''].map((f) => foldSearchText(f) + SEARCH_FIELD_SEPARATOR).join('');
}

/** NFKD, drop combining marks and zero-width characters, lower-case, trim, collapse inner whitespace. */
export function normalizeName(raw: string): string {
  return raw.normalize('NFKD').replace(COMBINING_MARKS, '').replace(ZERO_WIDTH, '').toLowerCase().trim().replace(/\s+/g, ' ');
}

// Maps, not object literals: a lookup of "__proto__" or "constructor" must miss, not find Object.prototype.
const PLATFORM_ALIASES = new Map<string, Platform>(
  Object.entries({
    amazon: 'amazon',
    'amazon prime': 'amazon',
    'amazon prime video': 'amazon',
    prime: 'amazon',
    'prime video': 'amazon',
    disney: 'disney',
    'disney+': 'disney',
    'disney plus': 'disney',
    hulu: 'hulu',
    netflix: 'netflix',
  } satisfies Record<string, Platform>),
);
export const PLATFORM_ALIAS_NAMES = [...PLATFORM_ALIASES.keys()];

/** Canonical platform for a user-typed name, or undefined. */
export function parsePlatform(raw: string): Platform | undefined {
  return PLATFORM_ALIASES.get(normalizeName(raw));
}

export const DURATION_TYPES = ['min', 'season'] as const;
export type DurationType = (typeof DURATION_TYPES)[number];

const DURATION_ALIASES = new Map<string, DurationType>(
  Object.entries({
    min: 'min',
    mins: 'min',
    minute: 'min',
    minutes: 'min',
    season: 'season',
    seasons: 'season',
  } satisfies Record<string, DurationType>),
);
export const DURATION_ALIAS_NAMES = [...DURATION_ALIASES.keys()];

export function parseDurationType(raw: string): DurationType | undefined {
  return DURATION_ALIASES.get(normalizeName(raw));
}

/** Plain code-point order (never localeCompare): the tie-break rule of every query. */
export function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
