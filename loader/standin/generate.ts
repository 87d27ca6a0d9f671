// Stand-in ratings: eight CSV files in exactly the real format, made from the per-title summary when the
// real rating files are absent (docs/reference.md#stand-in-ratings). The real movieIds were assigned to rows at random, so the only
// real signal is per user; this keeps that shape: users with heavy-tailed activity, a personal bias and
// an active period make (user, timestamp, rating) rows, and titles are dealt to rows at random within
// each rating value, which keeps every title's n, rating sum and half-star count exactly the summary's.
//
// Everything is single-threaded and drawn from seeded streams in a fixed order, so a seed and scale give
// byte-identical files; the file writes run on libuv's pool while the next chunk is formatted.
import { defineCommand, isMainModule, parseCommand, usageError } from '../cli';
import { config } from '../config';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readSummary, SUMMARY_PATH, type TitleSummary } from '../ratings/summary';
import { Rng, shuffle } from '../random';

/** Bump whenever the output for a given seed and scale changes. */
export const STANDIN_VERSION = 1;
export const STANDIN_MARKER = 'STANDIN.json';
export const DEFAULT_STANDIN_SEED = config.standInSeed;
export const DEFAULT_STANDIN_DIR = config.ratingsDir;
// 20x is ~220M rows, ~4.4 GB of CSV; the generator holds ~14 bytes a row. The bench measures up to 10x.
export const MAX_STANDIN_SCALE = 20;
// Below this, titles hold one or two ratings each and exact duplicates (same title, same rating) cannot
// be placed without changing a title's totals.
export const MIN_STANDIN_SCALE = 0.005;

const ROWS_PER_FILE = 1_500_000;
const HEADER = 'userId,rating,timestamp,movieId\n';
/** Facts of the real files at scale 1 (docs/reference.md#rating-files). */
const REAL_USERS = 115_077;
const REAL_MAX_USER_ID = 270_896;
const REAL_EXACT_DUPLICATES = 10_466;

const TS_MIN = Date.UTC(1995, 0, 1) / 1000;
const TS_MAX = Date.UTC(2017, 7, 31, 23, 59, 59) / 1000;
/** MovieLens accepted half stars from this day on. */
export const HALF_STARS_FROM = Date.UTC(2003, 1, 18) / 1000;

/** Activity spread (lognormal sigma). With ~96 rows per user over 22,998 titles, sigma 1.25 gives
 * E[k^2]/E[k] ~ 460, i.e. ~1% of rows landing on a title the user already rated, as in the real files. */
const ACTIVITY_SIGMA = 1.25;
/** Largest MovieLens user (The Movies Dataset) rated ~18k movies. */
const MAX_ROWS_PER_USER = 18_000;
/** Per-user latent bias sd against a within-user noise sd of 1; tuned so user mean ratings spread ~0.4. */
const USER_BIAS_SD = 0.4;
/** Relative share of users whose first rating falls in each year 1995..2017 (MovieLens-like waves). */
const START_YEAR_WEIGHTS = [0.2, 6, 3, 1.5, 4, 7, 4, 3, 3.5, 4, 6, 4.5, 4, 4.5, 3.5, 3, 3, 3, 2.5, 2.5, 5, 6, 4];
/** Rating shape before the per-title sum is met exactly, in half units 1..10 (0.5..5.0), MovieLens-like. */
const RATING_SHAPE = [0, 1.6, 3.2, 1.6, 7.1, 5.0, 20.0, 12.2, 26.4, 8.6, 14.4];

