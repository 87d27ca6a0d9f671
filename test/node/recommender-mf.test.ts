// The factorization's own guarantees: bit-identical results for a seed (whatever the thread count),
// a SIMD kernel that computes the documented update, early stopping and the factor gate.
import { readFileSync } from 'node:fs';
import initWabt from 'wabt';
import { describe, expect, it } from 'vitest';
import { blockRatings, stratumBlocks } from '../../loader/recommender/mf-blocks';
import { MatrixFactorization, significance } from '../../loader/recommender/mf';
import { instantiateSgd, SharedArena, sgdModuleBytes } from '../../loader/recommender/mf-wasm';
import type { PairSet } from '../../loader/recommender/rating-model';
import { prepareRatings, ratingRowsToRaw } from '../../loader/recommender/prepare';
import { seededRandom } from '../../loader/random';
import { assignFolds, selectPairs } from '../../loader/recommender/split';
import { FAST_MF, mlLatestSmall, pairsOf, syntheticRows } from './recommender-fixtures';

function bytesOf(model: MatrixFactorization): Buffer[] {
  return [model.userBias, model.titleBias, model.userFactors, model.titleFactors].map((a) =>
    Buffer.from(a.buffer, a.byteOffset, a.byteLength),
  );
}

async function trained(
  train: PairSet,
  config: Partial<ConstructorParameters<typeof MatrixFactorization>[0]>,
): Promise<MatrixFactorization> {
  const model = new MatrixFactorization({ ...FAST_MF, ...config });
  await model.fit(train);
  return model;
}

describe('determinism', () => {
  const pairs = pairsOf(mlLatestSmall());

  it('gives bit-identical parameters for the same seed and thread count, and for 1, 2 or 3 threads', async () => {
    const a = await trained(pairs, { seed: 7, threads: 2 });
    const b = await trained(pairs, { seed: 7, threads: 2 });
    const single = await trained(pairs, { seed: 7, threads: 1 });
    const three = await trained(pairs, { seed: 7, threads: 3 });
    expect(a.log!.best_epochs).toBeGreaterThan(0);
    for (const other of [b, single, three]) {
      expect(other.mean).toBe(a.mean);
      bytesOf(other).forEach((bytes, i) => expect(bytes.equals(bytesOf(a)[i])).toBe(true));
    }
  });

  it('gives different factors for a different seed', async () => {
    const a = await trained(pairs, { seed: 7, maxEpochs: 3 });
    const b = await trained(pairs, { seed: 8, maxEpochs: 3 });
    expect(bytesOf(a)[2].equals(bytesOf(b)[2])).toBe(false);
  });
});

describe('DSGD schedule', () => {
  it('puts no user or title in two blocks of one stratum, and every rating in exactly one block', () => {
    const pairs = pairsOf(mlLatestSmall());
    const n = pairs.user.length;
    const target = { user: new Int32Array(n), title: new Int32Array(n), rating: new Float32Array(n) };
    const B = 4;
    const start = blockRatings(pairs, B, seededRandom(1), target);
    expect(start[B * B]).toBe(n);
    for (let s = 0; s < B; s++) {
      const userBlock = new Map<number, number>();
      const titleBlock = new Map<number, number>();
      for (const b of stratumBlocks(B, s)) {
        for (let j = start[b]; j < start[b + 1]; j++) {
          expect(userBlock.get(target.user[j]) ?? b).toBe(b);
          expect(titleBlock.get(target.title[j]) ?? b).toBe(b);
          userBlock.set(target.user[j], b);
          titleBlock.set(target.title[j], b);
        }
      }
    }
    const strataCover = new Set(Array.from({ length: B }, (_, s) => stratumBlocks(B, s)).flat());
    expect(strataCover.size).toBe(B * B);
    const key = (u: number, t: number) => u * pairs.nTitles + t;
    const original = new Set(Array.from(pairs.user, (u, i) => key(u, pairs.title[i])));
    const reordered = new Set(Array.from(target.user, (u, i) => key(u, target.title[i])));
    expect(reordered).toEqual(original);
  });
});

