import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLATFORMS, PLATFORM_FILES, PLATFORM_LETTER, TITLE_COLUMNS, type Title } from '../../contract';
import {
  CatalogError,
  TITLES_DIR,
  attachScores,
  formatCatalogReport,
  readCatalog,
  type CatalogReport,
} from '../../loader/catalog/transform';
import { readSummary } from '../../loader/ratings/summary';

let titles: Title[];
let report: CatalogReport;
const byId = (id: string) => titles.find((t) => t.id === id)!;

/** The raw rows, parsed independently of the loader, keyed by catalog id. */
function rawRows(): Map<string, Record<string, string>> {
  const rows = new Map<string, Record<string, string>>();
  for (const p of PLATFORMS) {
    const records: Record<string, string>[] = parse(readFileSync(join(TITLES_DIR, PLATFORM_FILES[p])), { columns: true, bom: true });
    for (const r of records) rows.set(PLATFORM_LETTER[p] + r.show_id, r);
  }
  return rows;
}

beforeAll(async () => {
  ({ titles, report } = await readCatalog());
});

describe('readCatalog on the real catalogs', () => {
  it('reads every row, in catalog order', () => {
    expect(titles).toHaveLength(22_998);
    const perPlatform = Object.fromEntries(PLATFORMS.map((p) => [p, titles.filter((t) => t.platform === p).length]));
    expect(perPlatform).toEqual({ amazon: 9_668, disney: 1_450, hulu: 3_073, netflix: 8_807 });
    expect(report.rows).toBe(22_998);
    expect(PLATFORMS.map((p) => report.files[p].rows)).toEqual([9_668, 1_450, 3_073, 8_807]);
    // Platform blocks in PLATFORMS order, file order inside: s1, s2, ...
    let expected = 0;
    let previous = titles[0].platform;
    for (const t of titles) {
      if (t.platform !== previous) {
        expect(PLATFORMS.indexOf(t.platform)).toBe(PLATFORMS.indexOf(previous) + 1);
        previous = t.platform;
        expected = 0;
      }
      expect(t.show_id).toBe(`s${++expected}`);
    }
  });

  it('uses the same title order as the ratings summary', () => {
    expect(titles.map((t) => t.id)).toEqual(readSummary().map((s) => s.movieId));
  });

  it('counts movies per platform', () => {
    const movies = Object.fromEntries(PLATFORMS.map((p) => [p, titles.filter((t) => t.platform === p && t.type === 'movie').length]));
    expect(movies).toEqual({ amazon: 7_814, disney: 1_052, hulu: 1_484, netflix: 6_131 });
    expect(new Set(titles.map((t) => t.type))).toEqual(new Set(['movie', 'tv show']));
    expect(report.types.amazon).toEqual({ movie: 7_814, 'tv show': 1_854 });
  });

  it('moves 295 durations out of rating and leaves 187 titles without duration', () => {
    expect(report.fixes.durationMovedFromRating).toEqual({ amazon: 0, disney: 0, hulu: 292, netflix: 3 });
    expect(titles.filter((t) => t.duration_int === null)).toHaveLength(187);
    expect(report.withoutDuration.total).toBe(187);
    for (const t of titles) {
      expect(t.duration_int === null).toBe(t.duration_type === null);
      if (t.duration_int !== null) expect(Number.isInteger(t.duration_int) && t.duration_int >= 0).toBe(true);
    }
    // Ten amazon rows say "0 min" (mostly upload tests); kept, and reported.
    expect(titles.filter((t) => t.duration_int === 0).map((t) => t.id)).toHaveLength(10);
    expect(report.anomalies.find((a) => a.description.startsWith('duration is 0'))?.count).toBe(10);
    expect(new Set(titles.map((t) => t.duration_type))).toEqual(new Set(['min', 'season', null]));
  });

  it('fills every null rating with g, counting the ratings emptied by the move', () => {
    const raw = rawRows();
    const emptyRaw = [...raw.values()].filter((r) => r.rating === '').length;
    expect(PLATFORMS.reduce((n, p) => n + report.fixes.nullRatingFilledWithG[p], 0)).toBe(emptyRaw + 295);
    expect(titles.every((t) => typeof t.rating === 'string' && t.rating !== '')).toBe(true);
    expect(titles.some((t) => /\d+ (min|seasons?)$/.test(t.rating))).toBe(false);
  });

  it('leaves no upper-case letter in any text field and no empty string anywhere', () => {
    const bad: string[] = [];
    for (const t of titles) {
      for (const column of TITLE_COLUMNS) {
        const value = t[column];
        if (typeof value !== 'string') continue;
        if (value === '' || /[\p{Lu}\p{Lt}]/u.test(value) || value !== value.toLowerCase()) bad.push(`${t.id}.${column}: ${value}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('writes every date as a valid YYYY-MM-DD calendar date', () => {
    let dated = 0;
    for (const t of titles) {
      if (t.date_added === null) continue;
      dated++;
      expect(t.date_added).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(new Date(`${t.date_added}T00:00:00Z`).toISOString().slice(0, 10)).toBe(t.date_added);
    }
    expect(dated).toBe(22_998 - 9_513 - 3 - 28 - 10);
    expect(report.fixes.datesWithLeadingSpaces.netflix).toBe(88);
    expect(report.fixes.unparseableDates).toEqual([]);
  });

  it('gives unique ids made of the platform letter and show_id', () => {
    expect(new Set(titles.map((t) => t.id)).size).toBe(titles.length);
    for (const t of titles) expect(t.id).toBe(PLATFORM_LETTER[t.platform] + t.show_id);
  });

  it('alters nothing else: every field equals the lower-cased raw value (or null for empty)', () => {
    const raw = rawRows();
    const lowerOrNull = (v: string) => (v === '' ? null : v.toLowerCase());
    const mismatches: string[] = [];
    const check = (t: Title, what: string, actual: unknown, wanted: unknown) => {
      if (actual !== wanted) mismatches.push(`${t.id}.${what}: ${JSON.stringify(actual)} != ${JSON.stringify(wanted)}`);
    };
    for (const t of titles) {
      const r = raw.get(t.id)!;
      check(t, 'type', t.type, r.type.toLowerCase());
      check(t, 'title', t.title, r.title.toLowerCase());
      for (const c of ['director', 'cast', 'country', 'listed_in', 'description'] as const) check(t, c, t[c], lowerOrNull(r[c]));
      check(t, 'release_year', t.release_year, Number(r.release_year));
      check(t, 'score', t.score, null);
      check(t, 'n_ratings', t.n_ratings, 0);
      if (r.duration !== '') {
        check(t, 'duration', `${t.duration_int} ${t.duration_type}`, r.duration.toLowerCase().replace(/seasons$/, 'season'));
        check(t, 'rating', t.rating, r.rating === '' ? 'g' : r.rating.toLowerCase());
      } else if (t.duration_int !== null) {
        check(t, 'duration from rating', `${t.duration_int} ${t.duration_type}`, r.rating.toLowerCase().replace(/seasons$/, 'season'));
        check(t, 'rating', t.rating, 'g');
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('matches hand-checked raw rows', () => {
    // hulu_titles.csv line 52: s51,Movie,Yashahime: Princess Half-Demon,,,Japan,"October 9, 2021",2020,2 Seasons,,Anime,...
    expect(byId('hs51')).toMatchObject({
      type: 'movie',
      title: 'yashahime: princess half-demon',
      director: null,
      cast: null,
      country: 'japan',
      date_added: '2021-10-09',
      release_year: 2020,
      rating: 'g',
      duration_int: 2,
      duration_type: 'season',
      listed_in: 'anime',
    });
    // netflix_titles.csv line 5543: s5542,Movie,Louis C.K. 2017,...,"April 4, 2017",2017,74 min,,Movies,...
    expect(byId('ns5542')).toMatchObject({
      title: 'louis c.k. 2017',
      director: 'louis c.k.',
      cast: 'louis c.k.',
      country: 'united states',
      date_added: '2017-04-04',
      rating: 'g',
      duration_int: 74,
      duration_type: 'min',
      listed_in: 'movies',
    });
    // netflix_titles.csv line 6081: date_added " August 4, 2017" with a leading space, duration "2 Seasons".
    expect(byId('ns6080')).toMatchObject({
      type: 'tv show',
      title: 'abnormal summit',
      director: 'jung-ah im, seung-uk jo',
      date_added: '2017-08-04',
      rating: 'tv-pg',
      duration_int: 2,
      duration_type: 'season',
    });
    // netflix_titles.csv line 6179: non-Latin title kept as is.
    expect(byId('ns6178')).toMatchObject({ title: '忍者ハットリくん', date_added: '2018-12-23', rating: 'tv-y7' });
    // amazon_prime_titles.csv line 29: a U+2028 inside the cast is kept (not re-spaced).
    expect(byId('as28').cast).toBe('christina ricci \u2028, david hoflin');
    expect(byId('as28').date_added).toBeNull();
    // Hulu has no cast at all.
    expect(titles.filter((t) => t.platform === 'hulu' && t.cast !== null)).toHaveLength(0);
  });

  it('reports nulls, years and anomalies', () => {
    expect(report.nulls.hulu.cast).toBe(3_073);
    expect(report.nulls.amazon.date_added).toBe(9_513);
    expect(report.nulls.hulu.duration_int).toBe(187);
    expect(report.releaseYears.min).toBe(Math.min(...titles.map((t) => t.release_year)));
    expect(report.releaseYears.max).toBe(2021);
    const duplicates = report.anomalies.filter((a) => a.description.startsWith('title appears on more than one row'));
    expect(duplicates.map((a) => a.platform)).toEqual(['amazon', 'hulu', 'netflix']);
    const text = formatCatalogReport(report);
    expect(text).toContain('duration moved out of rating: 295 (amazon 0, disney 0, hulu 292, netflix 3)');
    expect(text).toContain('Titles without duration: 187');
  });
});

describe('attachScores', () => {
  it('sets the exact float64 mean and the count', async () => {
    const { titles: scored } = await readCatalog();
    const summary = readSummary();
    attachScores(
      scored,
      Float64Array.from(summary, (s) => s.rating_sum),
      Uint32Array.from(summary, (s) => s.n_ratings),
    );
    const first = summary[0];
    expect(scored[0].score).toBe(first.rating_sum / first.n_ratings);
    expect(scored[0].n_ratings).toBe(first.n_ratings);
    expect(scored.filter((t) => t.score === 3.5).length).toBe(171);
    expect(() => attachScores(scored, new Float64Array(1), new Uint32Array(1))).toThrow(/22998 titles/);
    const noRatings = new Uint32Array(scored.length);
    attachScores(scored, new Float64Array(scored.length), noRatings);
    expect(scored.every((t) => t.score === null && t.n_ratings === 0)).toBe(true);
  });
});

describe('readCatalog on broken catalogs', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'catalog-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A fresh copy of the real catalogs with one file replaced (or removed when content is null). */
  function catalogWith(platform: (typeof PLATFORMS)[number], content: Buffer | string | null): string {
    const target = mkdtempSync(join(dir, 'case-'));
    for (const p of PLATFORMS) copyFileSync(join(TITLES_DIR, PLATFORM_FILES[p]), join(target, PLATFORM_FILES[p]));
    const file = join(target, PLATFORM_FILES[platform]);
    if (content === null) unlinkSync(file);
    else writeFileSync(file, content);
    return target;
  }
  const original = (p: (typeof PLATFORMS)[number]) => readFileSync(join(TITLES_DIR, PLATFORM_FILES[p]));

  it('names a missing file', async () => {
    await expect(readCatalog(catalogWith('hulu', null))).rejects.toThrow(/hulu_titles\.csv cannot be read/);
  });

  it('names a file with a wrong header', async () => {
    const renamed = original('disney').toString('utf8').replace('release_year', 'year');
    await expect(readCatalog(catalogWith('disney', renamed))).rejects.toThrow(/disney_plus_titles\.csv has header/);
  });

  it('names a truncated file', async () => {
    const bytes = original('netflix');
    const insideQuotes = bytes.subarray(0, bytes.indexOf('"Louis C.K. muses') + 10);
    await expect(readCatalog(catalogWith('netflix', insideQuotes))).rejects.toThrow(CatalogError);
    await expect(readCatalog(catalogWith('netflix', insideQuotes))).rejects.toThrow(/netflix_titles\.csv .*truncated/);
    // Cut at a field boundary the rest still parses (12 fields, empty description): caught by the missing line break.
    const atFieldBoundary = bytes.subarray(0, bytes.indexOf('"Louis C.K. muses'));
    await expect(readCatalog(catalogWith('netflix', atFieldBoundary))).rejects.toThrow(/netflix_titles\.csv .*truncated/);
    const unclosedQuote = Buffer.concat([bytes.subarray(0, bytes.indexOf('"Louis C.K. muses') + 10), Buffer.from('\r\n')]);
    await expect(readCatalog(catalogWith('netflix', unclosedQuote))).rejects.toThrow(/netflix_titles\.csv is malformed CSV.*quote/i);
  });

  it('names a row with the wrong field count', async () => {
    const text = original('amazon').toString('utf8');
    const lines = text.split('\r\n');
    const broken = [...lines.slice(0, 3), 's9999,Movie,Too Short,,,', ...lines.slice(3)].join('\r\n');
    await expect(readCatalog(catalogWith('amazon', broken))).rejects.toThrow(
      /amazon_prime_titles\.csv is malformed CSV.*(Invalid Record Length|record)/i,
    );
  });

  it('names an empty file and invalid UTF-8', async () => {
    await expect(readCatalog(catalogWith('disney', ''))).rejects.toThrow(/disney_plus_titles\.csv is empty/);
    const invalid = Buffer.concat([original('disney'), Buffer.from([0xff, 0xfe, 0x0d, 0x0a])]);
    await expect(readCatalog(catalogWith('disney', invalid))).rejects.toThrow(/disney_plus_titles\.csv is not valid UTF-8/);
  });

  it('names a bad release year and a duplicate show_id with their line', async () => {
    const text = original('disney').toString('utf8');
    await expect(readCatalog(catalogWith('disney', text.replace(',2016,TV-G,', ',2016.0,TV-G,')))).rejects.toThrow(
      /disney_plus_titles\.csv:\d+: release_year "2016\.0"/,
    );
    const firstRow = text.split('\r\n')[1];
    await expect(readCatalog(catalogWith('disney', `${text}${firstRow}\r\n`))).rejects.toThrow(
      /disney_plus_titles\.csv:\d+: duplicate show_id "s1"/,
    );
  });

  it('accepts a BOM and LF line endings', async () => {
    const lf = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(original('disney').toString('utf8').replace(/\r\n/g, '\n'))]);
    const { titles: read, report: r } = await readCatalog(catalogWith('disney', lf));
    expect(r.files.disney.bom).toBe(true);
    expect(read.filter((t) => t.platform === 'disney')).toEqual(titles.filter((t) => t.platform === 'disney'));
  });
});