export interface StandInFile {
  name: string;
  rows: number;
  bytes: number;
  sha256: string;
}
export interface StandInResult {
  outDir: string;
  seed: number;
  scale: number;
  files: StandInFile[];
  rows: number;
  users: number;
  maxUserId: number;
  /** Rows identical to an earlier row (rows minus distinct rows). */
  exactDuplicateRows: number;
  /** Rows whose (userId, movieId) appeared earlier (rows minus distinct pairs). */
  repeatedPairRows: number;
  seconds: number;
}
export interface StandInMarker {
  generator: 'stand-in';
  version: number;
  /** False while the files are being written. */
  complete: boolean;
  seed: number;
  scale: number;
  summary_sha256: string;
  rows: number;
  users: number;
  files: StandInFile[];
}
export interface StandInOptions {
  outDir: string;
  seed?: number;
  scale?: number;
  summaryPath?: string;
  onProgress?: (rowsWritten: number, totalRows: number) => void;
}

const STREAM = { pool: 1, users: 2, rows: 3, titles: 4, duplicates: 5 } as const;

// ---------------------------------------------------------------- per-title targets and rating pools

export interface TitleTargets {
  n: Int32Array;
  half: Int32Array;
  /** Sum of ratings in half units (rating * 2). */
  units: Int32Array;
}

/** Scale 1 is the summary verbatim; integer scales multiply exactly; other scales round to the nearest
 * feasible (n, half, sum) with the same mean. */
export function standInTargets(summary: TitleSummary[], scale: number): TitleTargets {
  const T = summary.length;
  const out: TitleTargets = { n: new Int32Array(T), half: new Int32Array(T), units: new Int32Array(T) };
  summary.forEach((s, t) => {
    const units0 = s.rating_sum * 2;
    const valid =
      Number.isInteger(s.n_ratings) &&
      s.n_ratings > 0 &&
      Number.isInteger(units0) &&
      Number.isInteger(s.n_half_star_ratings) &&
      s.n_half_star_ratings >= 0 &&
      s.n_half_star_ratings <= s.n_ratings;
    if (!valid) throw new Error(`stand-in: summary row ${t + 2} (${s.movieId}) has an impossible n/sum/half: ${JSON.stringify(s)}`);
    const n = Math.max(1, Math.round(s.n_ratings * scale));
    const half = Math.min(n, Math.round((s.n_half_star_ratings * n) / s.n_ratings));
    const lo = 2 * n - half; // halves all 0.5, the rest 1.0
    const hi = 10 * n - half; // halves all 4.5, the rest 5.0
    if (scale === 1 && (units0 < lo || units0 > hi || (units0 - half) % 2 !== 0))
      throw new Error(
        `stand-in: summary row ${t + 2} (${s.movieId}): rating_sum ${s.rating_sum} cannot be made of ${n} ratings with ${half} half stars`,
      );
    let units = Math.round((units0 * n) / s.n_ratings);
    if ((units - half) % 2 !== 0) units += units * s.n_ratings < units0 * n ? 1 : -1;
    out.n[t] = n;
    out.half[t] = half;
    out.units[t] = Math.min(hi, Math.max(lo, units));
  });
  return out;
}

/** counts[t * 11 + x]: how many ratings of x half units title t gets. Draws a MovieLens-like shape, then
 * moves single ratings by one star (keeping half/whole) until the sum is exact. */
function ratingPools(targets: TitleTargets, rng: Rng): Int32Array {
  const T = targets.n.length;
  const counts = new Int32Array(T * 11);
  const cdf = (xs: number[]): number[] => {
    const total = xs.reduce((a, x) => a + RATING_SHAPE[x], 0);
    let acc = 0;
    return xs.map((x) => (acc += RATING_SHAPE[x] / total));
  };
  const halves = [1, 3, 5, 7, 9];
  const wholes = [2, 4, 6, 8, 10];
  const halfCdf = cdf(halves);
  const wholeCdf = cdf(wholes);
  const draw = (values: number[], c: number[]): number => {
    const u = rng.float();
    let i = 0;
    while (i < values.length - 1 && u >= c[i]) i++;
    return values[i];
  };
  for (let t = 0; t < T; t++) {
    const base = t * 11;
    const n = targets.n[t];
    const half = targets.half[t];
    let units = 0;
    for (let i = 0; i < n; i++) {
      const x = i < half ? draw(halves, halfCdf) : draw(wholes, wholeCdf);
      counts[base + x]++;
      units += x;
    }
    // Pick a random rating (weighted by count) and nudge it one star towards the target.
    while (units !== targets.units[t]) {
      const up = units < targets.units[t];
      let k = rng.int(n);
      let x = 1;
      while (k >= counts[base + x]) k -= counts[base + x++];
      if (up ? x >= 9 : x <= 2) continue;
      counts[base + x]--;
      counts[base + x + (up ? 2 : -2)]++;
      units += up ? 2 : -2;
    }
  }
  return counts;
}

