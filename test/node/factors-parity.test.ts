// Deliverable "parity" of factors trained elsewhere (docs/reference.md#factors-trained-elsewhere): on
// ml-latest-small, the built-in model's factors written in Spark ALS's Parquet layout and loaded back
// with --factors publish the same model bit for bit: the title blob and every user shard are the same
// bytes, so every served prediction and top-N list is the same, and the second load trains nothing.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeTitleModel, findUserRecord, MODEL_KEYS, scoreTitle, shardOfUser, topTitles } from '../../contract';
import { readCatalog } from '../../loader/catalog/transform';
import { config as baseConfig, type LoaderConfig } from '../../loader/config';
import { buildBundle, type BuildResult } from '../../loader/pipeline';
import { splitFloat64, writeModelFactors } from '../../loader/recommender/export-factors';
import { readFactorTable } from '../../loader/recommender/factor-files';
import type { ModelReport } from '../../loader/recommender/train';
import { ML_SMALL } from './recommender-fixtures';

let root: string;
let trained: BuildResult;
let imported: BuildResult;
let factorsDir: string;

/**
 * ml-latest-small in this project's rating format: its movies (in order of first appearance) take
 * the catalog's titles in catalog order, since its movieIds are MovieLens numbers, not catalog ids.
 */
async function mlSmallAsRatingFiles(dir: string): Promise<void> {
  const { titles } = await readCatalog(baseConfig.titlesDir);
  const lines = readFileSync(ML_SMALL, 'utf8').trim().split('\n');
  const [header, ...rows] = lines.map((l) => l.trim().split(','));
  const col = (name: string) => header.indexOf(name);
  const titleOf = new Map<string, string>();
  const out = ['userId,rating,timestamp,movieId'];
  for (const r of rows) {
    const movie = r[col('movieId')];
    if (!titleOf.has(movie)) titleOf.set(movie, titles[titleOf.size].id);
    out.push(`${r[col('userId')]},${r[col('rating')]},${r[col('timestamp')]},${titleOf.get(movie)}`);
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '1.csv'), `${out.join('\n')}\n`);
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'factors-parity-'));
  const ratingsDir = join(root, 'ratings');
  await mlSmallAsRatingFiles(ratingsDir);
  const cfg: LoaderConfig = { ...baseConfig, ratingsDir, outDir: join(root, 'out'), cacheDir: join(root, 'cache') };
  trained = await buildBundle({ config: cfg });
  factorsDir = join(root, 'factors');
  writeModelFactors(factorsDir, trained.recommender, trained.bundle.titles);
  imported = await buildBundle({ config: { ...cfg, factorsDir } });
}, 600_000);

describe('built-in factors exported to Spark ALS Parquet and imported back (ml-latest-small)', () => {
  it('the files hold Spark ALS vectors: rank k + 5, one row per user and per rated title', async () => {
    const users = await readFactorTable(join(factorsDir, 'userFactors'));
    const items = await readFactorTable(join(factorsDir, 'itemFactors'));
    const { prepared, mf } = trained.recommender;
    expect(users.rank).toBe(mf.k + 5);
    expect(items.rank).toBe(mf.k + 5);
    expect(users.ids.length).toBe(610);
    expect(items.ids.length).toBe(prepared.stats.titles_rated);
    expect(users.files.length).toBe(2);
    // Not a vacuous parity: the factors beat the biases and were kept.
    expect((trained.qualityReport.model as ModelReport).training.epochs).toBeGreaterThan(0);
    expect(mf.userFactors.some((x) => x !== 0)).toBe(true);
  });

  it('the second load trains nothing and says where its factors came from', () => {
    expect(Object.keys(imported.qualityReport.timings_s)).toContain('import factors');
    expect(Object.keys(imported.qualityReport.timings_s)).not.toContain('train recommender');
    const report = JSON.parse(imported.bundle.kv.get(MODEL_KEYS.report) as string);
    expect(report.training.trained).toBe(false);
    expect(report.source.kind).toBe('spark-als-parquet');
    expect(report.source.columns).toMatchObject({
      factors: trained.recommender.mf.k,
      user_bias: 64,
      title_bias: 65,
      mean_terms: [66, 67, 68],
    });
    expect(report.model).toMatch(/biases/);
    expect(imported.bundle.version).not.toBe(trained.bundle.version);
  });

  it('the mean survives its float32 split exactly', () => {
    expect(imported.recommender.mf.mean).toBe(trained.recommender.mf.mean);
    for (const x of [Math.PI, 3.501_822_565_5, 1 / 3, 4.999_999_999_999]) expect(splitFloat64(x).reduce((a, b) => a + b)).toBe(x);
  });

  it('publishes the same title blob and the same user shards, byte for byte', () => {
    const modelKeys = [...trained.bundle.kv.keys()].filter((k) => k.startsWith('model/') && k !== MODEL_KEYS.report);
    expect(modelKeys.length).toBeGreaterThan(1);
    expect([...imported.bundle.kv.keys()].filter((k) => k.startsWith('model/') && k !== MODEL_KEYS.report)).toEqual(modelKeys);
    for (const key of modelKeys)
      expect(
        Buffer.from(imported.bundle.kv.get(key) as Uint8Array).equals(Buffer.from(trained.bundle.kv.get(key) as Uint8Array)),
        key,
      ).toBe(true);
  });

  it('so every user gets identical predictions and top lists from the served values', () => {
    const [a, b] = [trained, imported].map((r) => decodeTitleModel(r.bundle.kv.get(MODEL_KEYS.titles) as Uint8Array));
    const shard = (r: BuildResult, user: number) => r.bundle.kv.get(MODEL_KEYS.userShard(shardOfUser(user, a.shards))) as Uint8Array;
    const userIds = trained.recommender.prepared.userIds;
    for (let i = 0; i < userIds.length; i += 3) {
      const user = userIds[i];
      const ua = findUserRecord(shard(trained, user), user)!;
      const ub = findUserRecord(shard(imported, user), user)!;
      for (let t = i % 29; t < a.ids.length; t += 29) expect(scoreTitle(b, ub, t)).toBe(scoreTitle(a, ua, t));
      expect(topTitles(b, ub, null, 100)).toEqual(topTitles(a, ua, null, 100));
    }
    expect(topTitles(b, null, 'disney', 100)).toEqual(topTitles(a, null, 'disney', 100));
  });
});
