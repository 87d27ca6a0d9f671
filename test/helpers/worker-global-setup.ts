// vitest globalSetup of the "workers" project (runs in Node): builds a data bundle from the real
// catalog with the real loader code and hands it to workerd, where test/worker/publish-bundle.ts
// publishes it with the real publisher into the test's KV and D1.
import { createHash } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { ARTIFACT, dataKey, type DataHealth } from '../../contract';
import { attachScores, readCatalog } from '../../loader/catalog';
import { buildEdaReport } from '../../loader/eda';
import type { Bundle } from '../../loader/publish';
import { buildQueryIndex } from '../../loader/query-index';
import { readSummary } from '../../loader/summary';
import { packBundle } from '../worker/bundle-transport';

/**
 * The full catalog scored with the committed summary's exact means, which are also what a full
 * stand-in load computes (the stand-in reproduces every title's rating_sum and n_ratings).
 */
const NO_RATING_ROWS = { length: 0, user: new Int32Array(0), title: new Uint16Array(0), half: new Uint8Array(0), ts: new Uint32Array(0) };

async function buildTestBundle(): Promise<Bundle> {
  const { titles, report } = await readCatalog();
  const byId = new Map(readSummary().map((s) => [s.movieId, s]));
  const sum = new Float64Array(titles.length);
  const count = new Uint32Array(titles.length);
  titles.forEach((t, i) => {
    const s = byId.get(t.id);
    if (s) {
      sum[i] = s.rating_sum;
      count[i] = s.n_ratings;
    }
  });
  attachScores(titles, sum, count);
  const queryIndex = buildQueryIndex(titles);
  const version = `test-${createHash('sha256').update(queryIndex).digest('hex').slice(0, 12)}`;
  const ratingsRows = count.reduce((a, b) => a + b, 0);
  const health: DataHealth = {
    version,
    built_at: new Date().toISOString(),
    ratings_source: 'stand-in',
    counts: {
      titles: titles.length,
      movies: titles.filter((t) => t.type === 'movie').length,
      ratings_rows: ratingsRows,
      ratings_rejected: 0,
      users: 0,
    },
  };
  const kv = new Map<string, Uint8Array | string>([
    [dataKey(version, ARTIFACT.queryIndex), queryIndex],
    [dataKey(version, ARTIFACT.health), JSON.stringify(health)],
    // The catalog half of the report (the bundle carries no rating rows), so /eda answers as after a load.
    [dataKey(version, ARTIFACT.eda), buildEdaReport({ titles, rows: NO_RATING_ROWS, catalogReport: report, ratingsSource: 'stand-in' })],
  ]);
  return { version, kv, titles, health };
}

export default async function setup(project: TestProject): Promise<void> {
  const t0 = performance.now();
  const bundle = await buildTestBundle();
  project.provide('workerBundle', packBundle(bundle, 'summary-means'));
  console.log(`[worker tests] bundle ${bundle.version}: ${bundle.titles.length} titles, built in ${Math.round(performance.now() - t0)} ms`);
}