// ---------------------------------------------------------------- users

interface Users {
  ids: Int32Array; // ascending
  /** Rows of user u are rowStart[u] .. rowStart[u + 1] - 1. */
  rowStart: Int32Array;
  bias: Float64Array;
}

function drawUsers(count: number, maxId: number, rows: number, rng: Rng): Users {
  // Sorted sample of ids (selection sampling); the real files have userId 1 and the largest id, so do we.
  const ids = new Int32Array(count);
  ids[0] = 1;
  ids[count - 1] = maxId;
  let need = count - 2;
  let k = 1;
  for (let id = 2; id < maxId && need > 0; id++) {
    if (rng.float() * (maxId - id) < need) {
      ids[k++] = id;
      need--;
    }
  }

  const cap = Math.min(MAX_ROWS_PER_USER, rows);
  const weights = new Float64Array(count);
  let weightSum = 0;
  for (let u = 0; u < count; u++) weightSum += weights[u] = Math.exp(ACTIVITY_SIGMA * rng.normal());
  const perUser = new Int32Array(count);
  let total = 0;
  for (let u = 0; u < count; u++) total += perUser[u] = Math.min(cap, Math.max(1, Math.round((weights[u] * rows) / weightSum)));
  // Rounding leaves the total a little off: walk users in a random order adding or taking one row.
  const order = Int32Array.from({ length: count }, (_, i) => i);
  shuffle(order, () => rng.float());
  for (let i = 0; total !== rows; i = (i + 1) % count) {
    const u = order[i];
    const step = total < rows ? (perUser[u] < cap ? 1 : 0) : perUser[u] > 1 ? -1 : 0;
    perUser[u] += step;
    total += step;
  }
  const rowStart = new Int32Array(count + 1);
  for (let u = 0; u < count; u++) rowStart[u + 1] = rowStart[u] + perUser[u];

  const bias = new Float64Array(count);
  for (let u = 0; u < count; u++) bias[u] = USER_BIAS_SD * rng.normal();
  return { ids, rowStart, bias };
}

// ---------------------------------------------------------------- rows: timestamps and latent scores

const LATENT_BUCKETS = 65536;
const LATENT_RANGE = 6; // latent scores are clamped to +-6 sd before bucketing

/** Each user rates in sessions spread over an active period; every row gets a timestamp and a bucketed
 * latent score (bias + noise) that later ranks it against all rows for its rating. */
