// The query index against a plain scan of the transformed, scored catalog: every platform x year x unit,
// every score boundary. The scans below are deliberately naive; they are the spec, read literally.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DURATION_TYPES,
  PLATFORMS,
  QUERY_INDEX_FORMAT_VERSION,
  QueryIndexFormatError,
  actor,
  countPlatform,
  decodeQueryIndex,
  encodeQueryIndex,
  indexSizes,
  maxDuration,
  scoreCount,
  years,
  type ActorResult,
  type DurationType,
  type Platform,
  type QueryIndex,
  type Title,
} from '../../contract';
import { attachScores, readCatalog } from '../../loader/catalog/transform';
import { buildQueryIndex, computeQueryIndexData } from '../../loader/catalog/query-index';
import { readSummary } from '../../loader/ratings/summary';

let titles: Title[];
let bytes: Uint8Array;
let ix: QueryIndex;
let yearsPresent: number[];
const ABSENT_YEARS = [0, 1, 1800, 1919, 2022, 2100, 9999];

beforeAll(async () => {
  ({ titles } = await readCatalog());
  const summary = readSummary();
  expect(summary.map((s) => s.movieId)).toEqual(titles.map((t) => t.id));
  attachScores(
    titles,
    Float64Array.from(summary, (s) => s.rating_sum),
    Uint32Array.from(summary, (s) => s.n_ratings),
  );
  bytes = buildQueryIndex(titles);
  ix = decodeQueryIndex(bytes.slice().buffer);
  yearsPresent = [...new Set(titles.map((t) => t.release_year))].sort((a, b) => a - b);
});

function scanMaxDuration(q: { year?: number; platform?: Platform; durationType: DurationType }) {
  const candidates = titles.filter(
    (t) =>
      t.duration_type === q.durationType &&
      t.duration_int !== null &&
      (q.year === undefined || t.release_year === q.year) &&
      (q.platform === undefined || t.platform === q.platform),
  );
  candidates.sort((a, b) => {
    if (a.duration_int !== b.duration_int) return b.duration_int! - a.duration_int!;
    if (a.title !== b.title) return a.title < b.title ? -1 : 1;
    return a.id < b.id ? -1 : 1;
  });
  const t = candidates[0];
  if (!t) return null;
  return {
    id: t.id,
    title: t.title,
    platform: t.platform,
    type: t.type,
    release_year: t.release_year,
    duration_int: t.duration_int,
    duration_type: t.duration_type,
  };
}

