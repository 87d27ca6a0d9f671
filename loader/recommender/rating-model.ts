// The interface every rating model implements (global mean, biases, matrix factorization), so
// evaluation, the shared test suite and the export treat them alike.

/** Unique (user, title) pairs with their rating; users and titles as dense indices. */
export interface PairSet {
  nUsers: number;
  nTitles: number;
  user: Int32Array;
  title: Int32Array;
  rating: Float32Array;
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

export function predictPairs(model: RatingModel, pairs: PairSet): Float32Array {
  const out = new Float32Array(pairs.user.length);
  for (let i = 0; i < out.length; i++) out[i] = model.predict(pairs.user[i], pairs.title[i]);
  return out;
}

export function meanRating(pairs: PairSet): number {
  if (pairs.rating.length === 0) throw new RangeError('cannot fit a model on zero ratings');
  let sum = 0;
  for (let i = 0; i < pairs.rating.length; i++) sum += pairs.rating[i];
  return sum / pairs.rating.length;
}
