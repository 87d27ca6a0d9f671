// The catalog index against a plain scan of the real transformed, scored catalog: every filter the
// API takes, alone and combined, paged with cursors; lookups by id; the fold's score patch.
// The scan below is deliberately naive: it is the SQL of /titles.csv, read literally.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CatalogIndexFormatError,
  decodeCatalogIndex,
  decodeCatalogRows,
  encodeCatalog,
  foldSearchText,
  findTitle,
  patchCatalogScores,
  PLATFORMS,
  searchCatalog,
  TITLE_COLUMNS,
  titleId,
  titleBytes,
  type CatalogFilter,
  type CatalogIndex,
  type CatalogRows,
  type Title,
} from '../../contract';
import { attachScores, readCatalog } from '../../loader/catalog/transform';
import { readSummary } from '../../loader/ratings/summary';

let titles: Title[];
let byId: Title[];
let bytes: { index: Uint8Array; rows: Uint8Array };
let index: CatalogIndex;
let rows: CatalogRows;

beforeAll(async () => {
  ({ titles } = await readCatalog());
  const summary = readSummary();
  attachScores(
    titles,
    Float64Array.from(summary, (s) => s.rating_sum),
    Uint32Array.from(summary, (s) => s.n_ratings),
  );
  byId = [...titles].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  bytes = encodeCatalog(titles);
  index = decodeCatalogIndex(bytes.index.slice().buffer);
  rows = decodeCatalogRows(bytes.rows.slice().buffer);
});

/** Each title's title, cast and director as search compares them (folded once, not per query). */
const foldedFields = new Map<Title, string[]>();
function folded(t: Title): string[] {
  let fields = foldedFields.get(t);
  if (!fields) foldedFields.set(t, (fields = [t.title, t.cast ?? '', t.director ?? ''].map(foldSearchText)));
  return fields;
}

function scan(f: CatalogFilter): string[] {
  const text = f.text && foldSearchText(f.text);
  const prefix = f.titlePrefix && foldSearchText(f.titlePrefix);
  return byId
    .filter(
      (t) =>
        (f.platform === undefined || t.platform === f.platform) &&
        (f.type === undefined || t.type === f.type) &&
        (f.yearFrom === undefined || t.release_year >= f.yearFrom) &&
        (f.yearTo === undefined || t.release_year <= f.yearTo) &&
        (!text || folded(t).some((field) => field.includes(text))) &&
        (!prefix || folded(t)[0].startsWith(prefix)),
    )
    .map((t) => t.id);
}

/** Every page of a filter, following the cursor as the API does. */
function pages(f: CatalogFilter, limit: number): { ids: string[]; totals: Set<number>; pages: number } {
  const ids: string[] = [];
  const totals = new Set<number>();
  let after: string | null = null;
  let count = 0;
  for (;;) {
    const page = searchCatalog(index, f, after, limit);
    count++;
    totals.add(page.total);
    ids.push(...page.items.map((t) => titleId(index, t)));
    if (!page.more) break;
    after = titleId(index, page.items[page.items.length - 1]);
  }
  return { ids, totals, pages: count };
}

const TEXTS = ['the', 'star wars', 'tom hanks', 'steven spielberg', 'amélie', 'love', 'zzzz-not-there', ' ', 'a', 'é', '日本'];
const PREFIXES = ['the ', 'star', 'a', '1', 'zz', 'love'];

