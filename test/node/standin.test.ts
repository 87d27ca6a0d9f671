// Checks the stand-in ratings against docs/reference.md#stand-in-ratings by parsing every row of the full scale-1 set with a strict
// parser of its own (not the generator's code), plus determinism and marker checks at a small scale.
import { mkdtempSync, readFileSync, rmSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_STANDIN_DIR,
  DEFAULT_STANDIN_SEED,
  HALF_STARS_FROM,
  generateStandIn,
  readStandInMarker,
  standInIsCurrent,
  standInTargets,
  type StandInResult,
} from '../../loader/standin/generate';
import { readSummary, type TitleSummary } from '../../loader/ratings/summary';

const TS_MIN = Date.UTC(1995, 0, 1) / 1000;
const TS_MAX = Date.UTC(2017, 7, 31, 23, 59, 59) / 1000;
const HEADER = 'userId,rating,timestamp,movieId\n';
const temps: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'standin-'));
  temps.push(dir);
  return dir;
};
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

interface Parsed {
  fileRows: number[];
  user: Int32Array;
  half: Uint8Array;
  ts: Uint32Array;
  title: Uint16Array;
  length: number;
}

/** movieId -> catalog index without building a string per row: platform letter, 's', show number. */
function titleLookup(summary: TitleSummary[]): (letter: number, num: number) => number {
  const tables = new Map<number, Int32Array>();
  summary.forEach((s, t) => {
    const m = /^([adhn])s(\d+)$/.exec(s.movieId);
    if (!m) throw new Error(`unexpected movieId ${s.movieId}`);
    const letter = m[1].charCodeAt(0);
    const table = tables.get(letter) ?? new Int32Array(100_000).fill(-1);
    table[Number(m[2])] = t;
    tables.set(letter, table);
  });
  return (letter, num) => tables.get(letter)?.[num] ?? -1;
}

function parseRatings(dir: string, fileCount: number, titleOf: (letter: number, num: number) => number): Parsed {
  const cap = 12_000_000;
  const out: Parsed = {
    fileRows: [],
    user: new Int32Array(cap),
    half: new Uint8Array(cap),
    ts: new Uint32Array(cap),
    title: new Uint16Array(cap),
    length: 0,
  };
  let n = 0;
  for (let f = 1; f <= fileCount; f++) {
    const buf = readFileSync(join(dir, `${f}.csv`));
    if (buf.subarray(0, HEADER.length).toString('latin1') !== HEADER) throw new Error(`${f}.csv: bad header`);
    let p = HEADER.length;
    const start = n;
    const fail = (what: string): never => {
      const lineStart = buf.lastIndexOf(10, p - 1) + 1;
      throw new Error(
        `${f}.csv row ${n - start + 1}: ${what}: ${JSON.stringify(buf.subarray(lineStart, lineStart + 40).toString('latin1'))}`,
      );
    };
    const integer = (end: number): number => {
      if (buf[p] === 48 || buf[p] === end) fail('bad number');
      let v = 0;
      while (buf[p] !== end) {
        const d = buf[p++] - 48;
        if (d < 0 || d > 9 || p >= buf.length) fail('bad number');
        v = v * 10 + d;
      }
      p++;
      return v;
    };
    while (p < buf.length) {
      if (n >= cap) fail('too many rows');
      out.user[n] = integer(44);
      const whole = buf[p] - 48;
      const frac = buf[p + 2];
      if (whole < 0 || whole > 5 || buf[p + 1] !== 46 || (frac !== 48 && frac !== 53) || buf[p + 3] !== 44) fail('bad rating');
      const half = whole * 2 + (frac === 53 ? 1 : 0);
      if (half < 1 || half > 10) fail('rating out of range');
      out.half[n] = half;
      p += 4;
      out.ts[n] = integer(44);
      const letter = buf[p];
      if (buf[p + 1] !== 115) fail('bad movieId');
      p += 2;
      const t = titleOf(letter, integer(10));
      if (t < 0) fail('unknown movieId');
      out.title[n] = t;
      n++;
    }
    out.fileRows.push(n - start);
  }
  out.length = n;
  return out;
}

