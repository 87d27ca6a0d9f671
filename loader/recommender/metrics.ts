// Accuracy of predicted ratings (rmse, mae) and of the recommend decision built on them: a rating
// of at least LIKED_RATING counts as liked; a prediction at or above the threshold recommends.
import { lowerBound } from '../../contract';

export const LIKED_RATING = 4;
export const DEFAULT_THRESHOLD = 3.5;

export interface Metrics {
  n: number;
  rmse: number;
  mae: number;
  auc: number; // probability a liked pair scores above a not-liked one (ties count half)
  precision: number | null; // null when nothing is recommended
  recall: number | null; // null when nothing is liked
  accuracy: number;
}

export function computeMetrics(actual: ArrayLike<number>, predicted: ArrayLike<number>, threshold = DEFAULT_THRESHOLD): Metrics {
  const n = actual.length;
  if (predicted.length !== n) throw new RangeError('actual and predicted differ in length');
  if (n === 0) throw new RangeError('no pairs to evaluate');
  let se = 0;
  let ae = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < n; i++) {
    const err = predicted[i] - actual[i];
    se += err * err;
    ae += Math.abs(err);
    const liked = actual[i] >= LIKED_RATING;
    const recommended = predicted[i] >= threshold;
    if (recommended && liked) tp++;
    else if (recommended) fp++;
    else if (liked) fn++;
  }
  return {
    n,
    rmse: Math.sqrt(se / n),
    mae: ae / n,
    auc: auc(actual, predicted),
    precision: tp + fp > 0 ? tp / (tp + fp) : null,
    recall: tp + fn > 0 ? tp / (tp + fn) : null,
    accuracy: (n - fp - fn) / n,
  };
}

/** Mann-Whitney AUC by binary search over sorted scores: O(n log n) with typed-array sorts only. */
export function auc(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const n = actual.length;
  let nPos = 0;
  for (let i = 0; i < n; i++) if (actual[i] >= LIKED_RATING) nPos++;
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  const all = new Float64Array(n);
  const pos = new Float64Array(nPos);
  for (let i = 0, p = 0; i < n; i++) {
    all[i] = predicted[i];
    if (actual[i] >= LIKED_RATING) pos[p++] = predicted[i];
  }
  all.sort();
  pos.sort();
  let wins = 0; // negatives below each positive, plus half the ties
  for (let p = 0; p < nPos; p++) {
    const s = pos[p];
    const allBelow = lowerBound(all, s);
    const allEqual = lowerBound(all, nextUp(s)) - allBelow;
    const posBelow = lowerBound(pos, s);
    const posEqual = lowerBound(pos, nextUp(s)) - posBelow;
    wins += allBelow - posBelow + (allEqual - posEqual) / 2;
  }
  return wins / (nPos * nNeg);
}

const scratch = new Float64Array(1);
const scratchBits = new BigInt64Array(scratch.buffer);
/** Smallest double above x (x finite), so lowerBound(nextUp(x)) counts values <= x. */
function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  scratch[0] = x;
  scratchBits[0] += x > 0 ? 1n : -1n;
  return scratch[0];
}
