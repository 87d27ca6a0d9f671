import { beforeAll, describe, expect, it } from 'vitest';
import type { Title } from '../../contract';
import { attachScores, readCatalog } from '../../loader/catalog/transform';
import { buildEdaReport } from '../../loader/eda/report';
import { boxStats, catalogStats, ratingStats, splitList } from '../../loader/eda/stats';
import type { RatingRows } from '../../loader/ratings/rows';
import { syntheticRows } from './eda-fixtures';

let titles: Title[];
let report: unknown;
let rows: RatingRows;
let html: string;

beforeAll(async () => {
  ({ titles, report } = await readCatalog());
  rows = syntheticRows(300_000, titles.length, 7);
  const sum = new Float64Array(titles.length);
  const count = new Uint32Array(titles.length);
  for (let i = 0; i < rows.length; i++) {
    sum[rows.title[i]] += rows.half[i] / 2;
    count[rows.title[i]]++;
  }
  attachScores(titles, sum, count);
  html = buildEdaReport({ titles, rows, catalogReport: report, ratingsSource: 'stand-in' });
});

const n = (x: number) => x.toLocaleString('en-US');

describe('EDA report on the real catalog', () => {
  it('is one self-contained page: no script, no external resource', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
  });

  it('draws every chart the report promises, each an accessible SVG', () => {
    const charts = [...html.matchAll(/<svg class="chart"[^>]*role="img"[^>]*><title>([^<]+)<\/title>/g)].map((m) => m[1]);
    expect(charts).toEqual([
      'Titles per release year and platform',
      'Type mix per platform',
      'Duration in minutes',
      'Duration in minutes per platform, with outliers',
      'Duration in seasons',
      'Duration in seasons per platform, with outliers',
      'Rating labels',
      'Countries',
      'Genres',
      'Most frequent cast members',
      'Rating values',
      'Per-title score',
      'Ratings per user',
      'Ratings per year',
      'Mean rating per user',
    ]);
  });

  it('writes findings from the data, not from constants', () => {
    const hulu = titles.filter((t) => t.platform === 'hulu');
    const amazon = titles.filter((t) => t.platform === 'amazon');
    const amazonNoDate = amazon.filter((t) => t.date_added === null).length;
    expect(html).toContain(`Hulu has no cast data at all.</strong> <code>cast</code> is empty for ${n(hulu.length)} of ${n(hulu.length)}`);
    expect(html).toContain(`It is empty for ${n(amazonNoDate)} of ${n(amazon.length)} Amazon titles`);
    const longest = titles.filter((t) => t.duration_type === 'min').reduce((a, b) => (b.duration_int! > a.duration_int! ? b : a));
    expect(html).toContain(`The longest is “${longest.title}” (${longest.platform}, ${longest.duration_int} min)`);
    const scores = titles.map((t) => t.score!);
    expect(html).toContain(`between ${Math.min(...scores).toFixed(3)} and ${Math.max(...scores).toFixed(3)}`);
    expect(html).toContain('Ratings source: stand-in.');
  });

  it('reports the catalog fixes with their counts', () => {
    const fixes = (report as { fixes: { durationMovedFromRating: Record<string, number> } }).fixes;
    const moved = Object.values(fixes.durationMovedFromRating).reduce((s, v) => s + v, 0);
    expect(moved).toBeGreaterThan(0);
    expect(html).toContain(`${n(moved)} durations had slipped into <code>rating</code>`);
    expect(html).toMatch(/Titles left without a duration after the fix: \d/);
  });

  it('is deterministic', () => {
    expect(buildEdaReport({ titles, rows, catalogReport: report, ratingsSource: 'stand-in' })).toBe(html);
  });

  it('escapes catalog text and shows an unknown report shape raw but safe', () => {
    const evil: Title = {
      ...titles[0],
      id: 'as0',
      title: '<script>alert(1)</script>',
      cast: 'a<b, c&d',
      duration_type: 'min',
      duration_int: 10_000,
    };
    const page = buildEdaReport({ titles: [...titles, evil], rows, catalogReport: { odd: '<i>' }, ratingsSource: 'files' });
    expect(page).not.toContain('<script>alert(1)</script>');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('&quot;odd&quot;: &quot;&lt;i&gt;&quot;');
    expect(page).toContain('Ratings source: files.');
  });

  it('says so instead of charting nothing when there are no rating rows', () => {
    const none: RatingRows = {
      length: 0,
      user: new Int32Array(0),
      title: new Uint16Array(0),
      half: new Uint8Array(0),
      ts: new Uint32Array(0),
    };
    const page = buildEdaReport({ titles, rows: none, catalogReport: report, ratingsSource: 'files' });
    expect(page).toContain('This load has no rating rows');
    expect(page).not.toMatch(/NaN|Infinity|undefined/);
  });

  it('renders 11M rating rows in under 3 s of CPU', () => {
    const big = syntheticRows(11_024_289, titles.length, 3);
    // CPU time, not wall time: the suite shares two cores with workerd and chromium.
    const before = process.cpuUsage();
    const page = buildEdaReport({ titles, rows: big, catalogReport: report, ratingsSource: 'stand-in' });
    const used = process.cpuUsage(before);
    const seconds = (used.user + used.system) / 1e6;
    expect(page).toContain(`${n(11_024_289)} ratings`);
    expect(seconds).toBeLessThan(3);
  });
});

