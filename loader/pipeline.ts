// The loader's stages in order: ratings source -> catalog -> ingest -> scores -> indexes -> model
// -> reports, producing one immutable Bundle. Publishing is a separate step (loader/publish/publish.ts).
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ARTIFACT, encodeCatalog, type DataHealth, type Title } from '../contract';
import { attachScores, formatCatalogReport, readCatalog } from './catalog/transform';
import { config as defaultConfig, type LoaderConfig } from './config';
import { buildEdaReport } from './eda/report';
import { buildQueryIndex } from './catalog/query-index';
import { compareWithSummary, ingestRatings } from './ratings/ingest';
import { exportRecommender, prepareRatings, ratingRowsToRaw, trainRecommender, type PreparedRatings } from './recommender';
import { allocRatingRows, type RatingRows } from './ratings/rows';
import { factorFiles } from './recommender/factor-files';
import type { FactorParams } from './recommender/mf-params';
import { importRecommender } from './recommender/import-factors';
import type { RecommenderReport, TrainedRecommender } from './recommender/train';
import { generateStandIn, standInIsCurrent } from './standin/generate';
import type { Bundle } from './publish/publish';
import { readSummary } from './ratings/summary';
import { stage, type Log, type Progress } from './progress';
import { collectGarbage } from './memory';

export interface BuildOptions {
  config?: LoaderConfig;
  /** Rating files to use; default: data/ratings/*.csv, generated as a stand-in when absent. */
  ratingsDir?: string;
  log?: Log;
  /** Inputs already resolved by the caller (see resolveInputs). */
  inputs?: Inputs;
}

export interface Inputs {
  files: string[];
  source: 'files' | 'stand-in';
  version: string;
}

/** Finds (or generates) the rating files and hashes every input into the data version. */
export async function resolveInputs(cfg: LoaderConfig, log: Log, ratingsDir = cfg.ratingsDir): Promise<Inputs> {
  const { files, source } = await ensureRatings(ratingsDir, cfg, log);
  const t0 = performance.now();
  const version = await inputHash(files, cfg);
  log(`  inputs hashed in ${((performance.now() - t0) / 1000).toFixed(1)}s: version ${version}`);
  return { files, source, version };
}

export interface BuildResult {
  bundle: Bundle;
  /** The published model (trained or imported), for tools that write it elsewhere (export-factors). */
  recommender: TrainedRecommender<RecommenderReport, FactorParams>;
  qualityReport: QualityReport;
  qualityText: string;
  edaHtml: string;
}

export interface QualityReport {
  version: string;
  built_at: string;
  ratings_source: 'files' | 'stand-in';
  catalog: unknown;
  ratings: unknown;
  summary_check: unknown;
  model: RecommenderReport;
  timings_s: Record<string, number>;
}

/** Rating files in a directory, in numeric order (1.csv, 2.csv, ..., 10.csv). */
export function ratingFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /^\d+\.csv$/.test(f))
    .sort((a, b) => parseInt(a, 10) - parseInt(b, 10))
    .map((f) => join(dir, f));
}

/** Real files when present; otherwise the deterministic stand-in, generated if missing or stale. */
export async function ensureRatings(dir: string, cfg: LoaderConfig, log: Log): Promise<{ files: string[]; source: 'files' | 'stand-in' }> {
  const files = ratingFiles(dir);
  const isStandIn = existsSync(join(dir, 'STANDIN.json'));
  if (files.length > 0 && !isStandIn) return { files, source: 'files' };
  if (!standInIsCurrent(dir, { seed: cfg.standInSeed, scale: 1 })) {
    await stage(log, 'stand-in ratings', async (progress) => {
      const result = await generateStandIn({
        outDir: dir,
        seed: cfg.standInSeed,
        scale: 1,
        summaryPath: cfg.summaryPath,
        onProgress: (rows, total) => progress(rows, total, 'rows'),
      });
      return `${result.rows.toLocaleString('en-US')} rows, ${result.users.toLocaleString('en-US')} users`;
    });
  }
  return { files: ratingFiles(dir), source: 'stand-in' };
}

/** The .ts and .mjs files under `dir`, in a fixed order. */
function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') || f.endsWith('.mjs'))
    .sort()
    .map((f) => join(dir, f));
}