describe('stand-in ratings, full scale-1 set', () => {
  const summary = readSummary();
  let dir = DEFAULT_STANDIN_DIR;
  let generated: StandInResult | null = null;
  let rows: Parsed;

  beforeAll(async () => {
    // Reuse data/ratings when it already holds the current default set; otherwise generate afresh.
    if (!standInIsCurrent(dir, { seed: DEFAULT_STANDIN_SEED, scale: 1 })) {
      dir = tempDir();
      generated = await generateStandIn({ outDir: dir });
    }
    rows = parseRatings(dir, 8, titleLookup(summary));
  });

  it('has the real layout: 8 files, 7 x 1,500,000 + 524,289 rows, the header, LF only', () => {
    expect(rows.fileRows).toEqual([...Array(7).fill(1_500_000), 524_289]);
    expect(rows.length).toBe(11_024_289);
    for (let f = 1; f <= 8; f++) expect(readFileSync(join(dir, `${f}.csv`)).includes(13)).toBe(false);
    expect(readStandInMarker(dir)?.files.map((f) => f.name)).toEqual([
      '1.csv',
      '2.csv',
      '3.csv',
      '4.csv',
      '5.csv',
      '6.csv',
      '7.csv',
      '8.csv',
    ]);
    if (generated) expect(generated.rows).toBe(rows.length);
  });

  it("matches every title's n_ratings, rating_sum and n_half_star_ratings exactly", () => {
    const T = summary.length;
    const n = new Int32Array(T);
    const units = new Float64Array(T);
    const halves = new Int32Array(T);
    for (let r = 0; r < rows.length; r++) {
      const t = rows.title[r];
      n[t]++;
      units[t] += rows.half[r];
      halves[t] += rows.half[r] & 1;
    }
    const wrong = summary.filter((s, t) => n[t] !== s.n_ratings || units[t] !== s.rating_sum * 2 || halves[t] !== s.n_half_star_ratings);
    expect(wrong.map((s) => s.movieId)).toEqual([]);
  });

  it('has 115,077 users with ids in 1..270,896, grouped by user in ascending id order', () => {
    let users = 0;
    let maxId = 0;
    let ordered = true;
    for (let r = 0; r < rows.length; r++) {
      const u = rows.user[r];
      if (r === 0 || u !== rows.user[r - 1]) {
        users++;
        if (r > 0 && u < rows.user[r - 1]) ordered = false;
      }
      maxId = Math.max(maxId, u);
    }
    expect(ordered).toBe(true);
    expect(users).toBe(115_077);
    expect(maxId).toBeLessThanOrEqual(270_896);
  });

  it('keeps timestamps in 1995-01-01..2017-08-31 and no half star before 2003-02-18', () => {
    let outOfRange = 0;
    let earlyHalves = 0;
    let early = 0;
    for (let r = 0; r < rows.length; r++) {
      const ts = rows.ts[r];
      if (ts < TS_MIN || ts > TS_MAX) outOfRange++;
      if (ts < HALF_STARS_FROM) {
        early++;
        if (rows.half[r] & 1) earlyHalves++;
      }
    }
    expect(outOfRange).toBe(0);
    expect(earlyHalves).toBe(0);
    // Both eras are represented, as in MovieLens.
    expect(early / rows.length).toBeGreaterThan(0.1);
    expect(early / rows.length).toBeLessThan(0.6);
  });

  // Per-user statistics over the user runs (the layout test above checks users are contiguous).
  const perUser = () => {
    const counts: number[] = [];
    const means: number[] = [];
    const spansDays: number[] = [];
    let repeatedPairs = 0;
    let exactDuplicates = 0;
    const seenBy = new Int32Array(summary.length).fill(-1);
    const firstRow = new Int32Array(summary.length);
    for (let a = 0, u = 0; a < rows.length; u++) {
      let b = a;
      let sum = 0;
      let lo = Infinity;
      let hi = -Infinity;
      const seenRows = new Set<string>();
      const key = (r: number) => `${rows.title[r]},${rows.half[r]},${rows.ts[r]}`;
      while (b < rows.length && rows.user[b] === rows.user[a]) {
        const t = rows.title[b];
        if (seenBy[t] === u) {
          repeatedPairs++;
          seenRows.add(key(firstRow[t]));
          if (seenRows.has(key(b))) exactDuplicates++;
          else seenRows.add(key(b));
        } else {
          seenBy[t] = u;
          firstRow[t] = b;
        }
        sum += rows.half[b] / 2;
        lo = Math.min(lo, rows.ts[b]);
        hi = Math.max(hi, rows.ts[b]);
        b++;
      }
      counts.push(b - a);
      means.push(sum / (b - a));
      spansDays.push((hi - lo) / 86400);
      a = b;
    }
    return { counts, means, spansDays, repeatedPairs, exactDuplicates };
  };
  let cached: ReturnType<typeof perUser> | undefined;
  const userStats = () => (cached ??= perUser());
  const sd = (xs: number[]) => {
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
  };
  const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[xs.length >> 1];

  it('has about 10,466 exact duplicate rows and about 1% rows repeating a (user, title) pair', () => {
    const stats = userStats();
    // 10,466 are placed on purpose; a few more may arise by chance (same title, rating and second).
    expect(stats.exactDuplicates).toBeGreaterThanOrEqual(10_466);
    expect(stats.exactDuplicates).toBeLessThanOrEqual(10_566);
    const share = stats.repeatedPairs / rows.length;
    expect(share).toBeGreaterThan(0.008);
    expect(share).toBeLessThan(0.012);
    if (generated) {
      expect(generated.exactDuplicateRows).toBe(stats.exactDuplicates);
      expect(generated.repeatedPairRows).toBe(stats.repeatedPairs);
    }
  });

  it('has heavy-tailed user activity', () => {
    const stats = userStats();
    const sorted = [...stats.counts].sort((p, q) => q - p);
    const top1 = sorted.slice(0, Math.ceil(sorted.length / 100)).reduce((a, b) => a + b, 0);
    expect(top1 / rows.length).toBeGreaterThan(0.1);
    expect(median(stats.counts)).toBeLessThan(50);
    expect(sorted[0]).toBeGreaterThan(3000);
    expect(stats.counts.filter((c) => c <= 5).length / stats.counts.length).toBeGreaterThan(0.02);
  });

  it('spreads user mean ratings with sd about 0.4', () => {
    const stats = userStats();
    const all = sd(stats.means);
    const regulars = sd(stats.means.filter((_, u) => stats.counts[u] >= 20));
    expect(all).toBeGreaterThan(0.3);
    expect(all).toBeLessThan(0.5);
    expect(regulars).toBeGreaterThan(0.3);
    expect(regulars).toBeLessThan(0.5);
  });

  it("keeps each user's ratings inside an active period", () => {
    const stats = userStats();
    // Light users rate within days, heavy users over months to years; nobody spans the whole range.
    expect(median(stats.spansDays.filter((_, u) => stats.counts[u] <= 20))).toBeLessThan(60);
    expect(median(stats.spansDays.filter((_, u) => stats.counts[u] >= 1000))).toBeGreaterThan(60);
    expect(Math.max(...stats.spansDays)).toBeLessThan((TS_MAX - TS_MIN) / 86400);
  });
});