function scanActor(platform: Platform, year: number): ActorResult {
  const platformTitles = titles.filter((t) => t.platform === platform);
  const splitCast = (cast: string | null) =>
    (cast ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  if (platformTitles.every((t) => splitCast(t.cast).length === 0)) return { status: 'no_cast_data_for_platform' };
  const ofYear = platformTitles.filter((t) => t.release_year === year);
  if (ofYear.length === 0) return { status: 'no_titles' };
  const counts = new Map<string, number>();
  for (const t of ofYear) for (const name of new Set(splitCast(t.cast))) counts.set(name, (counts.get(name) ?? 0) + 1);
  if (counts.size === 0) return { status: 'no_cast_for_year' };
  const top = Math.max(...counts.values());
  const tied = [...counts]
    .filter(([, n]) => n === top)
    .map(([name]) => name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { status: 'found', actor: tied[0], count: top, tied };
}

/** Adjacent float64 values (for positive finite x), to probe the strictly-greater boundary. */
function nextAfter(x: number, direction: 1 | -1): number {
  if (x === 0) return direction > 0 ? Number.MIN_VALUE : -Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigUint64(0, view.getBigUint64(0) + BigInt(direction));
  return view.getFloat64(0);
}

describe('query index vs a plain scan of the catalog', () => {
  it('maxDuration: every platform (and any) x every year (and any, and absent ones) x both units', () => {
    let compared = 0;
    const mismatches: string[] = [];
    for (const platform of [undefined, ...PLATFORMS]) {
      for (const year of [undefined, ...yearsPresent, ...ABSENT_YEARS]) {
        for (const durationType of DURATION_TYPES) {
          const q = { year, platform, durationType };
          const got = maxDuration(ix, q);
          const want = scanMaxDuration(q);
          if (JSON.stringify(got) !== JSON.stringify(want))
            mismatches.push(`${JSON.stringify(q)}: ${JSON.stringify(got)} != ${JSON.stringify(want)}`);
          compared++;
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(compared).toBe(5 * (1 + yearsPresent.length + ABSENT_YEARS.length) * 2);
    expect(maxDuration(ix, { durationType: 'min' })).toMatchObject({ id: 'as934', duration_int: 601 });
  });

  it('maxDuration breaks ties by title, then id (the scan and the index agree on tied cells)', () => {
    // A cell where several titles share the top duration proves the tie rule is exercised, not vacuous.
    let tiedCells = 0;
    for (const platform of PLATFORMS) {
      for (const year of yearsPresent) {
        for (const unit of DURATION_TYPES) {
          const pool = titles.filter((t) => t.platform === platform && t.release_year === year && t.duration_type === unit);
          const top = Math.max(...pool.map((t) => t.duration_int!));
          if (pool.filter((t) => t.duration_int === top).length > 1) tiedCells++;
        }
      }
    }
    expect(tiedCells).toBeGreaterThan(20);
  });

  it('scoreCount: every platform x year x every score boundary, 0, 5 and each 0.1 step', () => {
    const steps = Array.from({ length: 51 }, (_, i) => Number((i / 10).toFixed(1)));
    let compared = 0;
    const mismatches: string[] = [];
    for (const platform of PLATFORMS) {
      for (const year of [...yearsPresent, ...ABSENT_YEARS]) {
        const movieScores = titles
          .filter((t) => t.platform === platform && t.release_year === year && t.type === 'movie' && t.score !== null)
          .map((t) => t.score!);
        const probes = new Set([0, 5, ...steps]);
        for (const s of movieScores) {
          probes.add(s);
          probes.add(nextAfter(s, 1));
          probes.add(nextAfter(s, -1));
        }
        for (const scored of probes) {
          const want = movieScores.filter((s) => s > scored).length;
          const got = scoreCount(ix, { platform, scored, year });
          if (got !== want) mismatches.push(`${platform} ${year} ${scored}: ${got} != ${want}`);
          compared++;
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(compared).toBeGreaterThan(16_481 * 3);
  });

  it('scoreCount keeps exact scores: a mean of exactly 3.5 is not greater than 3.5', () => {
    const exact = titles.filter((t) => t.type === 'movie' && t.score === 3.5);
    expect(exact.length).toBeGreaterThan(0);
    const t = exact[0];
    const above = (scored: number) => scoreCount(ix, { platform: t.platform, year: t.release_year, scored });
    expect(above(nextAfter(3.5, -1)) - above(3.5)).toBe(
      exact.filter((e) => e.platform === t.platform && e.release_year === t.release_year).length,
    );
    // Published answers reproduced from the real means (see docs/reference.md#summary-file).
    expect(scoreCount(ix, { platform: 'disney', scored: 3.2, year: 2011 })).toBe(35);
    expect(scoreCount(ix, { platform: 'disney', scored: 1.4, year: 2012 })).toBe(29);
  });

  it('actor: every platform x every year (and absent ones)', () => {
    const mismatches: string[] = [];
    const statuses = new Map<string, number>();
    for (const platform of PLATFORMS) {
      for (const year of [...yearsPresent, ...ABSENT_YEARS]) {
        const got = actor(ix, { platform, year });
        const want = scanActor(platform, year);
        if (JSON.stringify(got) !== JSON.stringify(want))
          mismatches.push(`${platform} ${year}: ${JSON.stringify(got)} != ${JSON.stringify(want)}`);
        statuses.set(got.status, (statuses.get(got.status) ?? 0) + 1);
      }
    }
    expect(mismatches).toEqual([]);
    // Every outcome occurs on the real data, so none of the branches is compared vacuously.
    expect([...statuses.keys()].sort()).toEqual(['found', 'no_cast_data_for_platform', 'no_cast_for_year', 'no_titles']);
    expect(actor(ix, { platform: 'hulu', year: 2020 })).toEqual({ status: 'no_cast_data_for_platform' });
  });

  it('countPlatform for every platform', () => {
    for (const platform of PLATFORMS) {
      const own = titles.filter((t) => t.platform === platform);
      expect(countPlatform(ix, platform)).toEqual({
        platform,
        count: own.filter((t) => t.type === 'movie').length,
        tv_shows: own.filter((t) => t.type === 'tv show').length,
        total: own.length,
      });
    }
    expect(PLATFORMS.map((p) => countPlatform(ix, p).count)).toEqual([7_814, 1_052, 1_484, 6_131]);
  });

  it('years: overall and per platform', () => {
    const y = years(ix);
    expect(y.years).toEqual(yearsPresent);
    expect([y.min, y.max]).toEqual([yearsPresent[0], yearsPresent[yearsPresent.length - 1]]);
    for (const platform of PLATFORMS) {
      const own = [...new Set(titles.filter((t) => t.platform === platform).map((t) => t.release_year))].sort((a, b) => a - b);
      expect(y.byPlatform[platform]).toEqual({ min: own[0], max: own[own.length - 1], years: own });
    }
  });
});

describe('tie rules on a hand-made catalog', () => {
  const make = (over: Partial<Title> & Pick<Title, 'id' | 'title'>): Title => ({
    platform: 'netflix',
    show_id: over.id.slice(1),
    type: 'movie',
    director: null,
    cast: null,
    country: null,
    date_added: null,
    release_year: 2000,
    rating: 'g',
    duration_int: 90,
    duration_type: 'min',
    listed_in: null,
    description: null,
    score: null,
    n_ratings: 0,
    ...over,
  });
  const small = (list: Title[]) => decodeQueryIndex(buildQueryIndex(list));

  it('maxDuration: longest, then first title by code point (not locale), then smallest id as a string', () => {
    const t = small([
      make({ id: 'ns1', title: 'émile', duration_int: 120 }),
      make({ id: 'ns2', title: 'zoe', duration_int: 120 }), // 'z' < 'é' by code point; localeCompare says otherwise
      make({ id: 'ns3', title: 'short', duration_int: 30 }),
    ]);
    expect(maxDuration(t, { durationType: 'min' })?.id).toBe('ns2');
    const byId = small([make({ id: 'ns9', title: 'same' }), make({ id: 'ns10', title: 'same' })]);
    expect(maxDuration(byId, { durationType: 'min' })?.id).toBe('ns10'); // "ns10" < "ns9" as strings
    expect(maxDuration(byId, { durationType: 'season' })).toBeNull();
    expect(maxDuration(byId, { durationType: 'min', platform: 'amazon' })).toBeNull();
  });

  it('actor: each name once per title, trimmed, empties dropped, ties in code-point order', () => {
    const t = small([
      make({ id: 'ns1', title: 'a', cast: 'émile, zoe,  zoe , ,' }),
      make({ id: 'ns2', title: 'b', cast: ' émile,zoe,bob' }),
      make({ id: 'ns3', title: 'c', release_year: 2001, cast: null }),
    ]);
    expect(actor(t, { platform: 'netflix', year: 2000 })).toEqual({ status: 'found', actor: 'zoe', count: 2, tied: ['zoe', 'émile'] });
    expect(actor(t, { platform: 'netflix', year: 2001 })).toEqual({ status: 'no_cast_for_year' });
    expect(actor(t, { platform: 'netflix', year: 1999 })).toEqual({ status: 'no_titles' });
    expect(actor(t, { platform: 'amazon', year: 2000 })).toEqual({ status: 'no_cast_data_for_platform' });
  });

  it('scoreCount: movies only, strictly greater, unscored movies never counted', () => {
    const t = small([
      make({ id: 'ns1', title: 'a', score: 3.5 }),
      make({ id: 'ns2', title: 'b', score: 3.5000000000000004 }),
      make({ id: 'ns3', title: 'c', score: 4, type: 'tv show' }),
      make({ id: 'ns4', title: 'd', score: null }),
    ]);
    expect(scoreCount(t, { platform: 'netflix', year: 2000, scored: 3.5 })).toBe(1);
    expect(scoreCount(t, { platform: 'netflix', year: 2000, scored: 0 })).toBe(2);
    expect(scoreCount(t, { platform: 'netflix', year: 2000, scored: 5 })).toBe(0);
    expect(scoreCount(t, { platform: 'netflix', year: 1999, scored: 0 })).toBe(0);
    expect(countPlatform(t, 'netflix')).toEqual({ platform: 'netflix', count: 3, tv_shows: 1, total: 4 });
  });
});

describe('query index encoding', () => {
  it('round-trips: decode(encode(data)) reproduces the data', () => {
    const data = computeQueryIndexData(titles);
    const decoded = decodeQueryIndex(encodeQueryIndex(data));
    expect(decoded.years).toEqual(data.years);
    expect(decoded.platforms).toEqual(data.platforms);
    expect(decoded.titlesPerCell).toEqual(data.titlesPerCell);
    expect(decoded.maxDuration).toEqual(data.maxDuration);
    expect(decoded.scores.start).toEqual(data.scores.start);
    expect(Object.is(decoded.scores.values.length, data.scores.values.length)).toBe(true);
    expect(decoded.scores.values.every((v, i) => Object.is(v, data.scores.values[i]))).toBe(true);
    expect(decoded.actors).toEqual(data.actors);
    expect(encodeQueryIndex(data)).toEqual(bytes); // deterministic
  });

  it('stores every movie score exactly, once', () => {
    const stored = [...ix.scores.values].sort((a, b) => a - b);
    const scored = titles
      .filter((t) => t.type === 'movie')
      .map((t) => t.score!)
      .sort((a, b) => a - b);
    expect(stored).toEqual(scored);
  });

  it('decodes from an unaligned view and from an ArrayBuffer alike', () => {
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    const fromView = decodeQueryIndex(padded.subarray(3));
    expect(fromView.scores.values).toEqual(ix.scores.values);
    expect(maxDuration(fromView, { durationType: 'season' })).toEqual(maxDuration(ix, { durationType: 'season' }));
  });

  it('rejects truncated, foreign and future-version values', () => {
    expect(() => decodeQueryIndex(bytes.subarray(0, bytes.length - 1))).toThrow(QueryIndexFormatError);
    expect(() => decodeQueryIndex(bytes.subarray(0, 10))).toThrow(/too short/);
    expect(() => decodeQueryIndex(new TextEncoder().encode('{"not":"an index"}'))).toThrow(/not a query index/);
    const future = bytes.slice();
    new DataView(future.buffer).setUint16(4, QUERY_INDEX_FORMAT_VERSION + 1, true);
    expect(() => decodeQueryIndex(future)).toThrow(/format 2/);
    const lying = bytes.slice();
    new DataView(lying.buffer).setUint32(8 + 8 + 4, bytes.length, true); // first section offset past the end
    expect(() => decodeQueryIndex(lying)).toThrow(/runs past the end/);
  });

  it('is small and decodes fast', () => {
    const runs: number[] = [];
    for (let i = 0; i < 7; i++) {
      const copy = bytes.slice().buffer;
      const t0 = performance.now();
      decodeQueryIndex(copy);
      runs.push(performance.now() - t0);
    }
    runs.sort((a, b) => a - b);
    console.log(`query index: ${JSON.stringify(indexSizes(ix))}; decode median ${runs[3].toFixed(2)} ms, max ${runs[6].toFixed(2)} ms`);
    expect(bytes.length).toBeLessThan(1_000_000);
    expect(runs[3]).toBeLessThan(20);
  });
});
