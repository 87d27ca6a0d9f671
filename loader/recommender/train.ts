// The pipeline's entry: from ingested rating rows to a trained model, its top-N lists and its report.
// The models are scored on a seeded holdout of unique pairs, all trained on the same remaining pairs
// (the factorization picks its epoch count by early stopping on a validation split of them, then
// refits on all of them). The published model is then trained on ALL pairs for that many epochs, so
// every user's latest ratings shape it; the reported metrics are those of the holdout model, trained
// on 90% of the pairs.
import { PLATFORMS, type Platform } from '../../contract';
import type { RatingRows } from '../ratings/rows';
import { Biases, GlobalMean } from './baselines';
import { mfGain, type ModelMetrics } from './evaluation';
import { computeMetrics, DEFAULT_THRESHOLD, LIKED_RATING, type Metrics } from './metrics';
import { DEFAULT_MF_CONFIG, MatrixFactorization, type EpochLog, type FactorGate, type MfConfig, type TrainingLog } from './mf';
import { SgdMemory } from './mf-memory';
import type { FactorParams } from './mf-params';
import { collectGarbage } from '../memory';
import { pairCount, predictPairs, type ModelKind, type RatingModel } from './rating-model';
import { prepareRatings, ratingRowsToRaw, type PrepareStats, type PreparedRatings } from './prepare';
import { assignHoldout, selectPairs, viewPairs } from './split';
import { computeTopLists, type TopLists } from './topn';

export interface RecommenderConfig extends MfConfig {
  holdoutFraction: number;
  threshold: number; // recommend when the prediction reaches it (the report's precision/recall/accuracy)
  topN: number; // precomputed list length per user and platform
  targetShardBytes: number; // mean size of a user shard value (KV bytes per user request)
}

export const DEFAULT_RECOMMENDER_CONFIG: RecommenderConfig = {
  ...DEFAULT_MF_CONFIG,
  holdoutFraction: 0.1,
  threshold: DEFAULT_THRESHOLD,
  topN: 100,
  // Every /recommend and /recommendations request for a user reads one whole shard. Below ~32 KiB a
  // KV read costs about the same whatever the size (a local get: ~2.4 ms at 32 KiB and at 16 KiB, 8.6
  // ms at 256 KiB), while each halving doubles the values to publish (~5 ms each locally, written and
  // read back): 4,805 values at 1x (115k users, 1.37 KB each), 19,194 at 4x.
  targetShardBytes: 32 * 1024,
};

export interface CatalogTitle {
  id: string;
  title: string;
  platform: Platform;
  type?: string; // shown with same-named candidates
  release_year?: number;
}

/** What every published model report holds (trained here or imported: import-factors.ts). */
export interface RecommenderReport {
  model: string;
  data: PrepareStats & { titles: number };
  evaluation: { split: string; models: Partial<ModelMetrics> };
  storage?: {
    title_blob_bytes: number;
    shards: number;
    users: number;
    user_bytes_total: number;
    shard_bytes: { min: number; mean: number; max: number };
  };
}

export interface ModelReport extends RecommenderReport {
  model: string;
  hyperparameters: RecommenderConfig;
  data: PrepareStats & { titles: number };
  evaluation: {
    split: string;
    train_pairs: number;
    test_pairs: number;
    liked: string;
    threshold: number;
    models: ModelMetrics;
    mf_gain: Record<string, number | null>;
  };
  training: {
    early_stopping_curve: EpochLog[];
    epochs: number; // chosen by early stopping; 0 = factors never beat the biases on validation
    factor_gate: FactorGate | undefined; // the factors' validation gain over the biases, in standard errors
    holdout_model_seconds: number;
    final_model_seconds: number;
    top_lists_seconds: number;
    seconds: number; // everything: preparation, baselines, factorization runs, scoring, top lists
  };
}

/** The prepared pairs as the export reads them: grouped by user, no per-pair user column. */
export type RatedByUser = Omit<PreparedRatings, 'user'>;

/** A model ready to publish: trained here (the defaults) or imported (import-factors.ts). */
export interface TrainedRecommender<Report extends RecommenderReport = ModelReport, Factors extends FactorParams = MatrixFactorization> {
  mf: Factors;
  prepared: RatedByUser; // dense user ids, rated pairs (the user records need both)
  titlePlatform: Uint8Array; // PLATFORMS index per title
  top: TopLists; // every user's precomputed top-N unrated titles per platform
  config: RecommenderConfig;
  report: Report;
}

/** Trains from ingested rows, or from ratings already prepared (prepareRatings): the loader prepares
 * them itself so the rows can be dropped before training allocates anything (see pipeline.ts). */