function drawRows(users: Users, rng: Rng): { ts: Uint32Array; latent: Uint16Array } {
  const rows = users.rowStart[users.ids.length];
  const ts = new Uint32Array(rows);
  const latent = new Uint16Array(rows);
  const yearStarts = START_YEAR_WEIGHTS.map((_, i) => Date.UTC(1995 + i, 0, 1) / 1000);
  yearStarts.push(TS_MAX + 1);
  const yearWeightTotal = START_YEAR_WEIGHTS.reduce((a, b) => a + b, 0);
  const sessionStarts = new Float64Array(MAX_ROWS_PER_USER);
  const bucketScale = LATENT_BUCKETS / (2 * LATENT_RANGE);

  for (let u = 0; u < users.ids.length; u++) {
    const first = users.rowStart[u];
    const k = users.rowStart[u + 1] - first;
    let pick = rng.float() * yearWeightTotal;
    let year = 0;
    while (year < START_YEAR_WEIGHTS.length - 1 && pick >= START_YEAR_WEIGHTS[year]) pick -= START_YEAR_WEIGHTS[year++];
    let start = yearStarts[year] + rng.float() * (yearStarts[year + 1] - yearStarts[year]);
    // Light users mostly rate within days, heavy users over months or years.
    let span = k === 1 ? 0 : 86400 * Math.exp(Math.log(2 + k / 5) + 0.5 + 1.6 * rng.normal());
    const sessions = Math.max(1, Math.min(k, Math.ceil(k / 20), 1 + Math.floor(span / 86400)));
    const sessionLength = Math.min(4 * 3600, 60 + Math.round((40 * k) / sessions));
    if (start + span + sessionLength > TS_MAX) {
      start = Math.max(TS_MIN, TS_MAX - sessionLength - span);
      span = TS_MAX - sessionLength - start;
    }
    for (let s = 0; s < sessions; s++) sessionStarts[s] = Math.floor(start + rng.float() * span);
    const bias = users.bias[u];
    for (let r = first; r < first + k; r++) {
      ts[r] = sessionStarts[rng.int(sessions)] + rng.int(sessionLength);
      const z = (bias + rng.normal() + LATENT_RANGE) * bucketScale;
      latent[r] = z <= 0 ? 0 : z >= LATENT_BUCKETS - 1 ? LATENT_BUCKETS - 1 : Math.floor(z);
    }
  }
  return { ts, latent };
}

// ---------------------------------------------------------------- ratings and titles

/** Ratings by rank: within each timestamp class (before the half-star date: whole stars only; after:
 * everything left), the row with the lowest latent score gets the lowest rating of the pool. */
function assignRatings(ts: Uint32Array, latent: Uint16Array, pools: Int32Array): Uint8Array {
  const rows = ts.length;
  const total = new Float64Array(11);
  for (let i = 0; i < pools.length; i++) total[i % 11] += pools[i];
  let early = 0;
  for (let r = 0; r < rows; r++) if (ts[r] < HALF_STARS_FROM) early++;
  let wholes = 0;
  for (let x = 2; x <= 10; x += 2) wholes += total[x];
  if (early > wholes) throw new Error(`stand-in: ${early} rows before the half-star date but only ${wholes} whole-star ratings`);

  // Early class takes a proportional share of each whole-star rating (largest remainder).
  const earlyCount = new Float64Array(11);
  const remainders: { x: number; frac: number }[] = [];
  let given = 0;
  for (let x = 2; x <= 10; x += 2) {
    const exact = (early * total[x]) / wholes;
    earlyCount[x] = Math.floor(exact);
    given += earlyCount[x];
    remainders.push({ x, frac: exact - earlyCount[x] });
  }
  remainders.sort((p, q) => q.frac - p.frac || p.x - q.x);
  for (let i = 0; given < early; i++, given++) earlyCount[remainders[i].x]++;

  // ceiling[c][x]: ranks below it in class c get rating <= x.
  const ceilings = [new Float64Array(11), new Float64Array(11)];
  for (let x = 1, accE = 0, accL = 0; x <= 10; x++) {
    ceilings[0][x] = accE += earlyCount[x];
    ceilings[1][x] = accL += total[x] - earlyCount[x];
  }
  const cursor = new Float64Array(2 * LATENT_BUCKETS);
  for (let r = 0; r < rows; r++) cursor[(ts[r] < HALF_STARS_FROM ? 0 : LATENT_BUCKETS) + latent[r]]++;
  for (let c = 0; c < 2; c++) {
    let acc = 0;
    for (let b = c * LATENT_BUCKETS; b < (c + 1) * LATENT_BUCKETS; b++) {
      const n = cursor[b];
      cursor[b] = acc;
      acc += n;
    }
  }
  const rating = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    const c = ts[r] < HALF_STARS_FROM ? 0 : 1;
    const rank = cursor[c * LATENT_BUCKETS + latent[r]]++;
    const ceiling = ceilings[c];
    let x = 1;
    while (rank >= ceiling[x]) x++;
    rating[r] = x;
  }
  return rating;
}

