// Turns raw rating rows into the training set: exact duplicate rows dropped, one rating per
// (user, title) pair (the latest by timestamp; at equal timestamps the later row in file order),
// users mapped to dense indices. Pairs come out grouped by user and sorted by title (CSR layout),
// which the user records of the export need as they are.
import type { RatingRows } from '../ratings/rows';

/** Rows in columns, in file order. `user` is any integer id; `title` a dense index < nTitles; the
 * rating as a number (`rating`) or in half stars (`half`, as ingest keeps it: no float copy). */
export interface RawRatings {
  length: number;
  user: Int32Array;
  title: Uint16Array | Int32Array;
  rating?: Float32Array;
  half?: Uint8Array;
  ts?: Uint32Array; // absent: file order decides which rating of a pair is the latest
}

export interface PrepareStats {
  rows: number;
  exact_duplicates: number; // rows equal in user, title, rating and timestamp to an earlier row
  superseded: number; // older distinct ratings of a pair, replaced by its latest
  pairs: number;
  users: number;
  titles_rated: number;
}

export interface PreparedRatings {
  nUsers: number;
  nTitles: number;
  userIds: Int32Array; // dense user index -> original id, ascending
  userStart: Int32Array; // pairs of user u are userStart[u]..userStart[u+1]-1 (shared memory: the top-list threads read it)
  user: Int32Array;
  title: Int32Array; // shared memory, as userStart
  rating: Float32Array;
  stats: PrepareStats;
}

/** The ingested rows as prepareRatings input: views of the same columns, nothing copied. */
export function ratingRowsToRaw(rows: RatingRows): RawRatings {
  return { length: rows.length, user: rows.user, title: rows.title, half: rows.half, ts: rows.ts };
}

// Memory (n rows): the input, 4 bytes a row for dense user indices, 8 for the two sort orders,
// then the output's 12 bytes a row, trimmed by views rather than copies.
export function prepareRatings(raw: RawRatings, nTitles: number): PreparedRatings {
  const n = raw.length;
  const { half } = raw;
  const given = raw.rating;
  if (!given && !half) throw new Error('prepareRatings: rows carry neither rating nor half');
  // Half stars / 2 is exact in float32, so both forms give the very same ratings.
  for (let i = 0; i < n; i++) {
    const t = raw.title[i];
    if (!(t >= 0 && t < nTitles)) throw new RangeError(`row ${i}: title index ${t} outside 0..${nTitles - 1}`);
  }
  const { userIds, dense } = denseUsers(raw.user, n);
  const nUsers = userIds.length;

  // Two stable counting sorts (title, then user) order rows by user, title, file order in O(n).
  const order = countingSort(dense, nUsers, countingSortRows(raw.title, nTitles, n));

  // Sized for one pair a row; the tail the duplicates leave unused is not copied off (a few
  // percent, against a second copy of every column for a moment).
  const user = new Int32Array(n);
  const title = new Int32Array(new SharedArrayBuffer(n * 4));
  const ratings = new Float32Array(n);
  const userStart = new Int32Array(new SharedArrayBuffer((nUsers + 1) * 4));
  let pairs = 0;
  let exactDuplicates = 0;
  let superseded = 0;
  const titleSeen = new Uint8Array(nTitles);
  for (let start = 0; start < n; ) {
    const u = dense[order[start]];
    const t = raw.title[order[start]];
    let end = start + 1;
    while (end < n && dense[order[end]] === u && raw.title[order[end]] === t) end++;
    let latest = order[start];
    let distinct = 1;
    for (let j = start + 1; j < end; j++) {
      const row = order[j];
      if (isRepeat(raw, order, start, j)) exactDuplicates++;
      else distinct++;
      if (!raw.ts || raw.ts[row] >= raw.ts[latest]) latest = row;
    }
    superseded += distinct - 1;
    user[pairs] = u;
    title[pairs] = t;
    ratings[pairs] = given ? given[latest] : half![latest] / 2;
    titleSeen[t] = 1;
    userStart[u + 1] = pairs + 1;
    pairs++;
    start = end;
  }
  let titlesRated = 0;
  for (let t = 0; t < nTitles; t++) titlesRated += titleSeen[t];
  return {
    nUsers,
    nTitles,
    userIds,
    userStart,
    user: user.subarray(0, pairs),
    title: title.subarray(0, pairs),
    rating: ratings.subarray(0, pairs),
    stats: { rows: n, exact_duplicates: exactDuplicates, superseded, pairs, users: nUsers, titles_rated: titlesRated },
  };
}

/** True when row order[j] equals (rating and timestamp) an earlier row of the same pair run. */
function isRepeat(raw: RawRatings, order: Int32Array, start: number, j: number): boolean {
  const row = order[j];
  const rating = raw.rating ?? raw.half!; // equal halves are equal ratings
  for (let k = start; k < j; k++) {
    const other = order[k];
    if (rating[other] === rating[row] && (!raw.ts || raw.ts[other] === raw.ts[row])) return true;
  }
  return false;
}

function denseUsers(ids: Int32Array, n: number): { userIds: Int32Array; dense: Int32Array } {
  const sorted = ids.slice(0, n).sort();
  let unique = 0;
  for (let i = 0; i < n; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[unique++] = sorted[i];
  const userIds = sorted.slice(0, unique);
  const dense = new Int32Array(n);
  const min = unique ? userIds[0] : 0;
  const span = unique ? userIds[unique - 1] - min + 1 : 0;
  if (span <= 64 * 1024 * 1024) {
    const lookup = new Int32Array(span);
    for (let d = 0; d < unique; d++) lookup[userIds[d] - min] = d;
    for (let i = 0; i < n; i++) dense[i] = lookup[ids[i] - min];
  } else {
    const lookup = new Map<number, number>();
    for (let d = 0; d < unique; d++) lookup.set(userIds[d], d);
    for (let i = 0; i < n; i++) dense[i] = lookup.get(ids[i])!;
  }
  return { userIds, dense };
}

/** Rows 0..n-1 in stable order of key[row] in 0..nKeys-1. */
function countingSortRows(key: ArrayLike<number>, nKeys: number, n: number): Int32Array {
  const count = new Int32Array(nKeys + 1);
  for (let i = 0; i < n; i++) count[key[i] + 1]++;
  for (let k = 0; k < nKeys; k++) count[k + 1] += count[k];
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[count[key[i]]++] = i;
  return out;
}

/** Stable counting sort of `order` by key[order[i]] in 0..nKeys-1. */
function countingSort(key: ArrayLike<number>, nKeys: number, order: Int32Array): Int32Array {
  const count = new Int32Array(nKeys + 1);
  for (let i = 0; i < order.length; i++) count[key[order[i]] + 1]++;
  for (let k = 0; k < nKeys; k++) count[k + 1] += count[k];
  const out = new Int32Array(order.length);
  for (let i = 0; i < order.length; i++) out[count[key[order[i]]]++] = order[i];
  return out;
}
