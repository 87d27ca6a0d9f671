// The recommender as the loader and the operator use it: trainRecommender's report, and the
// `npm run evaluate` command on real MovieLens data and on an awkward hand-made file.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { RatingRows } from '../../loader/ratings/rows';
import { trainRecommender } from '../../loader/recommender/train';
import { PLATFORMS } from '../../contract';
import { ML_SMALL, syntheticRows } from './recommender-fixtures';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

async function evaluate(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'loader/evaluate.ts', ...args], {
      cwd: ROOT,
      maxBuffer: 1 << 24,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const METRICS = ['rmse', 'mae', 'auc', 'precision', 'recall', 'accuracy'];

describe('npm run evaluate', () => {
  it('on ml-latest-small (5-fold): MF RMSE <= 0.85 and at least 0.02 below biases-only', async () => {
    const { code, stdout, stderr } = await evaluate('--ratings', ML_SMALL, '--folds', '5', '--seed', '42');
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout);
    expect(Object.keys(result.models)).toEqual(['global_mean', 'biases', 'mf']);
    for (const model of Object.values(result.models) as Record<string, unknown>[]) {
      for (const metric of METRICS) expect(typeof model[metric], metric).toBe('number');
    }
    const { global_mean, biases, mf } = result.models;
    expect(mf.rmse).toBeLessThanOrEqual(0.85);
    expect(biases.rmse - mf.rmse).toBeGreaterThanOrEqual(0.02);
    expect(biases.rmse).toBeLessThan(global_mean.rmse);
    expect(mf.auc).toBeGreaterThan(biases.auc);
    expect(global_mean.auc).toBe(0.5);
    expect(result.data).toMatchObject({ rows_read: 100836, pairs: 100836, users: 610, titles_rated: 9724 });
    expect(result.evaluation).toMatchObject({ folds: 5, seed: 42, threshold: 3.5 });
    expect(result.mf.epochs_by_fold).toHaveLength(5);
  });

  it('reads a tab-separated file with string ids and no timestamp', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evaluate-'));
    const path = join(dir, 'ratings.tsv');
    const lines = readFileSync(ML_SMALL, 'utf8').trim().split('\n').slice(1, 20001);
    const body = lines.map((line) => {
      const [user, movie, rating] = line.split(',');
      return `tt${movie.padStart(7, '0')}\t${rating}\tuser-${user}`;
    });
    writeFileSync(path, `${['movieId\trating\tuserId', ...body, body[0]].join('\n')}\n`); // and one exact duplicate
    const { code, stdout, stderr } = await evaluate(
      '--ratings',
      path,
      '--folds',
      '3',
      '--seed',
      '7',
      '--config',
      '{"factors":16,"maxEpochs":15}',
    );
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.data).toMatchObject({
      delimiter: 'tab',
      rows_read: 20001,
      rows: 20001,
      pairs: 20000,
      superseded: 0,
      exact_duplicates: 1,
    });
    expect(result.evaluation.folds).toBe(3);
    expect(result.mf.config.factors).toBe(16);
    expect(result.models.mf.rmse).toBeLessThan(result.models.global_mean.rmse);
  });

  it('fails with a clear message on bad arguments', async () => {
    // A usage mistake exits 2 with the usage; a file that cannot be read is a failure (1).
    const missing = await evaluate('--folds', '3');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('usage: npm run evaluate');
    expect(missing.stderr).toMatch(/--ratings FILE is required/);
    const folds = await evaluate('--ratings', ML_SMALL, '--folds', '1');
    expect(folds.stderr).toMatch(/--folds must be an integer in 2\.\.100/);
    expect(folds.code).toBe(2);
    const config = await evaluate('--ratings', ML_SMALL, '--config', '{"factor":8}');
    expect(config.stderr).toMatch(/unknown hyperparameter\(s\) factor/);
    const absent = await evaluate('--ratings', join(tmpdir(), 'no-such-ratings.csv'));
    expect(absent.code).toBe(1);
    expect(absent.stderr).toMatch(/no-such-ratings\.csv/);
  });
});

describe('trainRecommender', () => {
  it('reports data sizes, hyperparameters and holdout metrics; MF is never worse than biases on user-only signal', async () => {
    // Like the stand-in ratings: per-user bias and noise, no title or interaction signal; plus
    // exact duplicates and re-ratings of a pair, which must be collapsed before training.
    const base = syntheticRows({ users: 1500, titles: 400, perUser: 30, interaction: false, seed: 21 });
    const extra = 300;
    const rows: RatingRows = {
      length: base.length + 2 * extra,
      user: new Int32Array(base.length + 2 * extra),
      title: new Uint16Array(base.length + 2 * extra),
      half: new Uint8Array(base.length + 2 * extra),
      ts: new Uint32Array(base.length + 2 * extra),
    };
    for (const key of ['user', 'title', 'half', 'ts'] as const) rows[key].set(base[key]);
    for (let j = 0; j < extra; j++) {
      const i = j * 7;
      for (const [at, half, ts] of [
        [base.length + 2 * j, base.half[i], base.ts[i]], // exact duplicate
        [base.length + 2 * j + 1, ((base.half[i] + 2) % 10) + 1, base.ts[i] + 1], // a later, different rating
      ]) {
        rows.user[at] = base.user[i];
        rows.title[at] = base.title[i];
        rows.half[at] = half;
        rows.ts[at] = ts;
      }
    }
    const titles = Array.from({ length: 400 }, (_, t) => ({ id: `x${t}`, title: `t${t}`, platform: PLATFORMS[t % 4] }));
    const { model, report } = await trainRecommender(rows, titles, { factors: 8, topN: 10 });

    expect(report.data).toMatchObject({
      rows: rows.length,
      exact_duplicates: extra,
      superseded: extra,
      pairs: base.length,
      users: 1500,
      titles: 400,
    });
    expect(report.hyperparameters).toMatchObject({ factors: 8, topN: 10, holdoutFraction: 0.1, threshold: 3.5 });
    expect(report.evaluation.train_pairs + report.evaluation.test_pairs).toBe(base.length);
    const { global_mean, biases, mf } = report.evaluation.models;
    for (const m of [global_mean, biases, mf]) for (const metric of METRICS) expect(m).toHaveProperty(metric);
    expect(biases.rmse).toBeLessThan(global_mean.rmse);
    expect(mf.rmse).toBeLessThanOrEqual(biases.rmse);
    expect(report.evaluation.mf_gain.rmse).toBeCloseTo(biases.rmse - mf.rmse, 12);
    expect(report.training.early_stopping_curve[0].epoch).toBe(0);
    expect(report.training.seconds).toBeGreaterThan(0);
    expect(model.mf.titleBias).toHaveLength(400);
    // The later rating of each re-rated pair is the one trained on.
    const u = model.prepared.userIds.indexOf(base.user[0]);
    const r =
      model.prepared.userStart[u] +
      Array.from(model.prepared.title.subarray(model.prepared.userStart[u], model.prepared.userStart[u + 1])).indexOf(base.title[0]);
    expect(model.prepared.rating[r]).toBe((((base.half[0] + 2) % 10) + 1) / 2);
  });
});
