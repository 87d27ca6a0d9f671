// Shared inputs of the recommender tests: the real MovieLens sample (real user-title signal) and
// small synthetic rating sets with known structure.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RatingRows } from '../../loader/ratings/rows';
import type { PairSet } from '../../loader/recommender/rating-model';
import { prepareRatings, type PreparedRatings } from '../../loader/recommender/prepare';
import { seededRandom } from '../../loader/random';
import { readRatingsCsv } from '../../loader/recommender/ratings-input';

// In the repository's data/ when committed there, else in the shared data folder next to the checkout.
const ML_SMALL_CANDIDATES = [
  '../../data/external/ml-latest-small/ratings.csv',
  '../../../shared/data/external/ml-latest-small/ratings.csv',
].map((path) => fileURLToPath(new URL(path, import.meta.url)));
export const ML_SMALL = ML_SMALL_CANDIDATES.find((path) => existsSync(path)) ?? ML_SMALL_CANDIDATES[0];

let mlSmall: PreparedRatings | undefined;
export function mlLatestSmall(): PreparedRatings {
  if (!mlSmall) {
    const file = readRatingsCsv(ML_SMALL);
    mlSmall = prepareRatings(file.raw, file.titleIds.length);
  }
  return mlSmall;
}

/** Hyperparameters that train in well under a second on ml-latest-small. */
export const FAST_MF = { factors: 16, maxEpochs: 12, patience: 2, threads: 2 } as const;

/**
 * Ratings with a per-user bias and, optionally, a rank-2 user-title interaction, in RatingRows form
 * (raw user ids spread like the real ones, half-star ratings, timestamps). No duplicates.
 */
export function syntheticRows(options: { users: number; titles: number; perUser: number; interaction: boolean; seed: number }): RatingRows {
  const random = seededRandom(options.seed);
  const { users, titles, perUser } = options;
  const userTaste = Array.from({ length: users }, () => [random() * 2 - 1, random() * 2 - 1]);
  const titleTaste = Array.from({ length: titles }, () => [random() * 2 - 1, random() * 2 - 1]);
  const userBias = Array.from({ length: users }, () => (random() - 0.5) * 1.4);
  // Activity varies per user (perUser/2 .. 3 perUser/2), so records differ in size.
  const counts = Array.from({ length: users }, () => Math.min(titles, Math.max(1, Math.floor(perUser * (0.5 + random())))));
  const n = counts.reduce((a, b) => a + b, 0);
  const rows: RatingRows = {
    length: n,
    user: new Int32Array(n),
    title: new Uint16Array(n),
    half: new Uint8Array(n),
    ts: new Uint32Array(n),
  };
  let i = 0;
  for (let u = 0; u < users; u++) {
    const seen = new Set<number>();
    while (seen.size < counts[u]) {
      const t = Math.floor(random() * titles);
      if (seen.has(t)) continue;
      seen.add(t);
      const signal = options.interaction ? 1.2 * (userTaste[u][0] * titleTaste[t][0] + userTaste[u][1] * titleTaste[t][1]) : 0;
      const rating = 3.5 + userBias[u] + signal + (random() - 0.5) * 1.6;
      rows.user[i] = 7 + u * 3;
      rows.title[i] = t;
      rows.half[i] = Math.min(10, Math.max(1, Math.round(rating * 2)));
      rows.ts[i] = 1_000_000_000 + Math.floor(random() * 1e8);
      i++;
    }
  }
  return rows;
}

/** Pairs of a PreparedRatings as a plain PairSet. */
export function pairsOf(p: PreparedRatings): PairSet {
  return { nUsers: p.nUsers, nTitles: p.nTitles, user: p.user, title: p.title, rating: p.rating };
}