describe('EDA statistics', () => {
  it('box statistics use Tukey fences', () => {
    const s = boxStats([1, 2, 3, 4, 5, 6, 7, 8, 100])!;
    expect([s.q1, s.median, s.q3]).toEqual([3, 5, 7]);
    expect(s.highFence).toBe(13);
    expect(s.outliers).toEqual([100]);
    expect(boxStats([])).toBeNull();
  });

  it('splits lists like the actor query: trimmed, no empties, once per title', () => {
    expect(splitList(' a, b ,, a ,')).toEqual(['a', 'b']);
    expect(splitList(null)).toEqual([]);
  });

  it('counts per user, per year and per rating value from the columns', () => {
    const at = (iso: string) => Date.parse(iso) / 1000;
    const rows: RatingRows = {
      length: 5,
      user: Int32Array.from([7, 7, 7, 9, 300]),
      title: Uint16Array.from([0, 1, 0, 1, 0]),
      half: Uint8Array.from([2, 9, 10, 6, 6]),
      ts: Uint32Array.from([at('1999-05-01'), at('2003-02-18T10:00:00Z'), at('2004-01-01'), at('2001-01-01'), at('2001-06-30')]),
    };
    const s = ratingStats(rows, []);
    expect(s.users).toBe(3);
    expect(s.values).toEqual([0, 1, 0, 0, 0, 2, 0, 0, 1, 1]);
    expect(s.firstHalfStarDay).toBe('2003-02-18');
    expect(s.firstDay).toBe('1999-05-01');
    expect(s.perYear.years).toEqual([1999, 2000, 2001, 2002, 2003, 2004]);
    expect(s.perYear.whole).toEqual([1, 0, 2, 0, 0, 1]);
    expect(s.perYear.half).toEqual([0, 0, 0, 0, 1, 0]);
    expect(s.perUser.bins.map((b) => b.users)).toEqual([2, 1]); // 1 rating: users 9 and 300; 2-3: user 7
    expect(s.titleScores).toBeNull();
  });

  it('per-platform tallies add up to the catalog', () => {
    const c = catalogStats(titles);
    const yearTotal = Object.values(c.years.byPlatform)
      .flat()
      .reduce((a, b) => a + b, 0);
    expect(yearTotal).toBe(titles.length);
    const minutes = titles.filter((t) => t.duration_type === 'min').length;
    expect(c.durations.min.all!.n).toBe(minutes);
    expect(c.durations.min.bins.reduce((s, b) => s + Object.values(b.byPlatform).reduce((x, y) => x + y, 0), 0)).toBe(minutes);
  });
});