describe('stand-in determinism, scale and marker', () => {
  const summary = readSummary();
  const same = (a: string, b: string) =>
    ['1.csv', 'STANDIN.json'].every((name) => readFileSync(join(a, name)).equals(readFileSync(join(b, name))));

  it('gives byte-identical files for the same seed and scale, and different files for another seed', async () => {
    const [a, b, c] = [tempDir(), tempDir(), tempDir()];
    const ra = await generateStandIn({ outDir: a, seed: 7, scale: 0.01 });
    await generateStandIn({ outDir: b, seed: 7, scale: 0.01 });
    await generateStandIn({ outDir: c, seed: 8, scale: 0.01 });
    expect(ra.files.map((f) => f.name)).toEqual(['1.csv']);
    expect(ra.users).toBe(Math.round(115_077 * 0.01));
    expect(ra.maxUserId).toBe(Math.round(270_896 * 0.01));
    expect(same(a, b)).toBe(true);
    expect(readFileSync(join(a, '1.csv')).equals(readFileSync(join(c, '1.csv')))).toBe(false);
  });

  it('multiplies every title exactly at integer scales and keeps means close at fractional ones', () => {
    const double = standInTargets(summary, 2);
    summary.forEach((s, t) => {
      if (double.n[t] !== 2 * s.n_ratings || double.units[t] !== 4 * s.rating_sum || double.half[t] !== 2 * s.n_half_star_ratings)
        throw new Error(`scale 2 target of ${s.movieId} is not exact`);
    });
    const small = standInTargets(summary, 0.05);
    summary.forEach((s, t) => {
      const n = small.n[t];
      expect(n).toBe(Math.max(1, Math.round(s.n_ratings * 0.05)));
      // Feasible: half stars are odd half units, the rest even, all within 0.5..5.0.
      expect((small.units[t] - small.half[t]) % 2).toBe(0);
      expect(Math.abs(small.units[t] / 2 / n - s.rating_sum / s.n_ratings)).toBeLessThanOrEqual(1 / n + 1e-9);
    });
  });

  it('reports a set as current only for its seed, scale, version and file sizes', async () => {
    const dir = tempDir();
    expect(readStandInMarker(dir)).toBeNull();
    expect(standInIsCurrent(dir, { seed: 3, scale: 0.01 })).toBe(false);
    await generateStandIn({ outDir: dir, seed: 3, scale: 0.01 });
    expect(readStandInMarker(dir)).toMatchObject({ generator: 'stand-in', complete: true, seed: 3, scale: 0.01 });
    expect(standInIsCurrent(dir, { seed: 3, scale: 0.01 })).toBe(true);
    expect(standInIsCurrent(dir, { seed: 4, scale: 0.01 })).toBe(false);
    expect(standInIsCurrent(dir, { seed: 3, scale: 0.02 })).toBe(false);
    writeFileSync(join(dir, '2.csv'), HEADER);
    expect(standInIsCurrent(dir, { seed: 3, scale: 0.01 })).toBe(false);
    rmSync(join(dir, '2.csv'));
    truncateSync(join(dir, '1.csv'), statSync(join(dir, '1.csv')).size - 1);
    expect(standInIsCurrent(dir, { seed: 3, scale: 0.01 })).toBe(false);
  });

  it('never overwrites rating files it did not write', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, '1.csv'), `${HEADER}1,1.0,1425941529,as680\n`);
    await expect(generateStandIn({ outDir: dir, scale: 0.01 })).rejects.toThrow(/did not write \(1\.csv\)/);
    expect(readFileSync(join(dir, '1.csv'), 'latin1')).toBe(`${HEADER}1,1.0,1425941529,as680\n`);
    expect(readStandInMarker(dir)).toBeNull();
  });

  it('rejects bad options with clear errors', async () => {
    await expect(generateStandIn({ outDir: tempDir(), seed: -1 })).rejects.toThrow(/seed/);
    await expect(generateStandIn({ outDir: tempDir(), scale: 0 })).rejects.toThrow(/scale/);
    await expect(generateStandIn({ outDir: tempDir(), scale: 100 })).rejects.toThrow(/scale/);
  });
});
