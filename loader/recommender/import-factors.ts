// Publishes factors trained elsewhere (Spark MLlib ALS, docs/reference.md#factors-trained-elsewhere)
// through the same export as the built-in model: same user records, top-N lists, shards and title blob.
// Nothing is trained: the rating files still give every user's rated titles (the lists skip them).
//
// How a prediction is formed. ALS predicts user factors . item factors. The served formula is
// mean + title bias + user bias + factors . title factors (contract scoreTitle); the import reads
// columns that are exactly 1.0 on one side as additive terms, because a dot product of such a column
// IS an additive term:
//   - a column that is 1 for every item: the user's value is that user's bias;
//   - a column that is 1 for every user: the item's value is that title's bias;
//   - a column that is 1 for every user and one constant for every item: that constant joins the mean
//     (summed in float64, so a mean split over several float32 columns comes back exact).
// The rest are the factors, in their order, zero-padded to a multiple of 4 (zeros add nothing). Real ALS
// factors have no such columns, so then the prediction is the plain dot product; factors exported from
// the built-in model (export-factors.ts) have them, so its model comes back bit for bit.
// A user the model does not know gets a title baseline: with bias columns, mean + title bias as with the
// built-in model; with plain ALS factors (no biases) the baseline model's mean and title biases, fitted
// on the ratings, with a user coordinate of -1 against each title's bias so known users still get
// exactly p . q (up to float64 rounding, ~1e-15).
import { join } from 'node:path';
import { clipPrediction, indexOfSorted, scoreTitle, type TitleModel, type UserRecord } from '../../contract';
import type { RatingRows } from '../ratings/rows';
import { DEFAULT_BIAS_CONFIG, fitBiases } from './baselines';
import { titleIndexByFactorId } from './factor-ids';
import { FactorsError, readFactorTable, type FactorTable } from './factor-files';
import type { ModelMetrics } from './evaluation';
import { computeMetrics, LIKED_RATING } from './metrics';
import type { FactorParams } from './mf-params';
import { prepareRatings, ratingRowsToRaw, type PreparedRatings } from './prepare';
import { computeTopLists } from './topn';
import {
  type CatalogTitle,
  DEFAULT_RECOMMENDER_CONFIG,
  type RecommenderConfig,
  type RecommenderReport,
  titlePlatforms,
  type TrainedRecommender,
} from './train';

/** Spark ALS's default regParam, which spark/train_als.py keeps: the fold's penalty per rating. */
export const ALS_REG_PARAM = 0.1;

export interface ImportedModelReport extends RecommenderReport {
  source: {
    kind: 'spark-als-parquet';
    user_files: string[];
    item_files: string[];
    rank: number;
    served_k: number;
    columns: { factors: number; user_bias: number | null; title_bias: number | null; mean_terms: number[] };
    unknown_users: string;
  };
  hyperparameters: Pick<RecommenderConfig, 'topN' | 'threshold' | 'targetShardBytes' | 'regFactors'> & {
    bias: { regUser: number };
    note: string;
  };
  evaluation: { split: string; liked: string; threshold: number; models: Partial<ModelMetrics> };
  training: { trained: false; read_seconds: number; top_lists_seconds: number; seconds: number };
}

