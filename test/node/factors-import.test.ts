// `npm run load -- --factors DIR` (docs/reference.md#factors-trained-elsewhere) on Parquet files in
// exactly Spark ALS's schema, written by hyparquet-writer: a good set publishes p . q with the usual
// shards and lists; each broken set fails with one line naming the problem and leaves the stores as
// they were (pointer, every KV key, D1 rows).
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StoreState, storeState } from '../helpers/store-state';
import { decodeTitleModel, findUserRecord, MODEL_KEYS, scoreTitle, shardOfUser, topTitles } from '../../contract';
import { readCatalog } from '../../loader/catalog/transform';
import { config as baseConfig, type LoaderConfig } from '../../loader/config';
import { load } from '../../loader/main';
import { buildBundle, type BuildResult, inputHash, ratingFiles } from '../../loader/pipeline';
import { seededRandom } from '../../loader/random';
import { readFactorTable } from '../../loader/recommender/factor-files';
import { titleFactorId } from '../../loader/recommender/factor-ids';
import { type FactorRows, writeFactorTable } from '../../loader/recommender/factor-writer';
import { syntheticRows } from './recommender-fixtures';

const RANK = 10; // not a multiple of 4: the served vectors are zero-padded to 12
let root: string;
let cfg: LoaderConfig;
let good: { users: FactorRows; items: FactorRows };
let userIds: number[];
let catalogIds: string[];
let unratedId: number;

function factorRows(ids: number[], rank: number, seed: number): FactorRows {
  const random = seededRandom(seed);
  return { ids, features: ids.map(() => Float32Array.from({ length: rank }, () => (random() - 0.5) * 1.2)) };
}

/** A factors directory holding `users` and `items` (default: the good ones), then changed by `edit`. */
function factorsDir(name: string, sets: Partial<typeof good> = {}, edit?: (dir: string) => void): string {
  const dir = join(root, 'factors', name);
  writeFactorTable(join(dir, 'userFactors'), sets.users ?? good.users, 2);
  writeFactorTable(join(dir, 'itemFactors'), sets.items ?? good.items, 3);
  edit?.(dir);
  return dir;
}

const withRow = (rows: FactorRows, id: number, features: ArrayLike<number>): FactorRows => ({
  ids: [...Array.from(rows.ids), id],
  features: [...rows.features, features],
});

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'factors-import-'));
  const { titles } = await readCatalog(baseConfig.titlesDir);
  catalogIds = titles.map((t) => t.id);
  const rows = syntheticRows({ users: 80, titles: titles.length, perUser: 25, interaction: true, seed: 5 });
  const ratingsDir = join(root, 'ratings');
  mkdirSync(ratingsDir);
  const lines = ['userId,rating,timestamp,movieId'];
  for (let i = 0; i < rows.length; i++) lines.push(`${rows.user[i]},${rows.half[i] / 2},${rows.ts[i]},${catalogIds[rows.title[i]]}`);
  writeFileSync(join(ratingsDir, '1.csv'), `${lines.join('\n')}\n`);
  cfg = {
    ...baseConfig,
    ratingsDir,
    persistDir: join(root, 'state', 'v3'),
    cacheDir: join(root, 'cache'),
    outDir: join(root, 'out'),
  };
  userIds = [...new Set(rows.user)].sort((a, b) => a - b);
  const rated = [...new Set(rows.title)].sort((a, b) => a - b);
  const ratedSet = new Set(rated);
  unratedId = titleFactorId(catalogIds[catalogIds.findIndex((_, t) => !ratedSet.has(t))])!;
  good = {
    users: factorRows(userIds, RANK, 1),
    items: factorRows(
      rated.map((t) => titleFactorId(catalogIds[t])!),
      RANK,
      2,
    ),
  };
}, 120_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('reading a factor table', () => {
  it('reads every row of a file larger than one decoding batch, in order, as float32', async () => {
    const n = 70_000;
    const ids = Array.from({ length: n }, (_, i) => 3 * i + 1);
    const features = ids.map((id) => Float32Array.of(id / 7, -id, 0.1, Math.fround(1 / id)));
    const dir = join(root, 'big');
    writeFactorTable(dir, { ids, features }, 2);
    const table = await readFactorTable(dir);
    expect(table.rank).toBe(4);
    expect(Array.from(table.ids)).toEqual(ids);
    for (const i of [0, 1, 34_999, 35_000, 65_535, 65_536, n - 1]) expect(table.features.subarray(i * 4, i * 4 + 4)).toEqual(features[i]);
  });
});