/** The inputs' hash: loader and contract code, catalog, summary, ratings. Equal hash = equal output. */
export async function inputHash(files: string[], cfg: LoaderConfig): Promise<string> {
  const hash = createHash('sha256');
  // Every source file the build runs, in every stage folder: a code change makes a new data version.
  const code = ['loader', 'contract'].flatMap((d) => sourceFiles(join(cfg.root, d)));
  const titleFiles = readdirSync(cfg.titlesDir)
    .sort()
    .map((f) => join(cfg.titlesDir, f));
  // Imported factors are an input like the ratings: other factors, another data version. Named by
  // their path inside the factors directory, so the same files copied elsewhere keep the version.
  const factorsDir = cfg.factorsDir;
  const factors = factorsDir ? ['userFactors', 'itemFactors'].flatMap((side) => factorFiles(join(factorsDir, side))) : [];
  const name = (file: string) =>
    factorsDir && factors.includes(file) ? `factors/${relative(factorsDir, file)}` : file.slice(cfg.root.length);
  for (const file of [...code, ...titleFiles, cfg.summaryPath, ...files, ...factors]) {
    hash.update(`${name(file)}\0${statSync(file).size}\0`);
    await new Promise<void>((resolve, reject) =>
      createReadStream(file, { highWaterMark: 1 << 20 })
        .on('data', (chunk) => hash.update(chunk))
        .on('end', resolve)
        .on('error', reject),
    );
  }
  return hash.digest('hex').slice(0, 16);
}

export async function buildBundle(options: BuildOptions = {}): Promise<BuildResult> {
  const cfg = options.config ?? defaultConfig;
  const log = options.log ?? (() => {});
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, fn: (progress: Progress) => Promise<T>, done?: (r: T) => string) => {
    const t0 = performance.now();
    const result = await stage(log, name, fn, done);
    timings[name] = Math.round(performance.now() - t0) / 1000;
    return result;
  };

  const { files, source, version } = options.inputs ?? (await resolveInputs(cfg, log, options.ratingsDir));

  const { titles, report: catalogReport } = await timed(
    'catalog',
    () => readCatalog(cfg.titlesDir),
    (r) => `${r.titles.length.toLocaleString('en-US')} titles`,
  );
  const titleIds = titles.map((t) => t.id);

  const ingest = await timed(
    'ingest ratings',
    (progress) =>
      ingestRatings({
        files,
        titleIds,
        threads: cfg.threads,
        maxRejectRatio: cfg.maxRejectRatio,
        onProgress: (p) => progress(p.rows, undefined, 'rows', p.bytes / p.totalBytes),
      }),
    (r) =>
      `${r.rows.length.toLocaleString('en-US')} rows kept, ${r.rejected.total.toLocaleString('en-US')} rejected, ${Math.round(r.totalRows / r.seconds).toLocaleString('en-US')} rows/s`,
  );
  for (const f of ingest.files) {
    if (f.unterminatedLastLine)
      log(`  warning: ${f.path} does not end with a line break: a cut-off copy? Its last row was checked like any other.`);
  }
  const summaryCheck = source === 'files' ? compareWithSummary(ingest.perTitle, titleIds, readSummary(cfg.summaryPath)) : null;

  attachScores(titles, ingest.perTitle.sum, ingest.perTitle.count);
  const queryIndex = await timed(
    'query indexes',
    async () => buildQueryIndex(titles),
    (b) => `${(b.byteLength / 1024).toFixed(0)} KiB`,
  );

  const kv = new Map<string, Uint8Array | string>();
  kv.set(ARTIFACT.queryIndex, queryIndex);
  const catalog = await timed(
    'catalog index',
    async () => encodeCatalog(titles),
    (c) => `index ${(c.index.byteLength / 1024 / 1024).toFixed(1)} MiB, rows ${(c.rows.byteLength / 1024 / 1024).toFixed(1)} MiB`,
  );
  kv.set(ARTIFACT.catalog, catalog.index);
  kv.set(ARTIFACT.catalogRows, catalog.rows);

  // The EDA report reads the rows; it runs before training so the rows can go before training's
  // own memory is allocated (docs/reference.md#loader-memory).
  const keptRows = ingest.rows.length;
  const edaHtml = await timed(
    'eda report',
    async () => buildEdaReport({ titles, rows: ingest.rows, catalogReport, ratingsSource: source }),
    (h) => `${(h.length / 1024).toFixed(0)} KiB`,
  );
  kv.set(ARTIFACT.eda, edaHtml);

  // With --factors the model comes from a Spark ALS job (docs/reference.md#factors-trained-elsewhere):
  // nothing is trained, and a bad factor file stops the load here, before anything is published.
  const factorsDir = cfg.factorsDir;
  const { model, report: modelReport } = factorsDir
    ? await timed(
        'import factors',
        () => importRecommender(ingest.rows, titles, factorsDir, { threads: cfg.threads }),
        (r) => `rank ${r.report.source.rank}, ${r.report.data.users.toLocaleString('en-US')} users, no training`,
      )
    : await timed(
        'train recommender',
        () => trainRecommender(prepareAndDropRows(ingest, titles.length), titles),
        (r) => `${r.report.data.pairs.toLocaleString('en-US')} pairs`,
      );
  collectGarbage(); // training's leftovers, before the export allocates every user shard
  for (const [name, value] of exportRecommender(model, titles)) kv.set(name, value);

  const builtAt = new Date().toISOString();
  const users = ingest.users;
  const health: DataHealth = {
    version,
    built_at: builtAt,
    ratings_source: source,
    counts: {
      titles: titles.length,
      movies: titles.filter((t) => t.type === 'movie').length,
      ratings_rows: keptRows,
      ratings_rejected: ingest.rejected.total,
      users,
    },
  };
  kv.set(ARTIFACT.health, JSON.stringify(health));

  const qualityReport: QualityReport = {
    version,
    built_at: builtAt,
    ratings_source: source,
    catalog: catalogReport,
    ratings: { total_rows: ingest.totalRows, kept_rows: keptRows, users, rejected: ingest.rejected, files: ingest.files },
    summary_check: summaryCheck,
    model: modelReport,
    timings_s: timings,
  };
  const qualityText = formatQualityText(qualityReport, formatCatalogReport(catalogReport));
  kv.set(ARTIFACT.quality, JSON.stringify(qualityReport));

  return { bundle: { version, kv, titles, health }, recommender: model, qualityReport, qualityText, edaHtml };
}