export async function importRecommender(
  rows: RatingRows,
  titles: CatalogTitle[],
  dir: string,
  config: Partial<RecommenderConfig> = {},
): Promise<{ model: TrainedRecommender<ImportedModelReport, FactorParams>; report: ImportedModelReport }> {
  const started = performance.now();
  const cfg: RecommenderConfig = { ...DEFAULT_RECOMMENDER_CONFIG, ...config };
  const prepared = prepareRatings(ratingRowsToRaw(rows), titles.length);
  const users = await readFactorTable(join(dir, 'userFactors'));
  const items = await readFactorTable(join(dir, 'itemFactors'));
  if (users.rank !== items.rank) {
    throw new FactorsError(`${dir}: user factors have rank ${users.rank}, item factors rank ${items.rank}: mismatched ranks`);
  }
  const userRow = denseUserRows(users, prepared);
  const titleRow = denseTitleRows(items, titles, prepared);
  const readSeconds = (performance.now() - started) / 1000;

  const columns = classifyColumns(users, items);
  const { params, unknownUsers } = servedParams(users, items, userRow, titleRow, columns, prepared);
  const titlePlatform = titlePlatforms(titles);
  const topStarted = performance.now();
  const top = await computeTopLists({ params, titlePlatform, rated: prepared, n: cfg.topN }, cfg.threads);
  const topSeconds = (performance.now() - topStarted) / 1000;

  const report: ImportedModelReport = {
    model:
      columns.userBias === null && columns.titleBias === null && columns.meanTerms.length === 0
        ? 'Spark MLlib ALS factors: user factors . item factors, clipped to 0.5..5 (ALS has no bias terms); trained elsewhere, imported'
        : 'factors trained elsewhere, with constant-one columns read as biases: mean + user bias + title bias + user factors . title factors (= the plain dot product of the imported vectors), clipped to 0.5..5',
    source: {
      kind: 'spark-als-parquet',
      user_files: users.files,
      item_files: items.files,
      rank: users.rank,
      served_k: params.k,
      columns: {
        factors: columns.factors.length,
        user_bias: columns.userBias,
        title_bias: columns.titleBias,
        mean_terms: columns.meanTerms,
      },
      unknown_users: unknownUsers,
    },
    hyperparameters: {
      topN: cfg.topN,
      threshold: cfg.threshold,
      targetShardBytes: cfg.targetShardBytes,
      regFactors: ALS_REG_PARAM,
      bias: { regUser: DEFAULT_BIAS_CONFIG.regUser },
      note: "regFactors (Spark ALS's regParam, as spark/train_als.py sets it) and bias.regUser are the penalties the cron fold re-solves a user with",
    },
    data: { ...prepared.stats, titles: titles.length },
    evaluation: {
      split: 'none: the factors were trained elsewhere on all the ratings, so these metrics are in-sample (every rated pair)',
      liked: `rating >= ${LIKED_RATING}`,
      threshold: cfg.threshold,
      models: { mf: inSampleMetrics(params, prepared, cfg.threshold) },
    },
    training: { trained: false, read_seconds: readSeconds, top_lists_seconds: topSeconds, seconds: (performance.now() - started) / 1000 },
  };
  return { model: { mf: params, prepared, titlePlatform, top, config: cfg, report }, report };
}

/** Row of each dense user in the user table; every factor id must be a user of the ratings and back. */
function denseUserRows(users: FactorTable, prepared: PreparedRatings): Int32Array {
  const rowOf = new Int32Array(prepared.nUsers).fill(-1);
  users.ids.forEach((id, r) => {
    const u = indexOfSorted(prepared.userIds, id);
    if (u < 0) throw new FactorsError(`${users.dir}: user id ${id} has no ratings in the rating files (factors trained on other ratings?)`);
    rowOf[u] = r;
  });
  const missing = rowOf.indexOf(-1);
  if (missing >= 0) {
    throw new FactorsError(
      `${users.dir}: user ${prepared.userIds[missing]} of the rating files has no factors (factors trained on other ratings?)`,
    );
  }
  return rowOf;
}

/** Row of each title in the item table (-1: unrated, no factors); ids map by docs/reference.md#factor-ids. */
function denseTitleRows(items: FactorTable, titles: CatalogTitle[], prepared: PreparedRatings): Int32Array {
  const byFactorId = titleIndexByFactorId(titles.map((t) => t.id));
  const rated = new Uint8Array(titles.length);
  for (const t of prepared.title) rated[t] = 1;
  const rowOf = new Int32Array(titles.length).fill(-1);
  items.ids.forEach((id, r) => {
    const t = byFactorId.get(id);
    if (t === undefined) throw new FactorsError(`${items.dir}: item id ${id} is no catalog title (docs/reference.md#factor-ids)`);
    if (!rated[t]) throw new FactorsError(`${items.dir}: item id ${id} (${titles[t].id}) has no ratings in the rating files`);
    rowOf[t] = r;
  });
  const missing = rowOf.findIndex((r, t) => r < 0 && rated[t] === 1);
  if (missing >= 0) throw new FactorsError(`${items.dir}: title ${titles[missing].id}, rated in the rating files, has no factors`);
  return rowOf;
}

interface Columns {
  factors: number[];
  userBias: number | null;
  titleBias: number | null;
  meanTerms: number[];
}