describe('WebAssembly SGD kernel', () => {
  it('is a valid module', () => {
    expect(WebAssembly.validate(sgdModuleBytes(1))).toBe(true);
  });

  it('is exactly loader/recommender/sgd.wat, its readable source, as wabt assembles it', async () => {
    const wabt = await initWabt();
    const text = readFileSync(new URL('../../loader/recommender/sgd.wat', import.meta.url), 'utf8');
    const { buffer } = wabt.parseWat('sgd.wat', text, { simd: true, threads: true }).toBinary({ write_debug_names: false });
    expect(Buffer.from(buffer).equals(Buffer.from(sgdModuleBytes(1)))).toBe(true);
    // The memory limits are the one thing the loader varies: the same text with other limits, the same bytes.
    const big = wabt.parseWat('sgd.wat', text.replace('(memory $env.memory 1 1 shared)', '(memory $env.memory 300 300 shared)'), {
      simd: true,
      threads: true,
    });
    expect(Buffer.from(big.toBinary({ write_debug_names: false }).buffer).equals(Buffer.from(sgdModuleBytes(300)))).toBe(true);
  });

  it('applies the documented update, matching a float32 reference step for step', () => {
    const k = 8;
    const nU = 5;
    const nT = 4;
    const n = 60;
    const { memory, module, offsets } = new SharedArena()
      .add('user', n * 4)
      .add('title', n * 4)
      .add('rating', n * 4)
      .add('P', nU * k * 4)
      .add('Q', nT * k * 4)
      .add('bu', nU * 4)
      .add('bi', nT * 4)
      .allocate();
    const buf = memory.buffer;
    const user = new Int32Array(buf, offsets.user, n);
    const title = new Int32Array(buf, offsets.title, n);
    const rating = new Float32Array(buf, offsets.rating, n);
    const P = new Float32Array(buf, offsets.P, nU * k);
    const Q = new Float32Array(buf, offsets.Q, nT * k);
    const bu = new Float32Array(buf, offsets.bu, nU);
    const bi = new Float32Array(buf, offsets.bi, nT);
    const random = seededRandom(3);
    for (let i = 0; i < n; i++) {
      user[i] = Math.floor(random() * nU);
      title[i] = Math.floor(random() * nT);
      rating[i] = 0.5 + Math.floor(random() * 10) / 2;
    }
    P.forEach((_, i) => (P[i] = random() - 0.5));
    Q.forEach((_, i) => (Q[i] = random() - 0.5));
    bu.forEach((_, i) => (bu[i] = random() - 0.5));
    const ref = { P: P.slice(), Q: Q.slice(), bu: bu.slice(), bi: bi.slice() };
    const [mean, lr, lrb, reg, regU, regT] = [3.5, 0.05, 0.01, 0.1, 0.02, 0.03].map(Math.fround);

    const sse = instantiateSgd(module, memory)(
      0,
      n,
      offsets.user,
      offsets.title,
      offsets.rating,
      offsets.P,
      offsets.Q,
      offsets.bu,
      offsets.bi,
      k * 4,
      mean,
      lr,
      lrb,
      reg,
      regU,
      regT,
    );

    const f = Math.fround;
    let refSse = 0;
    for (let j = 0; j < n; j++) {
      const u = user[j];
      const t = title[j];
      const lanes = [0, 0, 0, 0];
      for (let x = 0; x < k; x++) lanes[x % 4] = f(lanes[x % 4] + f(ref.P[u * k + x] * ref.Q[t * k + x]));
      const dot = f(f(lanes[0] + lanes[1]) + f(lanes[2] + lanes[3]));
      const err = f(rating[j] - f(f(f(mean + ref.bu[u]) + ref.bi[t]) + dot));
      refSse += f(err * err);
      ref.bu[u] = f(ref.bu[u] + f(lrb * f(err - f(regU * ref.bu[u]))));
      ref.bi[t] = f(ref.bi[t] + f(lrb * f(err - f(regT * ref.bi[t]))));
      for (let x = 0; x < k; x++) {
        const p = ref.P[u * k + x];
        const q = ref.Q[t * k + x];
        ref.P[u * k + x] = f(p + f(lr * f(f(err * q) - f(reg * p))));
        ref.Q[t * k + x] = f(q + f(lr * f(f(err * p) - f(reg * q))));
      }
    }
    expect(Array.from(P)).toEqual(Array.from(ref.P));
    expect(Array.from(Q)).toEqual(Array.from(ref.Q));
    expect(Array.from(bu)).toEqual(Array.from(ref.bu));
    expect(Array.from(bi)).toEqual(Array.from(ref.bi));
    expect(sse).toBeCloseTo(refSse, 9);
  });
});

