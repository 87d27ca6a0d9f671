// Seeded evaluation splits over unique (user, title) pairs: prepareRatings has already collapsed
// each pair to one rating, so a pair is in exactly one part and nothing leaks between them.
import { inPairSet, type PairSet } from './rating-model';
import { childSeed, permutation, seededRandom } from '../random';

/** Fold (0..k-1) of each pair; fold sizes differ by at most one. */
export function assignFolds(nPairs: number, k: number, seed: number): Uint8Array {
  if (!Number.isInteger(k) || k < 2 || k > 255) throw new RangeError(`folds must be an integer in 2..255, got ${k}`);
  if (nPairs < k) throw new RangeError(`${nPairs} pairs cannot be split into ${k} folds`);
  const order = permutation(nPairs, seededRandom(childSeed(seed, 'folds')));
  const fold = new Uint8Array(nPairs);
  for (let p = 0; p < nPairs; p++) fold[order[p]] = Math.floor((p * k) / nPairs);
  return fold;
}

/** Marks each pair 1 with probability `fraction` (seeded draws, one per pair in order), else 0.
 * Sequential draws instead of a permutation: the held-out share is `fraction` up to sampling
 * noise, and 11M pairs take milliseconds rather than a second of cache misses. */
export function assignHoldout(nPairs: number, fraction: number, seed: number, purpose = 'holdout'): Uint8Array {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`holdout fraction must be in (0, 1), got ${fraction}`);
  const random = seededRandom(childSeed(seed, purpose));
  const held = new Uint8Array(nPairs);
  for (let i = 0; i < nPairs; i++) held[i] = random() < fraction ? 1 : 0;
  return held;
}

/** The pairs whose `part[i] === value` (or `!== value` with `exclude`), order kept: a copy, for
 * small parts (a test or validation set) and the evaluate command's folds. `part` is indexed by the
 * pairs of the set (a view's own pairs, in order). */
export function selectPairs(pairs: PairSet, part: Uint8Array, value: number, exclude = false): PairSet {
  let count = 0;
  for (let i = 0; i < part.length; i++) if ((part[i] === value) !== exclude) count++;
  const user = new Int32Array(count);
  const title = new Int32Array(count);
  const rating = new Float32Array(count);
  let j = 0;
  for (let i = 0, p = 0; i < pairs.user.length; i++) {
    if (!inPairSet(pairs, i)) continue;
    if ((part[p++] === value) === exclude) continue;
    user[j] = pairs.user[i];
    title[j] = pairs.title[i];
    rating[j] = pairs.rating[i];
    j++;
  }
  return { nUsers: pairs.nUsers, nTitles: pairs.nTitles, user, title, rating };
}

/** The pairs whose part[i] is one of `values`, as a view on the same columns: no copy. `part` is
 * indexed by the underlying pairs (one byte each) and must not change while the view is used. */
export function viewPairs(pairs: PairSet, part: Uint8Array, values: number[]): PairSet {
  if (pairs.part !== undefined) throw new Error('viewPairs: the pairs are a view already; combine the parts instead');
  if (part.length !== pairs.user.length) throw new RangeError(`viewPairs: ${part.length} parts for ${pairs.user.length} pairs`);
  const keep = values.reduce((mask, v) => mask | (1 << v), 0);
  return { nUsers: pairs.nUsers, nTitles: pairs.nTitles, user: pairs.user, title: pairs.title, rating: pairs.rating, part, keep };
}
