/**
 * The memory profile of a load's heavy part at one stand-in scale: ingest, training and the
 * recommender export alone (no catalog indexes, EDA or publish), each stage's peak RSS (VmHWM reset
 * between stages), and the resident set at every progress line of training, so the steps that hold
 * memory show. Run it as its own process so the peaks are its alone:
 *   npx tsx bench/train-memory.ts --ratings .cache/bench/ratings-s4 [--out profile.json]
 * The digest covers the published model's parameters and top lists: equal digests, equal model.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readCatalog } from '../loader/catalog/transform';
import { config } from '../loader/config';
import { ratingFiles } from '../loader/pipeline';
import { ingestRatings } from '../loader/ratings/ingest';
import type { RatingRows } from '../loader/ratings/rows';
import * as recommender from '../loader/recommender';
import { collectGarbage } from '../loader/memory';
import { peakRssMiB, resetPeakRss, rssMiB } from './proc-memory';

const { values } = parseArgs({ options: { ratings: { type: 'string' }, out: { type: 'string' } } });
if (!values.ratings) throw new Error('--ratings DIR is required');
const files = ratingFiles(values.ratings);
if (files.length === 0) throw new Error(`no rating files in ${values.ratings}`);

const started = performance.now();
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0).padStart(5);
const log = (message: string) =>
  process.stderr.write(
    `${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s  rss ${rssMiB().toFixed(0).padStart(5)}  peak ${peakRssMiB().toFixed(0).padStart(5)}  buffers ${mib(process.memoryUsage().arrayBuffers)}  heap ${mib(process.memoryUsage().heapUsed)} MiB  ${message}\n`,
  );
const stages: { name: string; seconds: number; peakRssMiB: number; endRssMiB: number }[] = [];
async function stage<T>(name: string, fn: () => Promise<T>): Promise<T> {
  resetPeakRss();
  const t0 = performance.now();
  const result = await fn();
  stages.push({ name, seconds: (performance.now() - t0) / 1000, peakRssMiB: Math.round(peakRssMiB()), endRssMiB: Math.round(rssMiB()) });
  log(`${name} done`);
  return result;
}

const { titles } = await readCatalog(config.titlesDir);
const ingest = await stage('ingest ratings', () =>
  ingestRatings({ files, titleIds: titles.map((t) => t.id), threads: config.threads, maxRejectRatio: config.maxRejectRatio }),
);
const rowCount = ingest.rows.length;
log(`${rowCount} rows, ${ingest.users} users`);

// The pipeline's order where the branch has it: prepare, then drop the rows; else train from the rows
// (the rows then live through training, as the pipeline kept them before).
const holder: { rows: RatingRows | undefined } = { rows: ingest.rows };
(ingest as { rows: unknown }).rows = undefined;
const lib = recommender as Record<string, unknown>;
const trained = await stage('train recommender', () => {
  if (typeof lib.prepareRatings === 'function') {
    const take = () => {
      const rows = holder.rows!;
      holder.rows = undefined;
      const prepare = lib.prepareRatings as (raw: unknown, n: number) => never;
      const toRaw = lib.ratingRowsToRaw as (rows: RatingRows) => unknown;
      return prepare(toRaw(rows), titles.length);
    };
    return recommender.trainRecommender(take(), titles, {}, log);
  }
  return recommender.trainRecommender(holder.rows!, titles, {}, log);
});
const { model, report } = trained;
const exported = await stage('recommender export', async () => {
  collectGarbage(); // as the pipeline does before its export
  return recommender.buildRecommenderExport(model, titles);
});

const digest = createHash('sha256');
for (const a of [model.mf.userBias, model.mf.titleBias, model.mf.userFactors, model.mf.titleFactors, model.top.titles, model.top.length]) {
  digest.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}
digest.update(String(model.mf.mean));
const result = {
  ratings: values.ratings,
  rows: rowCount,
  pairs: report.data.pairs,
  users: report.data.users,
  threads: report.hyperparameters.threads,
  stages,
  peakRssMiB: Math.max(...stages.map((s) => s.peakRssMiB)),
  bytesPerRow: Math.round((Math.max(...stages.map((s) => s.peakRssMiB)) * 1024 * 1024) / rowCount),
  holdout_rmse: report.evaluation.models.mf.rmse,
  holdout: Object.fromEntries(Object.entries(report.evaluation.models).map(([k, m]) => [k, m.rmse])),
  epochs: report.training.epochs,
  kvValues: exported.values.size,
  digest: digest.digest('hex').slice(0, 16),
};
const json = JSON.stringify({ ...result, timings: { ...report.training, early_stopping_curve: undefined } }, null, 2);
if (values.out) writeFileSync(values.out, `${json}\n`);
console.log(json);
process.exit(0);