function classifyColumns(users: FactorTable, items: FactorTable): Columns {
  const constant = (table: FactorTable, c: number): number | null => {
    const v = table.features[c];
    for (let r = 1; r < table.ids.length; r++) if (table.features[r * table.rank + c] !== v) return null;
    return v;
  };
  const columns: Columns = { factors: [], userBias: null, titleBias: null, meanTerms: [] };
  for (let c = 0; c < users.rank; c++) {
    const user = constant(users, c);
    const item = constant(items, c);
    if (user === 1 && item !== null) columns.meanTerms.push(c);
    else if (item === 1 && columns.userBias === null) columns.userBias = c;
    else if (user === 1 && columns.titleBias === null) columns.titleBias = c;
    else columns.factors.push(c);
  }
  return columns;
}

function servedParams(
  users: FactorTable,
  items: FactorTable,
  userRow: Int32Array,
  titleRow: Int32Array,
  columns: Columns,
  prepared: PreparedRatings,
): { params: FactorParams; unknownUsers: string } {
  const R = users.rank;
  const plainAls = columns.userBias === null && columns.titleBias === null && columns.meanTerms.length === 0;
  const width = columns.factors.length + (plainAls ? 1 : 0);
  const k = Math.max(4, Math.ceil(width / 4) * 4);
  const nUsers = userRow.length;
  const nTitles = titleRow.length;
  const userFactors = new Float32Array(nUsers * k);
  const titleFactors = new Float32Array(nTitles * k);
  const userBias = new Float32Array(nUsers);
  const titleBias = new Float32Array(nTitles);
  let mean = 0;
  for (const c of columns.meanTerms) mean += items.features[c];
  for (let u = 0; u < nUsers; u++) {
    const at = userRow[u] * R;
    columns.factors.forEach((c, f) => (userFactors[u * k + f] = users.features[at + c]));
    if (columns.userBias !== null) userBias[u] = users.features[at + columns.userBias];
  }
  for (let t = 0; t < nTitles; t++) {
    if (titleRow[t] < 0) continue; // unrated: zero, as the built-in model leaves it
    const at = titleRow[t] * R;
    columns.factors.forEach((c, f) => (titleFactors[t * k + f] = items.features[at + c]));
    if (columns.titleBias !== null) titleBias[t] = items.features[at + columns.titleBias];
  }
  let unknownUsers = 'mean + title bias, the model columns read as biases (as the built-in model)';
  if (plainAls) {
    // ALS knows nothing of users it was not trained on; they get the baseline model's answer.
    const fitted = fitBiases(
      { nUsers: prepared.nUsers, nTitles: prepared.nTitles, user: prepared.user, title: prepared.title, rating: prepared.rating },
      DEFAULT_BIAS_CONFIG,
    );
    mean = Math.fround(fitted.mean); // float32, so a user bias of -mean cancels it exactly
    titleBias.set(fitted.titleBias);
    userBias.fill(-mean);
    const f = columns.factors.length;
    for (let u = 0; u < nUsers; u++) userFactors[u * k + f] = -1;
    for (let t = 0; t < nTitles; t++) titleFactors[t * k + f] = titleBias[t];
    unknownUsers =
      'the baseline model fitted on the ratings (mean + title bias; ALS has no biases): known users carry -mean and a -1 coordinate against the title bias, so they get user factors . item factors';
  }
  return { params: { k, mean, userFactors, titleFactors, userBias, titleBias }, unknownUsers };
}

/** Clipped predictions of the served model on every rated pair against the ratings. */
function inSampleMetrics(params: FactorParams, prepared: PreparedRatings, threshold: number) {
  const model = { k: params.k, mean: params.mean, titleBias: params.titleBias, titleFactors: params.titleFactors } as TitleModel;
  const predicted = new Float64Array(prepared.user.length);
  for (let i = 0; i < predicted.length; i++) {
    const u = prepared.user[i];
    const user = { bias: params.userBias[u], factors: params.userFactors.subarray(u * params.k, (u + 1) * params.k) } as UserRecord;
    predicted[i] = clipPrediction(scoreTitle(model, user, prepared.title[i]));
  }
  return computeMetrics(prepared.rating, predicted, threshold);
}
