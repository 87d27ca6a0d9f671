// Where the bench keeps its data: everything under .cache/bench/, so the user's .wrangler state, bundle
// cache, reports and data/ratings are never touched by a bench run.
import { join } from 'node:path';
import { config as baseConfig, ROOT, type LoaderConfig } from '../loader/config';

export const BENCH_DIR = join(ROOT, '.cache/bench');
/** Where a run's results.json, RESULTS.md and growth.svg go by default (committed). */
export const RESULTS_DIR = join(ROOT, 'bench');
export const PROFILE_DIR = join(BENCH_DIR, 'profiles');
export { WRANGLER_BIN } from '../scripts/wrangler-dev';
export const TSX_CLI = join(ROOT, 'node_modules/tsx/dist/cli.mjs');

/** Stand-in rating files of one scale (kept between runs; regenerated when a run measures generation). */
export function ratingsDir(scale: number): string {
  return join(BENCH_DIR, `ratings-s${scale}`);
}

/** A loader configuration writing only under `dir` (state, cache, reports) and reading `ratings`. */
export function benchConfig(dir: string, ratings: string): LoaderConfig & { persistRoot: string } {
  const persistRoot = join(dir, 'state');
  return {
    ...baseConfig,
    ratingsDir: ratings,
    // wrangler dev --persist-to X keeps its stores in X/v3; the loader's Miniflare takes that directory itself.
    persistDir: join(persistRoot, 'v3'),
    persistRoot,
    cacheDir: join(dir, 'bundles'),
    outDir: join(dir, 'out'),
  };
}

/** The run directory of the per-stage loader measurement at one scale; its state serves the API bench. */
export function scaleDir(scale: number): string {
  return join(BENCH_DIR, `s${scale}`);
}