export async function trainRecommender(
  input: RatingRows | PreparedRatings,
  titles: CatalogTitle[],
  config: Partial<RecommenderConfig> = {},
  onProgress: (message: string) => void = () => {},
): Promise<{ model: TrainedRecommender; report: ModelReport }> {
  const started = performance.now();
  const cfg: RecommenderConfig = { ...DEFAULT_RECOMMENDER_CONFIG, ...config, bias: { ...DEFAULT_RECOMMENDER_CONFIG.bias, ...config.bias } };
  const prepared = 'userStart' in input ? input : prepareRatings(ratingRowsToRaw(input), titles.length);
  if (prepared.nTitles !== titles.length)
    throw new RangeError(`trainRecommender: ratings of ${prepared.nTitles} titles, catalog of ${titles.length}`);
  onProgress(
    `recommender: ${prepared.stats.pairs} unique pairs (${prepared.stats.exact_duplicates} exact duplicates dropped, ${prepared.stats.superseded} older ratings superseded)`,
  );
  collectGarbage(); // the rows, when the caller dropped them, and the preparation's sort orders
  const { mf, evaluation, holdoutLog, holdoutSeconds, finalSeconds } = await fitModels(prepared, cfg, onProgress);
  collectGarbage(); // the training memory and the holdout model, before the top lists allocate
  const epochs = holdoutLog.best_epochs;

  const topStarted = performance.now();
  const titlePlatform = titlePlatforms(titles);
  const top = await computeTopLists(
    {
      params: {
        k: mf.k,
        mean: mf.mean,
        userBias: mf.userBias,
        titleBias: mf.titleBias,
        userFactors: mf.userFactors,
        titleFactors: mf.titleFactors,
      },
      titlePlatform,
      rated: prepared,
      n: cfg.topN,
    },
    cfg.threads,
  );
  const topSeconds = (performance.now() - topStarted) / 1000;
  onProgress(`recommender: top ${cfg.topN} lists of ${prepared.nUsers} users in ${topSeconds.toFixed(1)} s`);

  const report: ModelReport = {
    model:
      'biased matrix factorization: mean + user bias + title bias + user factors . title factors, clipped to 0.5..5; deterministic parallel SGD (DSGD)',
    hyperparameters: cfg,
    data: { ...prepared.stats, titles: titles.length },
    evaluation,
    training: {
      early_stopping_curve: holdoutLog.curve,
      epochs,
      factor_gate: holdoutLog.factor_gate,
      holdout_model_seconds: holdoutSeconds,
      final_model_seconds: finalSeconds,
      top_lists_seconds: topSeconds,
      seconds: (performance.now() - started) / 1000,
    },
  };
  // Without the per-pair user column (userStart says whose a pair is): 4 bytes a pair that would
  // otherwise live through the export.
  const rated: RatedByUser = {
    nUsers: prepared.nUsers,
    nTitles: prepared.nTitles,
    userIds: prepared.userIds,
    userStart: prepared.userStart,
    title: prepared.title,
    rating: prepared.rating,
    stats: prepared.stats,
  };
  return { model: { mf, prepared: rated, titlePlatform, top, config: cfg, report }, report };
}

/** The holdout evaluation, then the published model. One training memory serves every run (sized
 * for all pairs), the training part is a view on the prepared pairs (one byte a pair) and only the
 * small test part is copied; the holdout model's factors and that memory are garbage on return,
 * before the top lists allocate theirs. */
async function fitModels(
  prepared: PreparedRatings,
  cfg: RecommenderConfig,
  onProgress: (message: string) => void,
): Promise<{
  mf: MatrixFactorization;
  evaluation: ModelReport['evaluation'];
  holdoutLog: TrainingLog;
  holdoutSeconds: number;
  finalSeconds: number;
}> {
  const memory = new SgdMemory(prepared.stats.pairs, prepared.nUsers, prepared.nTitles, cfg.factors);
  const held = assignHoldout(prepared.stats.pairs, cfg.holdoutFraction, cfg.seed);
  const train = viewPairs(prepared, held, [0]);
  const test = selectPairs(prepared, held, 1);
  const metrics = {} as ModelMetrics;
  const score = (kind: ModelKind, model: RatingModel): Metrics =>
    (metrics[kind] = computeMetrics(test.rating, predictPairs(model, test), cfg.threshold));

  for (const model of [new GlobalMean(), new Biases(cfg.bias)]) {
    await model.fit(train);
    score(model.kind, model);
  }
  const holdoutStarted = performance.now();
  // Refit on the whole training part, so the factorization sees exactly the baselines' data.
  const holdoutModel = new MatrixFactorization({ ...cfg, refit: true });
  await holdoutModel.fit(train, { onProgress, memory });
  const holdoutSeconds = (performance.now() - holdoutStarted) / 1000;
  score('mf', holdoutModel);
  const holdoutLog = holdoutModel.log!;
  const epochs = holdoutLog.best_epochs;
  onProgress(
    `recommender: holdout rmse global_mean ${metrics.global_mean.rmse.toFixed(4)}, biases ${metrics.biases.rmse.toFixed(4)}, mf ${metrics.mf.rmse.toFixed(4)} (${epochs} epochs)`,
  );

  const finalStarted = performance.now();
  const mf = new MatrixFactorization({ ...cfg, maxEpochs: epochs, validationFraction: 0 });
  await mf.fit(prepared, { onProgress, memory });
  const finalSeconds = (performance.now() - finalStarted) / 1000;
  const evaluation: ModelReport['evaluation'] = {
    split: `seeded ${Math.round(cfg.holdoutFraction * 100)}% holdout of unique (user, title) pairs (seed ${cfg.seed})`,
    train_pairs: pairCount(train),
    test_pairs: test.user.length,
    liked: `rating >= ${LIKED_RATING}`,
    threshold: cfg.threshold,
    models: metrics,
    mf_gain: mfGain(metrics),
  };
  return { mf, evaluation, holdoutLog, holdoutSeconds, finalSeconds };
}

/** PLATFORMS index of every title. */
export function titlePlatforms(titles: CatalogTitle[]): Uint8Array {
  return Uint8Array.from(titles, (t) => {
    const p = PLATFORMS.indexOf(t.platform);
    if (p < 0) throw new RangeError(`recommender: title ${t.id} has unknown platform ${JSON.stringify(t.platform)}`);
    return p;
  });
}