describe('a good set of Spark ALS factors', () => {
  let built: BuildResult;
  beforeAll(async () => {
    built = await buildBundle({ config: { ...cfg, factorsDir: factorsDir('good') } });
  }, 120_000);

  it('serves user factors . item factors (no biases), clipped, from the usual shards', () => {
    const model = decodeTitleModel(built.bundle.kv.get(MODEL_KEYS.titles) as Uint8Array);
    expect(model.k).toBe(12);
    const itemRow = new Map(Array.from(good.items.ids, (id, r) => [id, good.items.features[r]]));
    for (const [r, user] of userIds.entries()) {
      const record = findUserRecord(built.bundle.kv.get(MODEL_KEYS.userShard(shardOfUser(user, model.shards))) as Uint8Array, user)!;
      expect(record).not.toBeNull();
      for (const [t, id] of catalogIds.entries()) {
        if (t % 97 !== 0) continue;
        const q = itemRow.get(titleFactorId(id)!);
        let dot = 0;
        for (let f = 0; f < RANK; f++) dot += q ? good.users.features[r][f] * q[f] : 0;
        expect(scoreTitle(model, record, t)).toBeCloseTo(dot, 12);
      }
      const top = topTitles(model, record, null, 10);
      expect(top).toHaveLength(10);
      expect(top.every((x, i) => i === 0 || x.score <= top[i - 1].score)).toBe(true);
      expect(top.some((x) => record.ratedTitles.includes(x.title))).toBe(false);
    }
  });

  it('answers unknown users with the ratings baseline (mean + title bias), not with zeros', () => {
    const model = decodeTitleModel(built.bundle.kv.get(MODEL_KEYS.titles) as Uint8Array);
    const top = topTitles(model, null, null, 20);
    expect(top).toHaveLength(20);
    expect(new Set(top.map((x) => x.predicted)).size).toBeGreaterThan(1);
    expect(top[19].predicted).toBeGreaterThan(2);
  });

  it('reports where the factors came from and how predictions are formed', () => {
    const report = JSON.parse(built.bundle.kv.get(MODEL_KEYS.report) as string);
    expect(report.model).toMatch(/Spark MLlib ALS factors: user factors \. item factors, clipped/);
    expect(report.model).toMatch(/no bias terms/);
    expect(report.source).toMatchObject({ kind: 'spark-als-parquet', rank: RANK, served_k: 12 });
    expect(report.source.user_files).toHaveLength(2);
    expect(report.source.item_files).toHaveLength(3);
    expect(report.training.trained).toBe(false);
    expect(report.hyperparameters).toMatchObject({ regFactors: 0.1, bias: { regUser: 15 } });
    expect(report.evaluation.models.mf.rmse).toBeGreaterThan(0);
  });
});

