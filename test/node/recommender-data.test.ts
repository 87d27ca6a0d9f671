// From raw rows to evaluation splits: duplicates, the latest rating per pair, splits over unique
// pairs, the evaluation CSV reader, and the metrics.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auc, computeMetrics } from '../../loader/recommender/metrics';
import { prepareRatings, type RawRatings } from '../../loader/recommender/prepare';
import { readRatingsCsv } from '../../loader/recommender/ratings-input';
import { assignFolds, assignHoldout, selectPairs } from '../../loader/recommender/split';
import { mlLatestSmall, pairsOf } from './recommender-fixtures';

function raw(rows: [user: number, title: number, rating: number, ts?: number][], withTs = true): RawRatings {
  return {
    length: rows.length,
    user: Int32Array.from(rows, (r) => r[0]),
    title: Int32Array.from(rows, (r) => r[1]),
    rating: Float32Array.from(rows, (r) => r[2]),
    ts: withTs ? Uint32Array.from(rows, (r) => r[3] ?? 0) : undefined,
  };
}

describe('prepareRatings', () => {
  it('drops exact duplicates, keeps the latest rating per pair, and counts both', () => {
    const p = prepareRatings(
      raw([
        [50, 1, 4, 100],
        [50, 1, 4, 100], // exact duplicate
        [50, 1, 2, 300], // later: wins
        [50, 1, 5, 200], // older, distinct: superseded
        [9, 0, 3, 10],
        [50, 0, 1, 50],
        [9, 0, 3, 10], // exact duplicate
      ]),
      3,
    );
    expect(Array.from(p.userIds)).toEqual([9, 50]);
    expect(Array.from(p.user)).toEqual([0, 1, 1]);
    expect(Array.from(p.title)).toEqual([0, 0, 1]);
    expect(Array.from(p.rating)).toEqual([3, 1, 2]);
    expect(Array.from(p.userStart)).toEqual([0, 1, 3]);
    expect(p.stats).toEqual({ rows: 7, exact_duplicates: 2, superseded: 2, pairs: 3, users: 2, titles_rated: 2 });
  });

  it('breaks timestamp ties by file order, and uses file order when there are no timestamps', () => {
    const tie = prepareRatings(
      raw([
        [1, 0, 2, 100],
        [1, 0, 4.5, 100],
      ]),
      1,
    );
    expect(Array.from(tie.rating)).toEqual([4.5]);
    const noTs = prepareRatings(
      raw(
        [
          [1, 0, 2],
          [1, 0, 1],
          [1, 0, 3.5],
        ],
        false,
      ),
      1,
    );
    expect(Array.from(noTs.rating)).toEqual([3.5]);
    expect(noTs.stats.superseded).toBe(2);
  });

  it('rejects title indices outside the catalog', () => {
    expect(() => prepareRatings(raw([[1, 5, 3, 1]]), 5)).toThrow(/title index 5/);
  });

  it('sorts pairs by user, then title, for any input order (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: -5, max: 5 }),
            fc.integer({ min: 0, max: 6 }),
            fc.integer({ min: 1, max: 10 }),
            fc.integer({ min: 0, max: 3 }),
          ),
          { maxLength: 60 },
        ),
        (rows) => {
          const p = prepareRatings(raw(rows.map(([u, t, h, ts]) => [u, t, h / 2, ts])), 7);
          const latest = new Map<string, { rating: number; ts: number }>();
          for (const [u, t, h, ts] of rows) {
            const key = `${u},${t}`;
            const prev = latest.get(key);
            if (!prev || ts >= prev.ts) latest.set(key, { rating: h / 2, ts });
          }
          expect(p.stats.pairs).toBe(latest.size);
          for (let i = 0; i < p.stats.pairs; i++) {
            const key = `${p.userIds[p.user[i]]},${p.title[i]}`;
            expect(p.rating[i]).toBe(latest.get(key)!.rating);
            if (i > 0) expect(p.user[i] > p.user[i - 1] || (p.user[i] === p.user[i - 1] && p.title[i] > p.title[i - 1])).toBe(true);
          }
        },
      ),
    );
  });
});