/** Deals every title's ratings to the rows with that rating, uniformly at random (like the real files'
 * random movieIds). */
function assignTitles(rating: Uint8Array, pools: Int32Array, rng: Rng): Uint16Array {
  const T = pools.length / 11;
  const start = new Int32Array(12);
  for (let i = 0; i < pools.length; i++) start[(i % 11) + 1] += pools[i];
  for (let x = 1; x <= 11; x++) start[x] += start[x - 1];
  const end = start.slice(1);
  const deck = new Uint16Array(rating.length);
  const fill = start.slice();
  for (let t = 0; t < T; t++) for (let x = 1; x <= 10; x++) for (let i = pools[t * 11 + x]; i > 0; i--) deck[fill[x]++] = t;
  const title = new Uint16Array(rating.length);
  const next = start.slice();
  for (let r = 0; r < rating.length; r++) {
    const x = rating[r];
    const i = next[x] + rng.int(end[x] - next[x]);
    title[r] = deck[i];
    deck[i] = deck[next[x]++];
  }
  return title;
}

/** Turns rows into exact copies of another row of the same user. Only titles move, between rows with the
 * same rating, so per-title totals and every user's ratings stay as they were; the copy also takes the
 * original's timestamp, which is legal for that rating. */
function injectDuplicates(
  wanted: number,
  users: Users,
  ts: Uint32Array,
  rating: Uint8Array,
  title: Uint16Array,
  titleCount: number,
  rng: Rng,
): void {
  const rows = ts.length;
  // Rows grouped by (rating, title), to find another holder of a title with a given rating.
  const groupStart = new Int32Array(11 * titleCount + 1);
  for (let r = 0; r < rows; r++) groupStart[rating[r] * titleCount + title[r] + 1]++;
  for (let g = 1; g < groupStart.length; g++) groupStart[g] += groupStart[g - 1];
  const byGroup = new Int32Array(rows);
  const fill = groupStart.slice();
  for (let r = 0; r < rows; r++) byGroup[fill[rating[r] * titleCount + title[r]]++] = r;

  const used = new Uint8Array(rows);
  const userOf = (r: number): number => {
    let lo = 0;
    let hi = users.ids.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (users.rowStart[mid] <= r) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  let made = 0;
  for (let attempts = 0; made < wanted; attempts++) {
    if (attempts > 100 * wanted + 1000) throw new Error(`stand-in: could only place ${made} of ${wanted} duplicate rows`);
    const original = rng.int(rows);
    if (used[original]) continue;
    const u = userOf(original);
    const first = users.rowStart[u];
    const k = users.rowStart[u + 1] - first;
    const x = rating[original];
    let copy = -1;
    for (let i = 0, j = rng.int(k); i < k; i++, j = j + 1 === k ? 0 : j + 1) {
      const r = first + j;
      if (r !== original && !used[r] && rating[r] === x) {
        copy = r;
        break;
      }
    }
    if (copy < 0) continue;
    const t = title[original];
    if (title[copy] !== t) {
      const g = x * titleCount + t;
      const size = groupStart[g + 1] - groupStart[g];
      let donor = -1;
      for (let i = 0, j = rng.int(size); i < size; i++, j = j + 1 === size ? 0 : j + 1) {
        const r = byGroup[groupStart[g] + j];
        if (r !== original && !used[r] && title[r] === t) {
          donor = r;
          break;
        }
      }
      if (donor < 0) continue;
      title[donor] = title[copy];
      title[copy] = t;
      used[donor] = 1;
    }
    ts[copy] = ts[original];
    used[original] = used[copy] = 1;
    made++;
  }
}

/** Rows repeating an earlier (user, title) pair, and rows identical to an earlier row. */
function countRepeats(users: Users, ts: Uint32Array, rating: Uint8Array, title: Uint16Array, titleCount: number) {
  const lastUser = new Int32Array(titleCount).fill(-1);
  const lastRow = new Int32Array(titleCount);
  const previousSameTitle = new Int32Array(ts.length);
  let repeatedPairRows = 0;
  let exactDuplicateRows = 0;
  for (let u = 0; u < users.ids.length; u++) {
    for (let r = users.rowStart[u]; r < users.rowStart[u + 1]; r++) {
      const t = title[r];
      if (lastUser[t] !== u) {
        lastUser[t] = u;
        previousSameTitle[r] = -1;
      } else {
        repeatedPairRows++;
        for (let p = lastRow[t]; p >= 0; p = previousSameTitle[p]) {
          if (rating[p] === rating[r] && ts[p] === ts[r]) {
            exactDuplicateRows++;
            break;
          }
        }
        previousSameTitle[r] = lastRow[t];
      }
      lastRow[t] = r;
    }
  }
  return { repeatedPairRows, exactDuplicateRows };
}

// ---------------------------------------------------------------- CSV writing

async function writeAll(handle: FileHandle, chunk: Buffer): Promise<void> {
  for (let offset = 0; offset < chunk.length; ) offset += (await handle.write(chunk, offset, chunk.length - offset)).bytesWritten;
}

const CHUNK_BYTES = 1 << 23;
const MAX_LINE_BYTES = 64;

/** Formats rows by hand into two alternating Buffers; one is written while the other fills. */
async function writeCsvFiles(
  outDir: string,
  users: Users,
  ts: Uint32Array,
  rating: Uint8Array,
  title: Uint16Array,
  movieIds: string[],
  onProgress?: (rowsWritten: number, totalRows: number) => void,
): Promise<StandInFile[]> {
  const rows = ts.length;
  const idBytes = movieIds.map((id) => Buffer.from(id, 'latin1'));
  const buffers = [Buffer.allocUnsafe(CHUNK_BYTES), Buffer.allocUnsafe(CHUNK_BYTES)];
  const files: StandInFile[] = [];
  const fileCount = Math.ceil(rows / ROWS_PER_FILE);
  let which = 0;
  let pending: Promise<unknown> = Promise.resolve();
  let buf = buffers[0];
  let pos = 0;
  let handle: FileHandle | null = null;
  let hash = createHash('sha256');
  let fileBytes = 0;
  let written = 0;

  const flush = async (): Promise<void> => {
    const chunk = buf.subarray(0, pos);
    hash.update(chunk);
    fileBytes += pos;
    await pending;
    pending = writeAll(handle!, chunk);
    which ^= 1;
    buf = buffers[which];
    pos = 0;
    onProgress?.(written, rows);
  };

  let u = 0;
  let userEnd = 0;
  const userDigits = Buffer.alloc(12);
  let userLength = 0;
  for (let f = 0; f < fileCount; f++) {
    const name = `${f + 1}.csv`;
    const firstRow = f * ROWS_PER_FILE;
    const lastRow = Math.min(rows, firstRow + ROWS_PER_FILE);
    handle = await open(join(outDir, name), 'w');
    hash = createHash('sha256');
    fileBytes = 0;
    pos = buf.write(HEADER, 0, 'latin1');
    for (let r = firstRow; r < lastRow; r++) {
      if (r >= userEnd) {
        while (users.rowStart[u + 1] <= r) u++;
        userEnd = users.rowStart[u + 1];
        userLength = userDigits.write(String(users.ids[u]), 0, 'latin1');
      }
      if (pos > CHUNK_BYTES - MAX_LINE_BYTES) {
        written = r;
        await flush();
      }
      for (let i = 0; i < userLength; i++) buf[pos++] = userDigits[i];
      const x = rating[r];
      buf[pos++] = 44; // ,
      buf[pos++] = 48 + (x >> 1);
      buf[pos++] = 46; // .
      buf[pos++] = x & 1 ? 53 : 48;
      buf[pos++] = 44;
      let v = ts[r];
      const digits = v >= 1e9 ? 10 : 9;
      for (let i = digits - 1; i >= 0; i--) {
        buf[pos + i] = 48 + (v % 10);
        v = (v / 10) | 0;
      }
      pos += digits;
      buf[pos++] = 44;
      const id = idBytes[title[r]];
      for (let i = 0; i < id.length; i++) buf[pos++] = id[i];
      buf[pos++] = 10;
    }
    written = lastRow;
    await flush();
    await pending;
    await handle.close();
    files.push({ name, rows: lastRow - firstRow, bytes: fileBytes, sha256: hash.digest('hex') });
  }
  return files;
}

// ---------------------------------------------------------------- public API

function checkOptions(seed: number, scale: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`stand-in: seed must be a non-negative integer, got ${seed}`);
  if (!Number.isFinite(scale) || scale < MIN_STANDIN_SCALE || scale > MAX_STANDIN_SCALE)
    throw new Error(`stand-in: scale must be between ${MIN_STANDIN_SCALE} and ${MAX_STANDIN_SCALE}, got ${scale}`);
}

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