describe('broken factor sets: one clear line, nothing published', () => {
  let before: StoreState;
  beforeAll(async () => {
    const first = await load({ config: { ...cfg, factorsDir: factorsDir('published') } });
    expect(first.published).toBe(true);
    before = await storeState(cfg);
    expect(before.pointer).not.toBeNull();
  }, 180_000);

  const nan = Float32Array.from({ length: RANK }, (_, f) => (f === 3 ? Number.NaN : 0.1));
  const cases: [string, () => string, RegExp][] = [
    [
      'an item id that is no catalog title',
      () => factorsDir('unknown-item', { items: withRow(good.items, 9_999_999, new Float32Array(RANK)) }),
      /itemFactors: item id 9999999 is no catalog title/,
    ],
    [
      'an item id of a catalog title nobody rated',
      () => factorsDir('unrated-item', { items: withRow(good.items, unratedId, new Float32Array(RANK)) }),
      /item id \d+ \([adhn]s\d+\) has no ratings in the rating files/,
    ],
    [
      'a user id absent from the ratings',
      () => factorsDir('unknown-user', { users: withRow(good.users, 999_999, new Float32Array(RANK)) }),
      /userFactors: user id 999999 has no ratings in the rating files/,
    ],
    [
      'a user of the ratings without factors',
      () => factorsDir('missing-user', { users: { ids: Array.from(good.users.ids).slice(1), features: good.users.features.slice(1) } }),
      /user 7 of the rating files has no factors/,
    ],
    [
      'a NaN feature',
      () => factorsDir('nan', { users: withRow({ ids: [], features: [] }, userIds[0], nan) }),
      /feature 3 = NaN, not a finite number/,
    ],
    [
      'rows of different ranks',
      () => factorsDir('ragged', { items: withRow(good.items, 9_999_999, new Float32Array(RANK - 1)) }),
      /has 9 features, id \d+ has 10: mismatched ranks/,
    ],
    [
      'user and item factors of different ranks',
      () => factorsDir('ranks', { items: factorRows(Array.from(good.items.ids), RANK + 2, 3) }),
      /user factors have rank 10, item factors rank 12: mismatched ranks/,
    ],
    [
      'an empty file',
      () =>
        factorsDir('empty-file', {}, (dir) => {
          rmSync(join(dir, 'itemFactors'), { recursive: true });
          writeFactorTable(join(dir, 'itemFactors'), { ids: [], features: [] });
        }),
      /itemFactors: empty, its part files hold no rows/,
    ],
    [
      'an empty directory',
      () =>
        factorsDir('empty-dir', {}, (dir) => {
          for (const f of readdirSync(join(dir, 'userFactors'))) if (f.startsWith('part-')) unlinkSync(join(dir, 'userFactors', f));
        }),
      /userFactors: empty, no part-\*\.parquet files/,
    ],
    [
      'a directory Spark did not finish (no _SUCCESS)',
      () => factorsDir('unfinished', {}, (dir) => unlinkSync(join(dir, 'itemFactors', '_SUCCESS'))),
      /itemFactors: no _SUCCESS file/,
    ],
    [
      'features of another type (double)',
      () =>
        factorsDir('doubles', {}, (dir) => {
          const side = join(dir, 'userFactors');
          for (const f of readdirSync(side)) if (f.startsWith('part-')) unlinkSync(join(side, f));
          const buffer = parquetWriteBuffer({
            columnData: [
              { name: 'id', data: userIds },
              { name: 'features', data: good.users.features.map((f) => Array.from(f)) },
            ],
            schema: [
              { name: 'spark_schema', num_children: 2 },
              { name: 'id', type: 'INT32', repetition_type: 'REQUIRED' },
              { name: 'features', repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST' },
              { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
              { name: 'element', repetition_type: 'REQUIRED', type: 'DOUBLE' },
            ],
          });
          writeFileSync(join(side, 'part-00000.snappy.parquet'), new Uint8Array(buffer));
        }),
      /expected Spark ALS columns id int and features array<float>/,
    ],
  ];

  for (const [name, makeDir, message] of cases) {
    it(name, async () => {
      const dir = makeDir();
      const error = await load({ config: { ...cfg, factorsDir: dir } }).then(
        () => null,
        (e: unknown) => e as Error,
      );
      expect(error, 'the load must fail').not.toBeNull();
      expect(error!.message).toMatch(message);
      expect(error!.message).not.toContain('\n');
      expect(await storeState(cfg)).toEqual(before);
    }, 120_000);
  }
});

describe('the data version of a --factors load', () => {
  it('hashes the factor files by content and by their path inside the directory', async () => {
    const a = factorsDir('copy-a');
    const b = join(root, 'factors', 'copy-b');
    cpSync(a, b, { recursive: true });
    const files = ratingFiles(cfg.ratingsDir);
    const version = (factors?: string) => inputHash(files, { ...cfg, factorsDir: factors });
    expect(await version(b)).toBe(await version(a));
    expect(await version(a)).not.toBe(await version(undefined));
    expect(await version(factorsDir('copy-c', { users: factorRows(userIds, RANK, 9) }))).not.toBe(await version(a));
  });
});
