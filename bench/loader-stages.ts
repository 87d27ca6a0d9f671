/**
 * One loader run at one stand-in scale, measured stage by stage in this process (run it as a child so
 * its peak RSS is the loader's alone):
 *   npx tsx bench/loader-stages.ts --scale 1 [--reuse-standin] [--out result.json]
 * Stages: stand-in generation, input hash, then buildBundle's own stages as it logs them (catalog =
 * the transform of docs/reference.md#catalog-transformations, ingest, scores, query indexes, training,
 * recommender export, EDA report), then the local publish into a fresh persist directory under
 * .cache/bench/s<scale>/ (which the API bench serves with wrangler dev).
 */
import { isMainModule } from '../loader/cli';
import { rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { openLocalStores, publishLocally } from '../loader/publish/local-stores';
import { buildBundle, inputHash, ratingFiles } from '../loader/pipeline';
import { collectGarbage } from '../loader/memory';
import { generateStandIn, MAX_STANDIN_SCALE, MIN_STANDIN_SCALE, readStandInMarker, standInIsCurrent } from '../loader/standin/generate';
import { benchConfig, ratingsDir, scaleDir } from './paths';
import { peakRssMiB } from './proc-memory';
import { StageRecorder, type StageMeasurement } from './stage-recorder';

export interface LoaderRun {
  scale: number;
  rows: number;
  users: number;
  ratingBytes: number;
  version: string;
  /** False where /proc/self/clear_refs is not writable: then every peak is the process peak so far. */
  perStagePeaks: boolean;
  stages: StageMeasurement[];
  totalSeconds: number;
  peakRssMiB: number;
  kvValues: number;
  kvBytes: number;
  /** buildBundle's own stage timings (qualityReport.timings_s), as a cross-check. */
  pipelineTimings: Record<string, number>;
}

export async function measureLoader(scale: number, reuseStandIn: boolean, log: (line: string) => void): Promise<LoaderRun> {
  if (!(scale >= MIN_STANDIN_SCALE && scale <= MAX_STANDIN_SCALE))
    throw new Error(`--scale must be between ${MIN_STANDIN_SCALE} and ${MAX_STANDIN_SCALE}, got ${scale}`);
  const dir = scaleDir(scale);
  const ratings = ratingsDir(scale);
  const cfg = benchConfig(dir, ratings);
  rmSync(dir, { recursive: true, force: true });
  const rec = new StageRecorder();
  const t0 = performance.now();

  if (!reuseStandIn || !standInIsCurrent(ratings, { seed: cfg.standInSeed, scale, summaryPath: cfg.summaryPath })) {
    await rec.run('stand-in generation', () =>
      generateStandIn({ outDir: ratings, seed: cfg.standInSeed, scale, summaryPath: cfg.summaryPath }),
    );
  }
  const marker = readStandInMarker(ratings);
  if (!marker) throw new Error(`no stand-in marker in ${ratings}`);
  const files = ratingFiles(ratings);
  const version = await rec.run('input hash', () => inputHash(files, cfg));

  // Only the bundle is kept, as loader/main.ts keeps it: the build result also holds the trained
  // model (for export-factors), which would otherwise be counted in the publish stage's peak.
  const { bundle, qualityReport } = await buildBundle({
    config: cfg,
    inputs: { files, source: 'stand-in', version },
    log: rec.logHook(log),
  });
  rec.end();

  await rec.run('publish', async () => {
    collectGarbage(); // as loader/main.ts does before it publishes
    const stores = await openLocalStores(cfg, cfg.persistDir);
    try {
      await publishLocally(bundle, stores); // as loader/main.ts publishes
    } finally {
      await stores.dispose();
    }
  });
  const totalSeconds = (performance.now() - t0) / 1000;
  const values = [...bundle.kv.values()];
  return {
    scale,
    rows: marker.rows,
    users: marker.users,
    ratingBytes: marker.files.reduce((n, f) => n + f.bytes, 0),
    version,
    perStagePeaks: rec.peakResets,
    stages: rec.stages,
    totalSeconds: Math.round(totalSeconds * 1000) / 1000,
    peakRssMiB: Math.round(Math.max(peakRssMiB(), ...rec.stages.map((s) => s.peakRssMiB))),
    kvValues: values.length,
    kvBytes: values.reduce((n, v) => n + (typeof v === 'string' ? Buffer.byteLength(v) : v.byteLength), 0),
    pipelineTimings: qualityReport.timings_s,
  };
}

if (isMainModule(import.meta.url)) {
  const { values } = parseArgs({
    options: { scale: { type: 'string', default: '1' }, 'reuse-standin': { type: 'boolean', default: false }, out: { type: 'string' } },
  });
  const run = await measureLoader(Number(values.scale), values['reuse-standin'], (line) => process.stderr.write(`${line}\n`));
  const json = JSON.stringify(run, null, 2);
  if (values.out) writeFileSync(values.out, `${json}\n`);
  else console.log(json);
  // Miniflare and worker threads may keep handles open; the measurement is complete.
  process.exit(0);
}