const NUMBERED_CSV = /^\d+\.csv$/;

/** Rating files that a user put in the directory must never be overwritten: every numbered CSV there has
 * to be one the existing marker recorded (same size), or the marker must say a write was cut short. */
function refuseForeignFiles(outDir: string): void {
  const marker = readStandInMarker(outDir);
  if (marker && !marker.complete) return;
  const recorded = new Map(marker?.files.map((f) => [f.name, f.bytes]));
  const foreign = readdirSync(outDir).filter((n) => NUMBERED_CSV.test(n) && recorded.get(n) !== statSync(join(outDir, n)).size);
  if (foreign.length > 0)
    throw new Error(
      `stand-in: ${outDir} holds rating files that this generator did not write (${foreign.join(', ')}); ` +
        'they look like real ratings, so nothing was overwritten. Move them elsewhere to generate a stand-in here.',
    );
}

export async function generateStandIn(opts: StandInOptions): Promise<StandInResult> {
  const t0 = performance.now();
  const seed = opts.seed ?? DEFAULT_STANDIN_SEED;
  const scale = opts.scale ?? 1;
  const summaryPath = opts.summaryPath ?? SUMMARY_PATH;
  checkOptions(seed, scale);
  const outDir = resolve(opts.outDir);
  mkdirSync(outDir, { recursive: true });
  refuseForeignFiles(outDir);

  const summary = readSummary(summaryPath);
  if (summary.length === 0 || summary.length > 65536)
    throw new Error(`stand-in: ${summaryPath} has ${summary.length} titles (expected 1..65536)`);
  const targets = standInTargets(summary, scale);
  const rows = targets.n.reduce((a, b) => a + b, 0);
  const userCount = Math.round(REAL_USERS * scale);
  const maxUserId = Math.round(REAL_MAX_USER_ID * scale);
  if (userCount < 2 || userCount > rows) throw new Error(`stand-in: scale ${scale} gives ${userCount} users for ${rows} rows`);

  const pools = ratingPools(targets, new Rng(seed, STREAM.pool));
  const users = drawUsers(userCount, maxUserId, rows, new Rng(seed, STREAM.users));
  const { ts, latent } = drawRows(users, new Rng(seed, STREAM.rows));
  const rating = assignRatings(ts, latent, pools);
  const title = assignTitles(rating, pools, new Rng(seed, STREAM.titles));
  injectDuplicates(Math.round(REAL_EXACT_DUPLICATES * scale), users, ts, rating, title, summary.length, new Rng(seed, STREAM.duplicates));
  const repeats = countRepeats(users, ts, rating, title, summary.length);

  // Marked incomplete while writing: a crash leaves a set that is never taken as current, and that the
  // next run may overwrite.
  const marker: StandInMarker = {
    generator: 'stand-in',
    version: STANDIN_VERSION,
    complete: false,
    seed,
    scale,
    summary_sha256: sha256File(summaryPath),
    rows,
    users: userCount,
    files: [],
  };
  const markerPath = join(outDir, STANDIN_MARKER);
  writeFileSync(markerPath, `${JSON.stringify(marker, null, 2)}\n`);
  for (const name of readdirSync(outDir)) if (NUMBERED_CSV.test(name)) unlinkSync(join(outDir, name));
  marker.files = await writeCsvFiles(
    outDir,
    users,
    ts,
    rating,
    title,
    summary.map((s) => s.movieId),
    opts.onProgress,
  );
  marker.complete = true;
  writeFileSync(markerPath, `${JSON.stringify(marker, null, 2)}\n`);
  const files = marker.files;
  return {
    outDir,
    seed,
    scale,
    files,
    rows,
    users: userCount,
    maxUserId: users.ids[userCount - 1],
    ...repeats,
    seconds: Math.round(performance.now() - t0) / 1000,
  };
}

