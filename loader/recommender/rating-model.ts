// The interface every rating model implements (global mean, biases, matrix factorization), so
// evaluation, the shared test suite and the export treat them alike.

/** Unique (user, title) pairs with their rating; users and titles as dense indices. With `part`,
 * the set is a view: only pairs i whose part[i] is a bit set in `keep` belong to it (split.ts
 * viewPairs), so a split costs one byte a pair instead of a copy of the columns. Loop with
 * inPairSet and count with pairCount; `user.length` counts the underlying pairs. */
export interface PairSet {
  nUsers: number;
  nTitles: number;
  user: Int32Array;
  title: Int32Array;
  rating: Float32Array;
  part?: Uint8Array;
  keep?: number; // bit mask of the part values in the set
}

/** Whether underlying pair i belongs to the set. */
export function inPairSet(pairs: PairSet, i: number): boolean {
  return pairs.part === undefined || ((pairs.keep! >>> pairs.part[i]) & 1) === 1;
}

/** The number of pairs in the set. */
export function pairCount(pairs: PairSet): number {
  if (pairs.part === undefined) return pairs.user.length;
  let count = 0;
  for (let i = 0; i < pairs.part.length; i++) count += (pairs.keep! >>> pairs.part[i]) & 1;
  return count;
}

export { RATING_MAX, RATING_MIN, clipPrediction as clipRating } from '../../contract/model';

export type ModelKind = 'global_mean' | 'biases' | 'mf';

export interface FitOptions {
  /** Held-out pairs for early stopping; never the pairs the model is evaluated on. */
  validation?: PairSet;
  onProgress?: (message: string) => void;
}

export interface RatingModel {
  readonly kind: ModelKind;
  fit(train: PairSet, options?: FitOptions): Promise<void>;
  /** Clipped to 0.5..5. A user or title index outside the trained ranges (or -1) counts as unknown. */
  predict(user: number, title: number): number;
  /** Self-describing bytes; loadModel (models.ts) restores an equal model. */
  save(): Uint8Array;
}

/** Predictions of the set's pairs, in order. */
export function predictPairs(model: RatingModel, pairs: PairSet): Float32Array {
  const out = new Float32Array(pairCount(pairs));
  for (let i = 0, j = 0; i < pairs.user.length; i++) if (inPairSet(pairs, i)) out[j++] = model.predict(pairs.user[i], pairs.title[i]);
  return out;
}

export function meanRating(pairs: PairSet): number {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < pairs.rating.length; i++) {
    if (!inPairSet(pairs, i)) continue;
    sum += pairs.rating[i];
    count++;
  }
  if (count === 0) throw new RangeError('cannot fit a model on zero ratings');
  return sum / count;
}
