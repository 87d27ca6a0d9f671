// `npm run evaluate -- --ratings FILE [--folds K] [--seed S] [--threshold T] [--threads N]`
// k-fold evaluation of the recommender and its baselines on any ratings CSV. JSON on stdout,
// progress on stderr.
import { defineCommand, parseCommand, usageError } from './cli';
import { evaluateKFold, mfGain } from './recommender/evaluation';
import { DEFAULT_THRESHOLD, LIKED_RATING } from './recommender/metrics';
import { DEFAULT_MF_CONFIG, MatrixFactorization, type MfConfig } from './recommender/mf';
import { prepareRatings } from './recommender/prepare';
import { readRatingsCsv } from './recommender/ratings-input';

function parseIntArg(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min || Number(raw) > max) {
    throw new Error(`--${name} must be an integer in ${min}..${max}, got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

function parseConfig(raw: string | undefined): Partial<MfConfig> {
  if (raw === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`--config must be a JSON object, got ${JSON.stringify(raw)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('--config must be a JSON object');
  const unknown = Object.keys(parsed).filter((key) => !(key in DEFAULT_MF_CONFIG));
  if (unknown.length > 0)
    throw new Error(`--config: unknown hyperparameter(s) ${unknown.join(', ')}; known: ${Object.keys(DEFAULT_MF_CONFIG).join(', ')}`);
  new MatrixFactorization(parsed as Partial<MfConfig>); // validates ranges with a clear message
  return parsed as Partial<MfConfig>;
}

const EVALUATE_COMMAND = defineCommand({
  invocation: 'npm run evaluate --',
  summary:
    'Cross-validates the recommender on a ratings file (userId,movieId,rating[,timestamp], comma or tab separated): ' +
    'k-fold RMSE/MAE and ranking metrics of the baselines and the factorization model, as JSON on stdout.',
  options: {
    ratings: { type: 'string', value: 'FILE', description: 'ratings file (required), e.g. data/external/ml-latest-small/ratings.csv' },
    folds: { type: 'string', value: 'K', default: '5', description: 'number of folds, 2..100' },
    seed: { type: 'string', value: 'S', default: '42', description: 'seed of the split and the training' },
    threshold: {
      type: 'string',
      value: 'T',
      default: String(DEFAULT_THRESHOLD),
      description: 'predicted rating from which a title counts as recommended, 0..5',
    },
    threads: { type: 'string', value: 'N', default: String(DEFAULT_MF_CONFIG.threads), description: 'training threads, 1..64' },
    config: {
      type: 'string',
      value: 'JSON',
      description: 'factorization hyperparameters overriding the defaults, e.g. \'{"factors":32,"maxEpochs":40}\'',
    },
  },
  examples: [
    'npm run evaluate -- --ratings data/external/ml-latest-small/ratings.csv',
    'npm run evaluate -- --ratings r.csv --folds 10 --config \'{"factors":32}\'',
  ],
});

interface EvaluateSettings {
  ratings: string;
  folds: number;
  seed: number;
  threads: number;
  threshold: number;
  config: Partial<MfConfig>;
}

/** The settings, or a usage error (exit 2) naming the first bad value. */
function settingsFromArgs(): EvaluateSettings {
  const values = parseCommand(EVALUATE_COMMAND);
  try {
    if (!values.ratings) throw new Error('--ratings FILE is required');
    const folds = parseIntArg('folds', values.folds, 5, 2, 100);
    const seed = parseIntArg('seed', values.seed, 42, 0, 0xffffffff);
    const threads = parseIntArg('threads', values.threads, DEFAULT_MF_CONFIG.threads, 1, 64);
    if (!/^\d+(\.\d+)?$/.test(values.threshold.trim()) || Number(values.threshold) > 5) {
      throw new Error(`--threshold must be a number in 0..5, got ${JSON.stringify(values.threshold)}`);
    }
    return { ratings: values.ratings, folds, seed, threads, threshold: Number(values.threshold), config: parseConfig(values.config) };
  } catch (error) {
    usageError(EVALUATE_COMMAND, (error as Error).message);
  }
}

async function main(): Promise<void> {
  const { ratings, folds, seed, threads, threshold, config: overrides } = settingsFromArgs();
  const values = { ratings };
  const started = performance.now();
  const log = (message: string) => process.stderr.write(`${message}\n`);
  const file = readRatingsCsv(values.ratings);
  const prepared = prepareRatings(file.raw, file.titleIds.length);
  log(`${values.ratings}: ${prepared.stats.pairs} unique pairs, ${prepared.stats.users} users, ${prepared.stats.titles_rated} titles`);
  if (prepared.stats.pairs < folds) throw new Error(`${values.ratings}: only ${prepared.stats.pairs} usable ratings`);
  const config: Partial<MfConfig> = { ...overrides, seed, threads };
  const result = await evaluateKFold(prepared, folds, { seed, threshold, config, onProgress: log });

  const output = {
    models: result.models,
    mf_gain: mfGain(result.models),
    data: {
      file: values.ratings,
      delimiter: file.delimiter === '\t' ? 'tab' : 'comma',
      rows_read: file.rows,
      rejected: file.rejected,
      ...prepared.stats,
    },
    evaluation: {
      folds,
      seed,
      split: 'k-fold over unique (user, title) pairs (latest rating per pair, exact duplicates dropped)',
      liked: `rating >= ${LIKED_RATING}`,
      threshold,
      metrics: 'mean over folds',
    },
    mf: {
      config: new MatrixFactorization(config).config,
      epochs_by_fold: result.mf_logs.map((l) => l?.best_epochs ?? null),
    },
    seconds: (performance.now() - started) / 1000,
  };
  console.log(JSON.stringify(output, null, 2));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
