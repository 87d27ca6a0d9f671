// Binary search over an ascending array of numbers: the user ids of a shard, a user's rated titles,
// the loader's dense user ids, the scores of the AUC.

/** The first index whose value is >= `value` (the array's length when there is none). */
export function lowerBound(sorted: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The index of `value` in the ascending array, or -1. */
export function indexOfSorted(sorted: ArrayLike<number>, value: number): number {
  const at = lowerBound(sorted, value);
  return at < sorted.length && sorted[at] === value ? at : -1;
}
