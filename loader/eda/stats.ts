// The numbers behind the EDA report. Catalog statistics loop over ~23k titles; rating statistics make
// one pass over the columnar rows into typed-array buckets (per user, per day, per rating value), so
// 11M rows cost well under a second and no per-row objects are created.
import { compareCodePoints, PLATFORMS, type DurationType, type Platform, type Title } from '../../contract';
import type { RatingRows } from '../ratings/rows';
import type { BoxStats } from './charts';

export type PerPlatform<T> = Record<Platform, T>;

export interface Ranked {
  label: string;
  total: number;
  byPlatform: PerPlatform<number>;
}

export interface DurationStats {
  byPlatform: PerPlatform<BoxStats | null>;
  all: BoxStats | null;
  /** Histogram bins (label, per-platform counts); the last bin is open-ended. */
  bins: { label: string; byPlatform: PerPlatform<number> }[];
  longest: Title[];
  shortest: Title[];
}

export interface CatalogStats {
  total: number;
  byPlatform: PerPlatform<number>;
  years: { xs: number[]; byPlatform: PerPlatform<number[]> };
  types: { label: string; byPlatform: PerPlatform<number> }[];
  durations: Record<DurationType, DurationStats>;
  ratingLabels: Ranked[];
  countries: Ranked[];
  genres: Ranked[];
  cast: Ranked[];
  /** Share of titles with a null value, per column and platform. */
  missing: { column: string; byPlatform: PerPlatform<{ nulls: number; total: number }> }[];
}

export interface Summary {
  n: number;
  min: number;
  max: number;
  mean: number;
  sd: number;
}

export interface RatingStats {
  rows: number;
  users: number;
  /** Rows per rating value 0.5, 1.0, ..., 5.0. */
  values: number[];
  perUser: {
    counts: Summary & { median: number; p90: number; p99: number };
    topDecileShare: number;
    bins: { label: string; users: number }[];
  };
  perYear: { years: number[]; whole: number[]; half: number[] };
  firstHalfStarDay: string | null;
  lastDay: string | null;
  firstDay: string | null;
  userMeans: { minRatings: number; summary: Summary; bins: { label: string; users: number }[] };
  titleScores: { summary: Summary; bins: { label: string; titles: number }[]; width: number } | null;
  titleCounts: Summary | null;
}

const zeros = (): PerPlatform<number> => ({ amazon: 0, disney: 0, hulu: 0, netflix: 0 });

export function summarize(values: ArrayLike<number>): Summary {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const n = values.length;
  const mean = n ? sum / n : NaN;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (values[i] - mean) ** 2;
  return { n, min, max, mean, sd: n > 1 ? Math.sqrt(sq / (n - 1)) : 0 };
}

/** Linear-interpolated quantile of an ascending array. */
function quantile(sorted: ArrayLike<number>, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function boxStats(values: number[]): BoxStats | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const q1 = quantile(sorted, 0.25);
  const q3 = quantile(sorted, 0.75);
  const iqr = q3 - q1;
  const lowFence = q1 - 1.5 * iqr;
  const highFence = q3 + 1.5 * iqr;
  return {
    n: sorted.length,
    min: sorted[0],
    q1,
    median: quantile(sorted, 0.5),
    q3,
    max: sorted[sorted.length - 1],
    lowFence,
    highFence,
    outliers: sorted.filter((v) => v < lowFence || v > highFence),
  };
}

/** Comma-separated lists (cast, country, listed_in): trimmed, empties dropped, each name once per title. */
export function splitList(value: string | null): string[] {
  if (value === null) return [];
  return [
    ...new Set(
      value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    ),
  ];
}

function rank(titles: Title[], tokens: (t: Title) => string[], top: number): Ranked[] {
  const counts = new Map<string, PerPlatform<number>>();
  for (const t of titles) {
    for (const token of tokens(t)) {
      let c = counts.get(token);
      if (!c) counts.set(token, (c = zeros()));
      c[t.platform]++;
    }
  }
  return [...counts]
    .map(([label, byPlatform]) => ({ label, byPlatform, total: PLATFORMS.reduce((s, p) => s + byPlatform[p], 0) }))
    .sort((a, b) => b.total - a.total || compareCodePoints(a.label, b.label))
    .slice(0, top);
}

const DURATION_BINS: Record<DurationType, { width: number; last: number }> = {
  min: { width: 10, last: 240 }, // 0-9, 10-19, ..., 240+
  season: { width: 1, last: 15 }, // 1, 2, ..., 15+
};