describe('catalog index', () => {
  it('holds every title once, in code-point order of id, with its exact JSON', () => {
    expect(index.count).toBe(titles.length);
    expect(rows.count).toBe(titles.length);
    expect(Array.from({ length: index.count }, (_, t) => titleId(index, t))).toEqual(byId.map((t) => t.id));
    const decoder = new TextDecoder();
    byId.forEach((t, i) => {
      expect(findTitle(index, t.id)).toBe(i);
      expect(JSON.parse(decoder.decode(titleBytes(rows, i)))).toEqual(t);
    });
    // Keys in catalog column order, as the D1 rows were answered before.
    expect(Object.keys(JSON.parse(decoder.decode(titleBytes(rows, 0))))).toEqual([...TITLE_COLUMNS]);
    for (const missing of ['', 'a', 'ns0', 'zz9999', `${byId[0].id}!`]) expect(findTitle(index, missing)).toBe(-1);
  });

  it('filters like a plain scan: platform x type x year range', () => {
    const years = [undefined, 1800, 1925, 2000, 2015, 2021, 2100];
    for (const platform of [undefined, ...PLATFORMS]) {
      for (const type of [undefined, 'movie', 'tv show'] as const) {
        for (const yearFrom of years) {
          for (const yearTo of years) {
            const f = { platform, type, yearFrom, yearTo };
            const page = searchCatalog(index, f, null, 100);
            const want = scan(f);
            expect(page.total).toBe(want.length);
            expect(page.items.map((t) => titleId(index, t))).toEqual(want.slice(0, 100));
            expect(page.more).toBe(want.length > 100);
          }
        }
      }
    }
  });

  it('finds text in title, cast or director and title prefixes like a plain scan, combined with the other filters', () => {
    for (const text of TEXTS) {
      for (const platform of [undefined, 'netflix', 'amazon'] as const) {
        const f = { text, platform };
        const page = searchCatalog(index, f, null, 50);
        const want = scan(f);
        expect(page.total, JSON.stringify(f)).toBe(want.length);
        expect(page.items.map((t) => titleId(index, t))).toEqual(want.slice(0, 50));
      }
    }
    for (const titlePrefix of PREFIXES) {
      for (const type of [undefined, 'movie'] as const) {
        const f = { titlePrefix, type, text: 'the' };
        expect(searchCatalog(index, f, null, 100).total, JSON.stringify(f)).toBe(scan(f).length);
        expect(searchCatalog(index, { titlePrefix }, null, 100).total).toBe(scan({ titlePrefix }).length);
      }
    }
    expect(scan({ text: 'the' }).length).toBeGreaterThan(1000); // the grid above exercises many matches
    // A text or prefix spanning two fields matches nothing, as it does field by field in SQL.
    const withCast = byId.find((t) => t.cast)!;
    expect(searchCatalog(index, { text: `${withCast.title}\u0000${withCast.cast}` }, null, 10).total).toBe(0);
    expect(searchCatalog(index, { titlePrefix: `${withCast.title}\u0000` }, null, 10).total).toBe(0);
  });

  it('finds any substring of the stored text: 3+ units through trigram postings, shorter by a scan', () => {
    // Substrings of real titles, casts and directors at many offsets and lengths, accents and all.
    const texts = new Set<string>();
    byId.forEach((t, i) => {
      if (i % 199 !== 0) return;
      for (const field of [t.title, t.cast, t.director]) {
        if (!field) continue;
        for (const length of [1, 2, 3, 5, 9])
          texts.add(field.slice(i % Math.max(1, field.length - length), (i % Math.max(1, field.length - length)) + length));
      }
    });
    const nonAscii = byId.flatMap((t) => [...t.title.matchAll(/[^\p{ASCII}]{1,3}/gu)].map((m) => m[0])).slice(0, 40);
    for (const text of [...texts, ...nonAscii, '😀 smile', 'zqxj', '\ud83d']) {
      if (!text.trim()) continue;
      const want = scan({ text });
      const page = searchCatalog(index, { text }, null, 100);
      expect(page.total, JSON.stringify(text)).toBe(want.length);
      expect(page.items.map((t) => titleId(index, t))).toEqual(want.slice(0, 100));
    }
    expect(texts.size).toBeGreaterThan(250);
  });

  it('pages with cursors through exactly the matching titles, total constant on every page', () => {
    for (const [f, limit] of [
      [{}, 1000],
      [{ platform: 'disney' }, 37],
      [{ text: 'love', type: 'movie' }, 7],
      [{ yearFrom: 2021 }, 100],
    ] as const) {
      const got = pages(f, limit);
      const want = scan(f);
      expect(got.ids).toEqual(want);
      expect([...got.totals]).toEqual([want.length]);
      expect(got.pages).toBe(Math.max(1, Math.ceil(want.length / limit)));
    }
    // A cursor id that is not a title (deleted since) continues from where it would sort.
    const after = `${byId[10].id}!`; // sorts right after byId[10] ("!" is below every id character)
    const page = searchCatalog(index, {}, after, 5);
    expect(page.items.map((t) => titleId(index, t))).toEqual(
      byId
        .map((t) => t.id)
        .filter((id) => id > after)
        .slice(0, 5),
    );
    expect(page.total).toBe(byId.length);
  });

  it('patches scores the way the fold changes them, leaving every other byte as it was', () => {
    // Compared as Buffers: a deep equal of 13 MB walks every index as a key.
    expect(Buffer.from(patchCatalogScores(index, bytes.rows, [])).equals(bytes.rows)).toBe(true);
    const [a, b] = [byId[3], byId[500]];
    const patched = decodeCatalogRows(
      patchCatalogScores(index, bytes.rows, [
        { id: a.id, score: 4.25, n_ratings: a.n_ratings + 2 },
        { id: b.id, score: null, n_ratings: 0 },
      ]),
    );
    const decoder = new TextDecoder();
    expect(JSON.parse(decoder.decode(titleBytes(patched, 3)))).toEqual({ ...a, score: 4.25, n_ratings: a.n_ratings + 2 });
    expect(JSON.parse(decoder.decode(titleBytes(patched, 500)))).toEqual({ ...b, score: null, n_ratings: 0 });
    expect(decoder.decode(titleBytes(patched, 4))).toBe(decoder.decode(titleBytes(rows, 4)));
    expect(() => patchCatalogScores(index, bytes.rows, [{ id: 'zz1', score: 1, n_ratings: 1 }])).toThrow(/zz1/);
  });

  it('rejects a damaged value with a clear error', () => {
    for (const [decode, value] of [
      [decodeCatalogIndex, bytes.index],
      [decodeCatalogRows, bytes.rows],
    ] as const) {
      expect(() => decode(value.slice(0, value.length - 1))).toThrow(CatalogIndexFormatError);
      expect(() => decode(value.slice(0, 10))).toThrow(/shorter than/);
      const wrongMagic = value.slice();
      wrongMagic[0] = 0x41;
      expect(() => decode(wrongMagic)).toThrow(/magic/);
    }
    expect(() => encodeCatalog([{ ...byId[0], cast: 'a\u0000b' }])).toThrow(/NUL/);
    expect(() => encodeCatalog([byId[0], byId[0]])).toThrow(/duplicate/);
  });
});
