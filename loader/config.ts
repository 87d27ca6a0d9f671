// The loader's one configuration object. Everything a run can vary lives here.
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export const config = {
  root: ROOT,
  titlesDir: join(ROOT, 'data/titles'),
  ratingsDir: join(ROOT, 'data/ratings'),
  summaryPath: join(ROOT, 'data/movie_ratings_summary.csv.gz'),
  migrationsDir: join(ROOT, 'migrations'),
  wranglerConfig: join(ROOT, 'wrangler.toml'),
  /** Same persistence wrangler dev uses, so a local publish is what `npm run dev` serves. */
  persistDir: join(ROOT, '.wrangler/state/v3'),
  /** Built bundles keyed by input hash: a second start with unchanged inputs skips the build. */
  cacheDir: join(ROOT, '.cache/bundles'),
  /** Human-readable outputs: data-quality report, EDA report. */
  outDir: join(ROOT, 'out'),
  standInSeed: 42,
  threads: 2,
  /** Above this share of rejected rating rows the load stops and publishes nothing. */
  maxRejectRatio: 0.01,
  /** Bundles kept in the cache besides the current one. */
  keepCachedBundles: 2,
  /** Publish the user and title factors of a Spark ALS job in this directory instead of training
   * (docs/reference.md#factors-trained-elsewhere); undefined: train the built-in model. */
  factorsDir: undefined as string | undefined,
};
export type LoaderConfig = typeof config;