function durationStats(titles: Title[], unit: DurationType): DurationStats {
  const withUnit = titles.filter((t) => t.duration_type === unit && t.duration_int !== null);
  const { width, last } = DURATION_BINS[unit];
  const first = unit === 'min' ? 0 : 1;
  const bins: DurationStats['bins'] = [];
  for (let lo = first; lo <= last; lo += width) {
    const label = lo === last ? `${lo}+` : width === 1 ? String(lo) : `${lo}–${lo + width - 1}`;
    bins.push({ label, byPlatform: zeros() });
  }
  for (const t of withUnit) {
    const index = Math.min(bins.length - 1, Math.floor((t.duration_int! - first) / width));
    bins[Math.max(0, index)].byPlatform[t.platform]++;
  }
  const byLength = (a: Title, b: Title) => a.duration_int! - b.duration_int! || compareCodePoints(a.id, b.id);
  const sorted = [...withUnit].sort(byLength);
  return {
    byPlatform: Object.fromEntries(
      PLATFORMS.map((p) => [p, boxStats(withUnit.filter((t) => t.platform === p).map((t) => t.duration_int!))]),
    ) as PerPlatform<BoxStats | null>,
    all: boxStats(withUnit.map((t) => t.duration_int!)),
    bins,
    longest: sorted.slice(-8).reverse(),
    shortest: sorted.slice(0, 5),
  };
}

const MISSING_COLUMNS = ['director', 'cast', 'country', 'date_added', 'duration_int', 'listed_in', 'description'] as const;

export function catalogStats(titles: Title[]): CatalogStats {
  const byPlatform = zeros();
  let minYear = Infinity;
  let maxYear = -Infinity;
  for (const t of titles) {
    byPlatform[t.platform]++;
    minYear = Math.min(minYear, t.release_year);
    maxYear = Math.max(maxYear, t.release_year);
  }
  const xs: number[] = [];
  for (let y = minYear; y <= maxYear; y++) xs.push(y);
  const years = Object.fromEntries(PLATFORMS.map((p) => [p, xs.map(() => 0)])) as PerPlatform<number[]>;
  for (const t of titles) years[t.platform][t.release_year - minYear]++;

  return {
    total: titles.length,
    byPlatform,
    years: { xs, byPlatform: years },
    types: rank(titles, (t) => [t.type], 10),
    durations: { min: durationStats(titles, 'min'), season: durationStats(titles, 'season') },
    ratingLabels: rank(titles, (t) => [t.rating], 20),
    countries: rank(titles, (t) => splitList(t.country), 15),
    genres: rank(titles, (t) => splitList(t.listed_in), 20),
    cast: rank(titles, (t) => splitList(t.cast), 20),
    missing: MISSING_COLUMNS.map((column) => ({
      column: column === 'duration_int' ? 'duration' : column,
      byPlatform: Object.fromEntries(
        PLATFORMS.map((p) => [p, { nulls: titles.filter((t) => t.platform === p && t[column] === null).length, total: byPlatform[p] }]),
      ) as PerPlatform<{ nulls: number; total: number }>,
    })),
  };
}

const DAY = 86_400;
const MAX_DAY = Math.ceil(0xffffffff / DAY); // timestamps are Uint32 seconds
const USER_MEAN_MIN_RATINGS = 5;

function isoDay(day: number): string {
  return new Date(day * DAY * 1000).toISOString().slice(0, 10);
}

export function ratingStats(rows: RatingRows, titles: Title[]): RatingStats {
  const { length, user, half, ts } = rows;
  let maxUser = 0;
  for (let i = 0; i < length; i++) if (user[i] > maxUser) maxUser = user[i];
  const userCount = new Uint32Array(maxUser + 1);
  const userHalfSum = new Float64Array(maxUser + 1);
  const values = new Array<number>(10).fill(0);
  const dayWhole = new Uint32Array(MAX_DAY + 1);
  const dayHalf = new Uint32Array(MAX_DAY + 1);
  for (let i = 0; i < length; i++) {
    const u = user[i];
    const h = half[i];
    userCount[u]++;
    userHalfSum[u] += h;
    values[h - 1]++;
    const d = (ts[i] / DAY) | 0;
    if (h & 1) dayHalf[d]++;
    else dayWhole[d]++;
  }

  const counts: number[] = [];
  const means: number[] = [];
  for (let u = 0; u <= maxUser; u++) {
    const n = userCount[u];
    if (n === 0) continue;
    counts.push(n);
    if (n >= USER_MEAN_MIN_RATINGS) means.push(userHalfSum[u] / n / 2);
  }
  counts.sort((a, b) => a - b);

  return {
    rows: length,
    users: counts.length,
    values,
    perUser: perUserStats(counts),
    ...timeStats(dayWhole, dayHalf),
    userMeans: {
      minRatings: USER_MEAN_MIN_RATINGS,
      summary: summarize(means),
      bins: fixedBins(means, 0.5, 5, 0.1).map((b) => ({ label: b.label, users: b.count })),
    },
    ...titleStats(titles),
  };
}