/** The training pairs, with the rows taken out of `ingest` first: nothing reads them after this, so
 * they are garbage once prepared (11 bytes a row, 460 MiB at 4x) instead of living through training. */
function prepareAndDropRows(ingest: { rows: RatingRows }, nTitles: number): PreparedRatings {
  const rows = ingest.rows;
  ingest.rows = allocRatingRows(0);
  return prepareRatings(ratingRowsToRaw(rows), nTitles);
}

function formatQualityText(r: QualityReport, catalogText: string): string {
  const ratings = r.ratings as {
    total_rows: number;
    kept_rows: number;
    users: number;
    rejected: { total: number; byReason: Record<string, number> };
    files: { path: string; rows: number; rejected: number; lineEnding: string; unterminatedLastLine: boolean }[];
  };
  const lines = [
    `Data-quality report, version ${r.version}, built ${r.built_at}`,
    `Ratings source: ${r.ratings_source}`,
    '',
    catalogText,
    '',
    'Ratings',
    `  rows read: ${ratings.total_rows.toLocaleString('en-US')}, kept: ${ratings.kept_rows.toLocaleString('en-US')}, users: ${ratings.users.toLocaleString('en-US')}`,
    `  rejected: ${ratings.rejected.total.toLocaleString('en-US')}`,
    ...Object.entries(ratings.rejected.byReason)
      .filter(([, n]) => n > 0)
      .map(([reason, n]) => `    ${reason}: ${n.toLocaleString('en-US')}`),
    '  files:',
    ...ratings.files.map(
      (f) =>
        `    ${f.path}: ${f.rows.toLocaleString('en-US')} rows, ${f.rejected.toLocaleString('en-US')} rejected, ${f.lineEnding} line ends` +
        (f.unterminatedLastLine ? ', NO FINAL LINE BREAK (cut-off copy?)' : ''),
    ),
  ];
  if (r.summary_check) lines.push('', 'Check against the committed summary', `  ${JSON.stringify(r.summary_check)}`);
  const ev = r.model.evaluation;
  lines.push(
    '',
    `Recommender: ${r.model.model}`,
    `  (${ev.split}; ${r.model.data.pairs.toLocaleString('en-US')} unique pairs, ${r.model.data.exact_duplicates.toLocaleString('en-US')} exact duplicates dropped)`,
    '  model         rmse     mae      auc      precision recall   accuracy',
    ...Object.entries(ev.models)
      .flatMap(([name, m]) => (m ? [[name, m] as const] : []))
      .map(
        ([name, m]) =>
          `  ${name.padEnd(12)}  ${[m.rmse, m.mae, m.auc, m.precision, m.recall, m.accuracy].map((x) => (x === null ? 'n/a' : x.toFixed(4)).padEnd(8)).join(' ')}`,
      ),
  );
  lines.push('', 'Stage timings (s)', ...Object.entries(r.timings_s).map(([k, v]) => `  ${k}: ${v}`));
  return `${lines.join('\n')}\n`;
}

export type { Title };
