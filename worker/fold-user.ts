// The recommender side of a fold: a user's ratings change, the title side of the model does not.
// Pure functions of (title model, user record, new ratings), so a rerun rebuilds identical shards.
//
// A user's bias and factors are the regularised least-squares fit to ALL their ratings with the
// title biases and factors held fixed (one ALS half-step, solved exactly):
//   minimise  sum_t (r_t - mean - b_t - b_u - p . q_t)^2  +  regBias * b_u^2  +  n * regFactors * |p|^2
// regBias is the trainer's baseline user regularisation (bias.regUser), so with zero title factors
// (the biases model the factor gate falls back to) b_u is exactly fitBiases' user update,
// sum(r - mean - b_t) / (regUser + n); the factor penalty grows with n as in the trainer's per-rating
// SGD steps. The system is (k+1)x(k+1) and positive definite; Cholesky in float64, stored as float32.
import {
  betterThan,
  decodeUserShard,
  encodeUserShard,
  PLATFORMS,
  scoreTitle,
  type Platform,
  type TitleModel,
  type UserRecord,
} from '../contract';

export interface FoldRegularisation {
  /** Penalty on the user bias (the trainer's bias.regUser). */
  bias: number;
  /** Penalty on the user factors per rating (the trainer's regFactors). */
  factors: number;
}

/** One posted rating as the fold applies it: title index in the title blob, rating in half stars. */
export interface TitleRating {
  title: number;
  halves: number;
}

/**
 * The user's rated list after the fold: the base list, then each new rating in arrival order
 * replacing any earlier rating of the same title. Arrival order (not the client's timestamp) decides,
 * so folding ratings in one run or spread over several gives the same list.
 */
export function mergeRatings(
  base: UserRecord | null,
  added: readonly TitleRating[],
): { ratedTitles: Uint16Array; ratedHalves: Uint8Array } {
  const byTitle = new Map<number, number>();
  if (base) base.ratedTitles.forEach((t, i) => byTitle.set(t, base.ratedHalves[i]));
  for (const r of added) byTitle.set(r.title, r.halves);
  const titles = [...byTitle.keys()].sort((a, b) => a - b);
  return { ratedTitles: Uint16Array.from(titles), ratedHalves: Uint8Array.from(titles, (t) => byTitle.get(t)!) };
}

/** The regularised least-squares bias and factors of a user with these ratings (title side fixed). */
export function solveUser(
  model: TitleModel,
  ratedTitles: ArrayLike<number>,
  ratedHalves: ArrayLike<number>,
  reg: FoldRegularisation,
): { bias: number; factors: Float32Array } {
  const k = model.k;
  const d = k + 1; // x = [b_u, p_0 .. p_{k-1}]
  const n = ratedTitles.length;
  const A = new Float64Array(d * d);
  const rhs = new Float64Array(d);
  const z = new Float64Array(d);
  z[0] = 1;
  for (let j = 0; j < n; j++) {
    const t = ratedTitles[j];
    const residual = ratedHalves[j] / 2 - model.mean - model.titleBias[t];
    for (let f = 0; f < k; f++) z[f + 1] = model.titleFactors[t * k + f];
    for (let a = 0; a < d; a++) {
      const za = z[a];
      if (za === 0) continue;
      rhs[a] += za * residual;
      for (let b = 0; b <= a; b++) A[a * d + b] += za * z[b];
    }
  }
  // Without a penalty (a user with no ratings, or a zero regularisation) factors no title informs
  // would make the system singular; a tiny ridge keeps it defined and leaves them at zero.
  const factorPenalty = n * reg.factors > 0 ? n * reg.factors : 1e-9;
  A[0] += reg.bias;
  if (A[0] === 0) A[0] = 1e-9;
  for (let f = 1; f < d; f++) A[f * d + f] += factorPenalty;
  const x = choleskySolve(A, rhs, d);
  return { bias: x[0], factors: Float32Array.from(x.subarray(1)) };
}

