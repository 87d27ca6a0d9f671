// /titles filters in JavaScript over the catalog index; /titles.csv filters in SQL over D1's rows. The
// two must select the same titles in the same order for every filter: each filter alone over values
// that probe its edges, then random combinations of all of them (fast-check), q and title_prefix
// included.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { callWorker } from './client';

interface Page {
  items: { id: string }[];
  next_cursor: string | null;
}

/** Every id /titles answers for `query`, following next_cursor to the end. */
async function idsFromPages(query: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const response = await callWorker(`/titles?${query}&limit=100${cursor ? `&cursor=${cursor}` : ''}`);
    expect(response.status, query).toBe(200);
    const page = await response.json<Page>();
    ids.push(...page.items.map((t) => t.id));
    cursor = page.next_cursor;
  } while (cursor !== null);
  return ids;
}

/** The first column of every record of an RFC 4180 CSV (quoted fields may hold commas and line breaks). */
function firstColumn(csv: string): string[] {
  const ids: string[] = [];
  let field = '';
  let column = 0;
  let quoted = false;
  for (let i = 0; i < csv.length; i++) {
    const c = csv[i];
    if (quoted) {
      if (c === '"' && csv[i + 1] === '"') {
        if (column === 0) field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else if (column === 0) field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') column++;
    else if (c === '\r' && csv[i + 1] === '\n') {
      ids.push(field);
      field = '';
      column = 0;
      i++;
    } else if (column === 0) field += c;
  }
  return ids.slice(1); // the header row
}

async function idsFromCsv(query: string): Promise<string[]> {
  const response = await callWorker(`/titles.csv?${query}`);
  expect(response.status, query).toBe(200);
  return firstColumn(await response.text());
}

async function expectSameSelection(query: string): Promise<number> {
  const [pages, csv] = await Promise.all([idsFromPages(query), idsFromCsv(query)]);
  expect(csv, query).toEqual(pages);
  return pages.length;
}

const PLATFORMS = ['amazon', 'disney', 'hulu', 'netflix'];
const TYPES = ['movie', 'tv show'];
const YEARS = [1920, 1999, 2000, 2015, 2020, 2021, 2030];
// Texts that probe the search: common words, names, one and two characters (shorter than a trigram),
// punctuation, digits, non-ASCII letters (composed, decomposed, upper case, and without their accents),
// compatibility forms, invisible characters, separators no stored text holds, and text found in no title.
const TEXTS = [
  'love',
  'the',
  'a',
  'an',
  'zq',
  'star wars',
  "'s",
  '2',
  'jr.',
  'é',
  'ñ',
  'kristín',
  'jackie chan',
  'nobody-matches-this',
  'ma',
  'kristi\u0301n th',
  'KRISTIN TH',
  'pokemon',
  'POKÉMON',
  'senora',
  'ﬁ',
  'e\u0301',
  'x\u001fy',
  'a\u0000b',
  '\u0301', // a mark alone folds to nothing: no text filter on either side
  'so\u00adft', // a soft hyphen is dropped like the stored text's
  'İSTANBUL', // lower-cases to i + U+0307, decomposed again
  'ǆ', // a compatibility digraph: d + z + caron, caron dropped
];

describe('/titles and /titles.csv select the same titles', () => {
  it('for each filter alone', async () => {
    let nonEmpty = 0;
    const queries = [
      '',
      ...PLATFORMS.map((p) => `platform=${p}`),
      ...TYPES.map((t) => `type=${encodeURIComponent(t)}`),
      ...YEARS.map((y) => `year_from=${y}`),
      ...YEARS.map((y) => `year_to=${y}`),
      ...TEXTS.map((q) => `q=${encodeURIComponent(q)}`),
      ...TEXTS.map((q) => `title_prefix=${encodeURIComponent(q)}`),
    ];
    for (const query of queries) if ((await expectSameSelection(query)) > 0) nonEmpty++;
    expect(nonEmpty).toBeGreaterThan(queries.length / 2); // the probes select something, mostly
  }, 300_000);

  it('for random combinations of every filter (fast-check)', async () => {
    const optionalOf = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          platform: optionalOf(fc.constantFrom(...PLATFORMS)),
          type: optionalOf(fc.constantFrom(...TYPES)),
          year_from: optionalOf(fc.constantFrom(...YEARS)),
          year_to: optionalOf(fc.constantFrom(...YEARS)),
          q: optionalOf(fc.constantFrom(...TEXTS)),
          title_prefix: optionalOf(fc.constantFrom(...TEXTS)),
        }),
        async (filters) => {
          if (filters.year_from !== undefined && filters.year_to !== undefined && filters.year_from > filters.year_to) return;
          const query = Object.entries(filters)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
            .join('&');
          await expectSameSelection(query);
        },
      ),
      { numRuns: 120, seed: 20261203 },
    );
  }, 600_000);
});