describe('splits over unique pairs', () => {
  const pairs = pairsOf(mlLatestSmall());
  const n = pairs.user.length;

  it('k folds partition the pairs: each pair in exactly one test fold, sizes within one', () => {
    const folds = assignFolds(n, 5, 42);
    const sizes = [0, 0, 0, 0, 0];
    folds.forEach((f) => sizes[f]++);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    let total = 0;
    for (let f = 0; f < 5; f++) {
      const train = selectPairs(pairs, folds, f, true);
      const test = selectPairs(pairs, folds, f);
      total += test.user.length;
      expect(train.user.length + test.user.length).toBe(n);
      const trainKeys = new Set(Array.from(train.user, (u, i) => u * pairs.nTitles + train.title[i]));
      for (let i = 0; i < test.user.length; i++) expect(trainKeys.has(test.user[i] * pairs.nTitles + test.title[i])).toBe(false);
    }
    expect(total).toBe(n);
  });

  it('are seeded: same seed same split, other seed another', () => {
    expect(assignFolds(n, 5, 1)).toEqual(assignFolds(n, 5, 1));
    expect(assignFolds(n, 5, 1)).not.toEqual(assignFolds(n, 5, 2));
    const held = assignHoldout(n, 0.1, 3);
    expect(held).toEqual(assignHoldout(n, 0.1, 3));
    const share = held.reduce((a, b) => a + b, 0) / n;
    expect(Math.abs(share - 0.1)).toBeLessThan(0.005);
  });

  it('rejects impossible fold counts', () => {
    expect(() => assignFolds(10, 1, 0)).toThrow(/2\.\.255/);
    expect(() => assignFolds(3, 5, 0)).toThrow(/cannot be split/);
  });
});

describe('readRatingsCsv', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ratings-csv-'));

  it('reads tab-separated files with string ids, any column order and no timestamp', () => {
    const path = join(dir, 'ratings.tsv');
    writeFileSync(path, 'movieId\trating\tuserId\r\nas12\t4.5\talice\r\nns7\t3\tbob\r\nas12\t2\tbob\r\nas12\t5\talice\r\n');
    const file = readRatingsCsv(path);
    expect(file.delimiter).toBe('\t');
    expect(file.titleIds).toEqual(['as12', 'ns7']);
    expect(file.userIds).toEqual(['alice', 'bob']);
    const p = prepareRatings(file.raw, file.titleIds.length);
    expect(p.stats.pairs).toBe(3);
    expect(p.stats.superseded).toBe(1);
    expect(Array.from(p.rating)).toEqual([5, 2, 3]); // alice's latest (file order) rating of as12 is 5
  });

  it('counts and skips unusable rows by reason', () => {
    const path = join(dir, 'bad.csv');
    writeFileSync(path, 'userId,movieId,rating,timestamp\n1,10,4,100\n1,11,7,100\n2,10,,100\n2,11,3\n3,12,2.5,abc\n,12,3,5\n4,13,0.5,9\n');
    const file = readRatingsCsv(path);
    expect(file.raw.length).toBe(2);
    expect(file.rows).toBe(7);
    expect(file.rejected).toEqual({
      'rating not a number in 0.5..5': 2,
      'wrong field count': 1,
      'timestamp not unix seconds': 1,
      'empty userId or movieId': 1,
    });
  });

  it('says which columns are missing', () => {
    const path = join(dir, 'nohead.csv');
    writeFileSync(path, 'user,movie,stars\n1,2,3\n');
    expect(() => readRatingsCsv(path)).toThrow(/lacks userid, movieid, rating/);
  });
});

describe('metrics', () => {
  it('computes rmse, mae and the decision metrics at the threshold', () => {
    const actual = [5, 4, 3, 1, 4.5];
    const predicted = [4, 3.4, 3.6, 1, 4.5];
    const m = computeMetrics(actual, predicted, 3.5);
    expect(m.rmse).toBeCloseTo(Math.sqrt((1 + 0.36 + 0.36 + 0 + 0) / 5), 12);
    expect(m.mae).toBeCloseTo((1 + 0.6 + 0.6) / 5, 12);
    // liked: 5, 4, 4.5; recommended: 4, 3.6, 4.5 -> tp 2 (5, 4.5), fp 1 (3), fn 1 (4)
    expect(m.precision).toBeCloseTo(2 / 3, 12);
    expect(m.recall).toBeCloseTo(2 / 3, 12);
    expect(m.accuracy).toBeCloseTo(3 / 5, 12);
    expect(computeMetrics([1, 2], [1, 2]).precision).toBeNull();
  });

  it('AUC equals the pairwise definition with ties counted half (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 0, max: 8 })), { minLength: 2, maxLength: 40 }),
        (rows) => {
          const actual = rows.map(([h]) => h / 2);
          const predicted = rows.map(([, p]) => p / 2);
          let wins = 0;
          let pairs = 0;
          for (let i = 0; i < rows.length; i++) {
            for (let j = 0; j < rows.length; j++) {
              if (actual[i] >= 4 && actual[j] < 4) {
                pairs++;
                wins += predicted[i] > predicted[j] ? 1 : predicted[i] === predicted[j] ? 0.5 : 0;
              }
            }
          }
          const value = auc(actual, predicted);
          if (pairs === 0) expect(value).toBeNaN();
          else expect(value).toBeCloseTo(wins / pairs, 12);
        },
      ),
    );
  });
});