/** Solves A x = b for symmetric positive definite A (lower triangle used); A is overwritten by L. */
export function choleskySolve(A: Float64Array, b: Float64Array, d: number): Float64Array {
  for (let j = 0; j < d; j++) {
    let s = A[j * d + j];
    for (let m = 0; m < j; m++) s -= A[j * d + m] * A[j * d + m];
    if (!(s > 0)) throw new RangeError(`choleskySolve: matrix is not positive definite (pivot ${j} = ${s})`);
    const pivot = Math.sqrt(s);
    A[j * d + j] = pivot;
    for (let i = j + 1; i < d; i++) {
      let t = A[i * d + j];
      for (let m = 0; m < j; m++) t -= A[i * d + m] * A[j * d + m];
      A[i * d + j] = t / pivot;
    }
  }
  const y = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = b[i];
    for (let m = 0; m < i; m++) s -= A[i * d + m] * y[m];
    y[i] = s / A[i * d + i];
  }
  const x = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let s = y[i];
    for (let m = i + 1; m < d; m++) s -= A[m * d + i] * x[m];
    x[i] = s / A[i * d + i];
  }
  return x;
}

/**
 * The user's top lists: per platform, the model.topN best titles the user has not rated, ranked as the
 * loader ranks them (contract scoreTitle, then betterThan: higher score, then lower title index).
 */
export function userTopLists(model: TitleModel, user: Omit<UserRecord, 'lists'>): Record<Platform, Uint16Array> {
  const T = model.titleBias.length;
  const rated = new Uint8Array(T);
  for (const t of user.ratedTitles) rated[t] = 1;
  const scoring: UserRecord = { ...user, lists: {} as Record<Platform, Uint16Array> };
  const score = new Float64Array(T);
  const candidates: number[][] = PLATFORMS.map(() => []);
  for (let t = 0; t < T; t++) {
    if (rated[t]) continue;
    score[t] = scoreTitle(model, scoring, t);
    candidates[model.platform[t]].push(t);
  }
  const lists = {} as Record<Platform, Uint16Array>;
  PLATFORMS.forEach((p, i) => {
    lists[p] = bestFirst(candidates[i], score, model.topN);
  });
  return lists;
}

/** The n best of `titles` by (score, title) as betterThan ranks them, best first. */
function bestFirst(titles: number[], score: Float64Array, n: number): Uint16Array {
  if (n <= 0) return new Uint16Array(0);
  const kept: number[] = []; // best first; a new title enters only if it beats the worst kept one
  for (const t of titles) {
    if (kept.length === n) {
      const worst = kept[n - 1];
      if (!betterThan(score[t], t, score[worst], worst)) continue;
      kept.pop();
    }
    let at = kept.length;
    while (at > 0 && betterThan(score[t], t, score[kept[at - 1]], kept[at - 1])) at--;
    kept.splice(at, 0, t);
  }
  return Uint16Array.from(kept);
}

/** The user's record after the fold: merged ratings, re-solved bias and factors, fresh top lists. */
export function foldUser(
  model: TitleModel,
  userId: number,
  base: UserRecord | null,
  added: readonly TitleRating[],
  reg: FoldRegularisation,
): UserRecord {
  const { ratedTitles, ratedHalves } = mergeRatings(base, added);
  const solved = solveUser(model, ratedTitles, ratedHalves, reg);
  // Scored with the float32 values the shard will hold, so the stored lists match what the worker computes.
  const record = { userId, bias: Math.fround(solved.bias), factors: solved.factors, ratedTitles, ratedHalves };
  return { ...record, lists: userTopLists(model, record) };
}

/**
 * A shard with the given users folded in (users it does not hold yet are added). `base` is the shard's
 * current value, or null when the version has no such shard.
 */
export function foldShard(
  model: TitleModel,
  base: ArrayBuffer | Uint8Array | null,
  added: ReadonlyMap<number, readonly TitleRating[]>,
  reg: FoldRegularisation,
): { bytes: Uint8Array; newUsers: number } {
  const records = new Map<number, UserRecord>();
  if (base) {
    const decoded = decodeUserShard(base);
    if (decoded.k !== model.k) throw new RangeError(`foldShard: shard has k = ${decoded.k}, title blob ${model.k}`);
    for (const r of decoded.records) records.set(r.userId, r);
  }
  let newUsers = 0;
  for (const [userId, ratings] of added) {
    const before = records.get(userId) ?? null;
    if (!before) newUsers++;
    records.set(userId, foldUser(model, userId, before, ratings, reg));
  }
  return { bytes: encodeUserShard([...records.values()], model.k), newUsers };
}