describe('early stopping and the factor gate', () => {
  it('stops after `patience` epochs without gain, logs the curve from the biases model (epoch 0)', async () => {
    const pairs = pairsOf(mlLatestSmall());
    const model = await trained(pairs, { maxEpochs: 200, patience: 2 });
    const log = model.log!;
    expect(log.curve[0].epoch).toBe(0);
    expect(log.epochs_run).toBeLessThan(200);
    expect(log.epochs_run - log.best_epochs).toBeGreaterThanOrEqual(2);
    expect(log.factor_gate!.accepted).toBe(true);
    expect(log.refit).toBe(true);
    expect(log.final_epochs).toBe(log.best_epochs);
  });

  it('falls back to the biases model (zero factors) when factors cannot beat it on validation', async () => {
    // Pure noise around user biases: no title or interaction signal for factors to find.
    const rows = syntheticRows({ users: 300, titles: 200, perUser: 40, interaction: false, seed: 5 });
    const pairs = pairsOf(prepareRatings(ratingRowsToRaw(rows), 200));
    // minImprovement 0: early stopping takes any validation gain, however small; the gate must not.
    const model = await trained(pairs, { learningRateBias: 0, maxEpochs: 20, minImprovement: 0, minSignificance: 3 });
    expect(model.log!.factor_gate!.accepted).toBe(false);
    expect(model.log!.best_epochs).toBe(0);
    expect(model.userFactors.every((x) => x === 0)).toBe(true);
    expect(model.titleFactors.every((x) => x === 0)).toBe(true);
  });

  it('accepts a validation gain only when it is large against its standard error', () => {
    const base = Float64Array.from({ length: 1000 }, (_, i) => 1 + (i % 7) / 10);
    const noisy = Float64Array.from(base, (x, i) => x + (i % 2 ? 0.3 : -0.3) - 0.002); // tiny mean gain, large spread
    const clear = Float64Array.from(base, (x, i) => x - 0.05 + (i % 2 ? 0.01 : -0.01));
    const weak = significance(base, noisy, 3);
    expect(weak.mse_gain).toBeCloseTo(0.002, 9);
    expect(weak.z).toBeLessThan(3);
    expect(weak.accepted).toBe(false);
    const strong = significance(base, clear, 3);
    expect(strong.z).toBeGreaterThan(3);
    expect(strong.accepted).toBe(true);
    expect(
      significance(
        base,
        Float64Array.from(base, (x) => x + 0.01),
        3,
      ).accepted,
    ).toBe(false);
  });

  it('keeps factors that capture a real interaction', async () => {
    const rows = syntheticRows({ users: 300, titles: 200, perUser: 40, interaction: true, seed: 5 });
    const prepared = prepareRatings(ratingRowsToRaw(rows), 200);
    const folds = assignFolds(prepared.user.length, 5, 2);
    const model = await trained(selectPairs(prepared, folds, 0, true), { maxEpochs: 40 });
    expect(model.log!.factor_gate!.accepted).toBe(true);
    expect(model.log!.best_epochs).toBeGreaterThan(0);
  });

  it('rejects invalid hyperparameters with a clear message', () => {
    expect(() => new MatrixFactorization({ factors: 10 })).toThrow(/multiple of 4/);
    expect(() => new MatrixFactorization({ threads: 0 })).toThrow(/threads/);
    expect(() => new MatrixFactorization({ learningRate: -1 })).toThrow(/learningRate/);
    expect(() => new MatrixFactorization({ validationFraction: 1 })).toThrow(/validationFraction/);
  });
});
