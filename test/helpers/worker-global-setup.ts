// vitest globalSetup of the "workers" project (runs in Node): the real loader builds a data bundle
// from the full catalog and a sample of the ratings (the real files when present, else the stand-in),
// and hands it to workerd, where test/worker/publish-bundle.ts publishes it with the real publisher.
// The built bundle is cached by input hash, so unchanged inputs cost a second on the next run.
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import type { Title } from '../../contract';
import { loadCachedBundle, saveBundle } from '../../loader/bundle-cache';
import { config } from '../../loader/config';
import { buildBundle, ensureRatings, inputHash } from '../../loader/pipeline';
import type { Log } from '../../loader/progress';
import { buildQueryIndex } from '../../loader/catalog/query-index';
import { readSummary } from '../../loader/ratings/summary';
import { packBundle } from '../worker/bundle-transport';
import { sampleRatings } from './ratings-sample';

/** One user in this many, with all their ratings: ~5,800 users, ~550,000 rows. */
const SAMPLE_EVERY = 20;
const CACHE_DIR = join(config.root, '.cache/worker-tests');

const log: Log = (line) => process.stderr.write(`[worker tests] ${line}\n`);

/** The catalog's query index with the committed summary's exact means as scores. */
function summaryMeansIndex(titles: Title[]): Uint8Array {
  const byId = new Map(readSummary(config.summaryPath).map((s) => [s.movieId, s]));
  return buildQueryIndex(
    titles.map((t) => {
      const s = byId.get(t.id);
      return s && s.n_ratings > 0
        ? { ...t, score: s.rating_sum / s.n_ratings, n_ratings: s.n_ratings }
        : { ...t, score: null, n_ratings: 0 };
    }),
  );
}

export default async function setup(project: TestProject): Promise<void> {
  const t0 = performance.now();
  const { files, source } = await ensureRatings(config.ratingsDir, config, log);
  const sample = await sampleRatings(files, SAMPLE_EVERY, CACHE_DIR);
  const version = await inputHash(sample, config);
  const bundleDir = join(CACHE_DIR, 'bundles');
  let bundle = loadCachedBundle(bundleDir, version);
  if (!bundle) {
    log(`building bundle ${version} from the ratings of 1 user in ${SAMPLE_EVERY} (${source})`);
    bundle = (await buildBundle({ config, inputs: { files: sample, source, version }, log })).bundle;
    saveBundle(bundleDir, bundle, 1);
  }
  const packed = await packBundle({ ...bundle, scores: 'ratings-sample', summaryMeansIndex: summaryMeansIndex(bundle.titles) });
  project.provide('workerBundle', packed);
  log(
    `bundle ${bundle.version}: ${bundle.titles.length} titles, ${bundle.health.counts.ratings_rows} rating rows, ${bundle.kv.size} KV values (${(packed.length / 2 ** 20).toFixed(1)} MiB to workerd), ready in ${Math.round(performance.now() - t0)} ms`,
  );
}
