// The built-in model as factors in Spark's ALS layout (docs/reference.md#factors-trained-elsewhere):
// a pure dot product of the written vectors equals the biased model's prediction,
//   user = [p, bu, 1, 1, 1, 1]   item = [q, 1, bi, m1, m2, m3]
//   user . item = p . q + bu + bi + (m1 + m2 + m3) = mean + bu + bi + p . q
// with the float64 mean split over three float32 values whose float64 sum is exactly the mean (24 + 24
// + 5 significant bits cover its 53). Rated titles only, as Spark writes factors only for items in its
// training data. import-factors.ts reads the constant-one columns back as biases, so the model comes
// back bit for bit.
import { join } from 'node:path';
import { titleFactorId } from './factor-ids';
import { type FactorRows, writeFactorTable } from './factor-writer';
import type { FactorParams } from './mf-params';
import type { CatalogTitle, RecommenderReport, TrainedRecommender } from './train';

/** Three float32 values whose float64 sum, left to right, is exactly `x`. */
export function splitFloat64(x: number): [number, number, number] {
  const hi = Math.fround(x);
  const mid = Math.fround(x - hi);
  const lo = Math.fround(x - hi - mid);
  if (hi + mid + lo !== x) throw new RangeError(`splitFloat64: ${x} does not split exactly`);
  return [hi, mid, lo];
}

export function augmentedFactors(
  model: TrainedRecommender<RecommenderReport, FactorParams>,
  titles: CatalogTitle[],
): { users: FactorRows; items: FactorRows } {
  const { mf, prepared } = model;
  const k = mf.k;
  const meanParts = splitFloat64(mf.mean);
  const users: FactorRows = { ids: prepared.userIds, features: [] };
  for (let u = 0; u < prepared.nUsers; u++) {
    const row = new Float32Array(k + 5);
    row.set(mf.userFactors.subarray(u * k, u * k + k));
    row.set([mf.userBias[u], 1, 1, 1, 1], k);
    users.features.push(row);
  }
  const rated = new Uint8Array(titles.length);
  for (const t of prepared.title) rated[t] = 1;
  const itemIds: number[] = [];
  const items: FactorRows = { ids: itemIds, features: [] };
  titles.forEach((title, t) => {
    if (!rated[t]) return;
    const id = titleFactorId(title.id);
    if (id === null) throw new RangeError(`export-factors: catalog id ${JSON.stringify(title.id)} has no ALS item id`);
    const row = new Float32Array(k + 5);
    row.set(mf.titleFactors.subarray(t * k, t * k + k));
    row.set([1, mf.titleBias[t], ...meanParts], k);
    itemIds.push(id);
    items.features.push(row);
  });
  return { users, items };
}

/** Writes DIR/userFactors and DIR/itemFactors as Spark would. */
export function writeModelFactors(
  dir: string,
  model: TrainedRecommender<RecommenderReport, FactorParams>,
  titles: CatalogTitle[],
  parts = 2,
): void {
  const { users, items } = augmentedFactors(model, titles);
  writeFactorTable(join(dir, 'userFactors'), users, parts);
  writeFactorTable(join(dir, 'itemFactors'), items, parts);
}
