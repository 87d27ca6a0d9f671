// One suite, run against every model: the contract of RatingModel (fit, predict, save/load), plus
// the ordering the evaluation relies on (each model at least as good as the simpler one).
import { beforeAll, describe, expect, it } from 'vitest';
import { Biases, GlobalMean } from '../../loader/recommender/baselines';
import { computeMetrics } from '../../loader/recommender/metrics';
import { MatrixFactorization } from '../../loader/recommender/mf';
import { predictPairs, type PairSet, type RatingModel } from '../../loader/recommender/rating-model';
import { loadModel } from '../../loader/recommender/registry';
import { assignFolds, selectPairs } from '../../loader/recommender/split';
import { FAST_MF, mlLatestSmall } from './recommender-fixtures';

interface Case {
  name: string;
  create: () => RatingModel;
  /** RMSE on the held-out fold must not exceed this (ml-latest-small, fold 1 of 5). */
  maxRmse: number;
}

const CASES: Case[] = [
  { name: 'global_mean', create: () => new GlobalMean(), maxRmse: 1.06 },
  { name: 'biases', create: () => new Biases(), maxRmse: 0.885 },
  { name: 'mf', create: () => new MatrixFactorization(FAST_MF), maxRmse: 0.87 },
];

let train: PairSet;
let test: PairSet;
const rmseOf: Record<string, number> = {};

beforeAll(() => {
  const pairs = mlLatestSmall();
  const folds = assignFolds(pairs.user.length, 5, 1);
  train = selectPairs(pairs, folds, 0, true);
  test = selectPairs(pairs, folds, 0);
});

describe.each(CASES)('$name', ({ name, create, maxRmse }) => {
  let model: RatingModel;
  beforeAll(async () => {
    model = create();
    await model.fit(train);
  });

  it('has the kind it is registered under', () => {
    expect(model.kind).toBe(name);
  });

  it('predicts within 0.5..5 for known, unknown and out-of-range users and titles', () => {
    const probes: [number, number][] = [
      [0, 0],
      [train.nUsers - 1, train.nTitles - 1],
      [-1, 0],
      [0, -1],
      [train.nUsers + 10, train.nTitles + 10],
    ];
    for (const [u, t] of probes) {
      const p = model.predict(u, t);
      expect(p).toBeGreaterThanOrEqual(0.5);
      expect(p).toBeLessThanOrEqual(5);
    }
    for (const p of predictPairs(model, test)) {
      expect(p >= 0.5 && p <= 5).toBe(true);
    }
  });

  it('clips predictions of extreme data to 0.5..5', async () => {
    // Users who rate everything 5 or 0.5 push mean + biases (+ factors) outside the scale.
    const n = 400;
    const user = Int32Array.from({ length: n }, (_, i) => i % 20);
    const title = Int32Array.from({ length: n }, (_, i) => Math.floor(i / 20));
    const rating = Float32Array.from(user, (u) => (u < 10 ? 5 : 0.5));
    const extreme = create();
    await extreme.fit({ nUsers: 20, nTitles: 20, user, title, rating });
    for (let u = 0; u < 20; u++) {
      for (let t = 0; t < 20; t++) {
        const p = extreme.predict(u, t);
        expect(p >= 0.5 && p <= 5).toBe(true);
      }
    }
  });

  it('restores identical predictions after save and load', () => {
    const restored = loadModel(model.save());
    expect(restored.kind).toBe(model.kind);
    const before = predictPairs(model, test);
    const after = predictPairs(restored, test);
    expect(Buffer.from(after.buffer).equals(Buffer.from(before.buffer))).toBe(true);
    expect(restored.predict(-1, -1)).toBe(model.predict(-1, -1));
  });

  it(`scores an RMSE of at most ${maxRmse} on held-out ml-latest-small pairs`, () => {
    const metrics = computeMetrics(test.rating, predictPairs(model, test));
    rmseOf[name] = metrics.rmse;
    expect(metrics.rmse).toBeLessThanOrEqual(maxRmse);
  });
});

describe('model ordering on data with real signal', () => {
  it('each model is at least as accurate as the simpler one', () => {
    expect(Object.keys(rmseOf).sort()).toEqual(['biases', 'global_mean', 'mf']);
    expect(rmseOf.biases).toBeLessThan(rmseOf.global_mean);
    expect(rmseOf.mf).toBeLessThan(rmseOf.biases);
  });
});

describe('loadModel', () => {
  it('rejects bytes that are not a saved model', () => {
    expect(() => loadModel(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]))).toThrow(/not a saved model/);
    expect(() => loadModel(new Uint8Array(3))).toThrow(/too short/);
  });
});
