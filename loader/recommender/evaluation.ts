// Runs every model on the same splits and scores them with the same metrics: k-fold for the
// evaluate command, a single seeded holdout for the pipeline's model report.
import { computeMetrics, DEFAULT_THRESHOLD, type Metrics } from './metrics';
import type { MatrixFactorization, MfConfig, TrainingLog } from './mf';
import { predictPairs, type ModelKind, type PairSet, type RatingModel } from './rating-model';
import { createModel, MODEL_KINDS } from './registry';
import { assignFolds, selectPairs } from './split';

export type ModelMetrics = Record<ModelKind, Metrics>;

export interface EvaluationOptions {
  seed: number;
  threshold?: number;
  config?: Partial<MfConfig>;
  onProgress?: (message: string) => void;
}

export interface FoldResult {
  metrics: ModelMetrics;
  mf_log: TrainingLog | undefined;
  models: Record<ModelKind, RatingModel>;
}

export async function evaluateSplit(train: PairSet, test: PairSet, options: EvaluationOptions): Promise<FoldResult> {
  const progress = options.onProgress ?? (() => {});
  const metrics = {} as ModelMetrics;
  const models = {} as Record<ModelKind, RatingModel>;
  for (const kind of MODEL_KINDS) {
    const model = createModel(kind, { ...options.config, seed: options.seed });
    const started = performance.now();
    await model.fit(train, { onProgress: progress });
    metrics[kind] = computeMetrics(test.rating, predictPairs(model, test), options.threshold ?? DEFAULT_THRESHOLD);
    models[kind] = model;
    progress(`${kind}: rmse ${metrics[kind].rmse.toFixed(4)} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
  return { metrics, mf_log: (models.mf as MatrixFactorization).log, models };
}

export interface KFoldResult {
  models: Record<ModelKind, Metrics & { rmse_by_fold: number[] }>;
  mf_logs: (TrainingLog | undefined)[];
}

export async function evaluateKFold(pairs: PairSet, folds: number, options: EvaluationOptions): Promise<KFoldResult> {
  const fold = assignFolds(pairs.user.length, folds, options.seed);
  const perFold: ModelMetrics[] = [];
  const mf_logs: (TrainingLog | undefined)[] = [];
  for (let f = 0; f < folds; f++) {
    options.onProgress?.(`fold ${f + 1}/${folds}`);
    const result = await evaluateSplit(selectPairs(pairs, fold, f, true), selectPairs(pairs, fold, f), options);
    perFold.push(result.metrics);
    mf_logs.push(result.mf_log);
  }
  const models = {} as KFoldResult['models'];
  for (const kind of MODEL_KINDS) {
    models[kind] = { ...averageMetrics(perFold.map((m) => m[kind])), rmse_by_fold: perFold.map((m) => m[kind].rmse) };
  }
  return { models, mf_logs };
}

/** Mean of each metric over folds (the usual k-fold summary); n is the total. */
export function averageMetrics(list: Metrics[]): Metrics {
  const mean = (values: (number | null)[]) => {
    const present = values.filter((v): v is number => v !== null && !Number.isNaN(v));
    return present.length ? present.reduce((a, b) => a + b, 0) / present.length : null;
  };
  return {
    n: list.reduce((a, m) => a + m.n, 0),
    rmse: mean(list.map((m) => m.rmse))!,
    mae: mean(list.map((m) => m.mae))!,
    auc: mean(list.map((m) => m.auc)) ?? NaN,
    precision: mean(list.map((m) => m.precision)),
    recall: mean(list.map((m) => m.recall)),
    accuracy: mean(list.map((m) => m.accuracy))!,
  };
}

/** How much better the factorization is than the biases model (positive = better). */
export function mfGain(models: Record<ModelKind, Metrics>): Record<string, number | null> {
  const diff = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);
  const mf = models.mf;
  const biases = models.biases;
  return {
    rmse: biases.rmse - mf.rmse,
    mae: biases.mae - mf.mae,
    auc: mf.auc - biases.auc,
    precision: diff(mf.precision, biases.precision),
    recall: diff(mf.recall, biases.recall),
    accuracy: mf.accuracy - biases.accuracy,
  };
}