/** The stand-in marker of a ratings directory, or null when there is none (real files, or nothing). */
export function readStandInMarker(dir: string): StandInMarker | null {
  const path = join(dir, STANDIN_MARKER);
  if (!existsSync(path)) return null;
  let marker: unknown;
  try {
    marker = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
  const m = marker as Partial<StandInMarker> | null;
  if (m?.generator !== 'stand-in' || !Array.isArray(m.files)) return null;
  return m as StandInMarker;
}

/** True when dir holds a complete stand-in set from this generator version for this seed, scale and
 * summary: the numbered CSVs are exactly the marker's files, at the sizes it recorded. */
export function standInIsCurrent(dir: string, want: { seed: number; scale: number; summaryPath?: string }): boolean {
  const marker = readStandInMarker(dir);
  if (!marker?.complete || marker.version !== STANDIN_VERSION || marker.seed !== want.seed || marker.scale !== want.scale) return false;
  const summaryPath = want.summaryPath ?? SUMMARY_PATH;
  if (!existsSync(summaryPath) || marker.summary_sha256 !== sha256File(summaryPath)) return false;
  const present = readdirSync(dir)
    .filter((n) => NUMBERED_CSV.test(n))
    .sort();
  const expected = marker.files.map((f) => f.name).sort();
  if (present.length !== expected.length || present.some((n, i) => n !== expected[i])) return false;
  return marker.files.every((f) => statSync(join(dir, f.name)).size === f.bytes);
}

// ---------------------------------------------------------------- CLI

const STANDIN_COMMAND = defineCommand({
  invocation: 'npx tsx loader/standin/generate.ts',
  summary: "Writes the stand-in rating files (the real files' format and per-title facts, from the committed summary).",
  options: {
    out: { type: 'string', value: 'DIR', default: DEFAULT_STANDIN_DIR, description: 'directory to write 1.csv..8.csv into' },
    seed: { type: 'string', value: 'N', default: String(DEFAULT_STANDIN_SEED), description: 'seed of every draw' },
    scale: { type: 'string', value: 'X', default: '1', description: 'times the real row and user counts (whole number)' },
  },
  examples: ['npx tsx loader/standin/generate.ts --out /tmp/ratings-s4 --scale 4'],
});

if (isMainModule(import.meta.url)) {
  const values = parseCommand(STANDIN_COMMAND);
  const args = { out: resolve(values.out), seed: Number(values.seed), scale: Number(values.scale) };
  try {
    checkOptions(args.seed, args.scale);
  } catch (err) {
    usageError(STANDIN_COMMAND, err instanceof Error ? err.message : String(err));
  }
  try {
    process.stderr.write(`stand-in: seed ${args.seed}, scale ${args.scale} -> ${args.out}\n`);
    let lastPct = -1;
    const result = await generateStandIn({
      outDir: args.out,
      seed: args.seed,
      scale: args.scale,
      onProgress: (done, total) => {
        const pct = Math.floor((done / total) * 10) * 10;
        if (pct !== lastPct) process.stderr.write(`  written ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} rows\n`);
        lastPct = pct;
      },
    });
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