function perUserStats(sortedCounts: number[]): RatingStats['perUser'] {
  const total = sortedCounts.reduce((s, n) => s + n, 0);
  const topDecile = sortedCounts.slice(Math.floor(sortedCounts.length * 0.9)).reduce((s, n) => s + n, 0);
  // Powers of two: a long tail needs log-width bins to show anything but the first bar.
  const bins: { label: string; users: number }[] = [];
  const max = sortedCounts[sortedCounts.length - 1] ?? 0;
  for (let lo = 1; lo <= Math.max(1, max); lo *= 2) {
    bins.push({ label: lo === 1 ? '1' : `${lo}–${lo * 2 - 1}`, users: 0 });
  }
  for (const n of sortedCounts) bins[Math.floor(Math.log2(n))].users++;
  return {
    counts: {
      ...summarize(sortedCounts),
      median: sortedCounts.length ? quantile(sortedCounts, 0.5) : NaN,
      p90: sortedCounts.length ? quantile(sortedCounts, 0.9) : NaN,
      p99: sortedCounts.length ? quantile(sortedCounts, 0.99) : NaN,
    },
    topDecileShare: total ? topDecile / total : 0,
    bins,
  };
}

function timeStats(dayWhole: Uint32Array, dayHalf: Uint32Array) {
  let firstDay = -1;
  let lastDay = -1;
  let firstHalf = -1;
  const perYear = new Map<number, { whole: number; half: number }>();
  for (let d = 0; d < dayWhole.length; d++) {
    const w = dayWhole[d];
    const h = dayHalf[d];
    if (w + h === 0) continue;
    if (firstDay < 0) firstDay = d;
    lastDay = d;
    if (h > 0 && firstHalf < 0) firstHalf = d;
    const year = new Date(d * DAY * 1000).getUTCFullYear();
    const entry = perYear.get(year) ?? { whole: 0, half: 0 };
    entry.whole += w;
    entry.half += h;
    perYear.set(year, entry);
  }
  const years: number[] = [];
  if (firstDay >= 0) {
    for (let y = new Date(firstDay * DAY * 1000).getUTCFullYear(); y <= new Date(lastDay * DAY * 1000).getUTCFullYear(); y++) years.push(y);
  }
  return {
    perYear: { years, whole: years.map((y) => perYear.get(y)?.whole ?? 0), half: years.map((y) => perYear.get(y)?.half ?? 0) },
    firstDay: firstDay >= 0 ? isoDay(firstDay) : null,
    lastDay: lastDay >= 0 ? isoDay(lastDay) : null,
    firstHalfStarDay: firstHalf >= 0 ? isoDay(firstHalf) : null,
  };
}

/** Equal-width bins over [lo, hi]; values outside are clamped into the end bins. */
function fixedBins(values: number[], lo: number, hi: number, width: number): { label: string; count: number }[] {
  const n = Math.max(1, Math.round((hi - lo) / width));
  const digits = width < 0.1 ? 2 : 1;
  const bins = Array.from({ length: n }, (_, i) => ({ label: (lo + i * width).toFixed(digits), count: 0 }));
  for (const v of values) bins[Math.min(n - 1, Math.max(0, Math.floor((v - lo) / width + 1e-9)))].count++;
  return bins;
}

function titleStats(titles: Title[]): Pick<RatingStats, 'titleScores' | 'titleCounts'> {
  const scored = titles.filter((t) => t.score !== null);
  if (scored.length === 0) return { titleScores: null, titleCounts: null };
  const scores = scored.map((t) => t.score!);
  const summary = summarize(scores);
  // Zoom to the data: the whole 0.5..5 scale would put every title in one or two bars.
  const width = [0.01, 0.02, 0.05, 0.1, 0.25, 0.5].find((w) => (summary.max - summary.min) / w <= 60) ?? 0.5;
  const lo = Math.floor(summary.min / width) * width;
  const hi = Math.max(lo + width, Math.ceil((summary.max + 1e-12) / width) * width);
  return {
    titleScores: { summary, width, bins: fixedBins(scores, lo, hi, width).map((b) => ({ label: b.label, titles: b.count })) },
    titleCounts: summarize(scored.map((t) => t.n_ratings)),
  };
}
