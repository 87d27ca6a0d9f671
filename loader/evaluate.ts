// `npm run evaluate -- --ratings FILE [--folds K] [--seed S] [--threshold T] [--threads N]`
// k-fold evaluation of the recommender and its baselines on any ratings CSV. JSON on stdout,
// progress on stderr.
import { parseArgs } from 'node:util';
import { evaluateKFold, mfGain } from './recommender/evaluation';
import { DEFAULT_THRESHOLD, LIKED_RATING } from './recommender/metrics';
import { DEFAULT_MF_CONFIG, MatrixFactorization, type MfConfig } from './recommender/mf';
import { prepareRatings } from './recommender/prepare';
import { readRatingsCsv } from './recommender/ratings-csv';

const USAGE =
  'usage: npm run evaluate -- --ratings FILE [--folds K] [--seed S] [--threshold T] [--threads N] [--config JSON]\n' +
  '  --config: factorization hyperparameters overriding the defaults, e.g. \'{"factors":32,"maxEpochs":40}\'';

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
  if (unknown.length > 0) throw new Error(`--config: unknown hyperparameter(s) ${unknown.join(', ')}; known: ${Object.keys(DEFAULT_MF_CONFIG).join(', ')}`);
  new MatrixFactorization(parsed as Partial<MfConfig>); // validates ranges with a clear message
  return parsed as Partial<MfConfig>;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ratings: { type: 'string' },
      folds: { type: 'string' },
      seed: { type: 'string' },
      threshold: { type: 'string' },
      threads: { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.ratings) throw new Error(`--ratings FILE is required\n${USAGE}`);
  const folds = parseIntArg('folds', values.folds, 5, 2, 100);
  const seed = parseIntArg('seed', values.seed, 42, 0, 0xffffffff);
  const threads = parseIntArg('threads', values.threads, DEFAULT_MF_CONFIG.threads, 1, 64);
  let threshold = DEFAULT_THRESHOLD;
  if (values.threshold !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(values.threshold.trim()) || Number(values.threshold) > 5) {
      throw new Error(`--threshold must be a number in 0..5, got ${JSON.stringify(values.threshold)}`);
    }
    threshold = Number(values.threshold);
  }

  const started = performance.now();
  const log = (message: string) => process.stderr.write(`${message}\n`);
  const file = readRatingsCsv(values.ratings);
  const prepared = prepareRatings(file.raw, file.titleIds.length);
  log(`${values.ratings}: ${prepared.stats.pairs} unique pairs, ${prepared.stats.users} users, ${prepared.stats.titles_rated} titles`);
  if (prepared.stats.pairs < folds) throw new Error(`${values.ratings}: only ${prepared.stats.pairs} usable ratings`);
  const config: Partial<MfConfig> = { ...parseConfig(values.config), seed, threads };
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
