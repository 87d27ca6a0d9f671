// Biased matrix factorization: rating = mean + user bias + title bias + user factors . title factors,
// clipped to 0.5..5. Biases start from the regularised least-squares baseline (so "zero epochs" is
// exactly the biases model), factors from a small seeded Gaussian; then deterministic parallel SGD
// (mf-blocks.ts) with early stopping on a validation split. When fit() splits that validation part
// off itself, it then refits on all the training pairs for the chosen number of epochs (`refit`),
// so no rating is wasted on the final model.
import { availableParallelism } from 'node:os';
import { DEFAULT_BIAS_CONFIG, fitBiases, type BiasConfig } from './baselines';
import { blockRatings, stratumBlocks } from './mf-blocks';
import type { FactorParams, StepSizes } from './mf-params';
import { SgdPool } from './mf-pool';
import { clipRating, inPairSet, pairCount, type FitOptions, type PairSet, type RatingModel } from './rating-model';
import { packModel, unpackModel } from './model-file';
import { childSeed, permutation, Rng, seededRandom } from '../random';
import { assignHoldout, selectPairs, viewPairs } from './split';
import { SgdMemory } from './mf-memory';

export interface MfConfig {
  factors: number;
  maxEpochs: number;
  /** Stop after this many epochs without a validation gain of at least minImprovement (RMSE). */
  patience: number;
  minImprovement: number;
  /** Keep the factors only if their validation gain over the biases model is at least this many
   * standard errors (paired over the validation pairs); otherwise the model is the biases model. */
  minSignificance: number;
  learningRate: number;
  /** Biases start at their least-squares optimum, so they move slowly. */
  learningRateBias: number;
  learningRateDecay: number; // per epoch
  regFactors: number;
  regUserBias: number;
  regTitleBias: number;
  initStd: number;
  bias: BiasConfig;
  /** Share of the training pairs fit() holds out for early stopping when no validation set is given. */
  validationFraction: number;
  refit: boolean;
  seed: number;
  /** Worker threads. Results are bit-identical for any thread count, given the same `blocks`. */
  threads: number;
  /** Users and titles are each cut into this many groups (DSGD strata). */
  blocks: number;
}

export const DEFAULT_MF_CONFIG: MfConfig = {
  factors: 64,
  maxEpochs: 80,
  patience: 3,
  minImprovement: 1e-4,
  minSignificance: 3,
  learningRate: 0.015,
  learningRateBias: 0.002,
  learningRateDecay: 1,
  regFactors: 0.1,
  regUserBias: 0.05,
  regTitleBias: 0.05,
  initStd: 0.03,
  bias: DEFAULT_BIAS_CONFIG,
  validationFraction: 0.05,
  refit: true,
  seed: 42,
  threads: Math.min(2, availableParallelism()),
  blocks: 4,
};

export interface EpochLog {
  epoch: number;
  train_rmse: number; // over the epoch's updates, before each update (NaN for epoch 0: the biases model)
  validation_rmse?: number;
  seconds: number;
}

export interface TrainingLog {
  epochs_run: number;
  best_epochs: number; // 0: the factors did not beat the biases on validation and are left at zero
  factor_gate: FactorGate | undefined;
  validation_pairs: number;
  refit: boolean;
  final_epochs: number;
  seconds: number;
  curve: EpochLog[];
}

export class MatrixFactorization implements RatingModel {
  readonly kind = 'mf';
  readonly config: MfConfig;
  mean = NaN;
  userBias: Float32Array = new Float32Array(0);
  titleBias: Float32Array = new Float32Array(0);
  userFactors: Float32Array = new Float32Array(0);
  titleFactors: Float32Array = new Float32Array(0);
  log: TrainingLog | undefined;

  constructor(config: Partial<MfConfig> = {}) {
    this.config = { ...DEFAULT_MF_CONFIG, ...config, bias: { ...DEFAULT_MF_CONFIG.bias, ...config.bias } };
    validateConfig(this.config);
  }

  get k(): number {
    return this.config.factors;
  }

  /** `options.memory`: training memory to reuse (see SgdMemory); one is made for this fit otherwise. */
  async fit(train: PairSet, options: FitOptions & { memory?: SgdMemory } = {}): Promise<void> {
    const started = performance.now();
    const progress = options.onProgress ?? (() => {});
    const memory = options.memory ?? new SgdMemory(pairCount(train), train.nUsers, train.nTitles, this.k);
    const pool = new SgdPool(this.config.threads);
    try {
      let fitSet = train;
      let validation = options.validation;
      const splitHere = !validation && this.config.validationFraction > 0;
      if (splitHere) {
        const held = assignHoldout(pairCount(train), this.config.validationFraction, this.config.seed, 'mf-validation');
        validation = selectPairs(train, held, 1);
        fitSet = withoutHeld(train, held);
      }
      const first = await sgdTrain(fitSet, validation, this.config.maxEpochs, this.config, pool, memory, progress);
      const refit = splitHere && this.config.refit;
      const final = refit ? await sgdTrain(train, undefined, first.bestEpochs, this.config, pool, memory, progress) : first;
      this.mean = final.params.mean;
      this.userBias = final.params.userBias;
      this.titleBias = final.params.titleBias;
      this.userFactors = final.params.userFactors;
      this.titleFactors = final.params.titleFactors;
      this.log = {
        epochs_run: first.curve.filter((e) => e.epoch > 0).length,
        best_epochs: first.bestEpochs,
        factor_gate: first.gate,
        validation_pairs: validation ? pairCount(validation) : 0,
        refit,
        final_epochs: final.bestEpochs,
        seconds: (performance.now() - started) / 1000,
        curve: first.curve,
      };
    } finally {
      await pool.close();
    }
  }

  predict(user: number, title: number): number {
    const k = this.k;
    const knownUser = user >= 0 && user < this.userBias.length;
    const knownTitle = title >= 0 && title < this.titleBias.length;
    let x = this.mean;
    if (knownUser) x += this.userBias[user];
    if (knownTitle) x += this.titleBias[title];
    if (knownUser && knownTitle) {
      const P = this.userFactors;
      const Q = this.titleFactors;
      for (let f = 0, pu = user * k, qi = title * k; f < k; f++) x += P[pu + f] * Q[qi + f];
    }
    return clipRating(x);
  }

  save(): Uint8Array {
    return packModel(
      { kind: this.kind, mean: this.mean, config: this.config, log: this.log },
      {
        userBias: this.userBias,
        titleBias: this.titleBias,
        userFactors: this.userFactors,
        titleFactors: this.titleFactors,
      },
    );
  }

  static fromBytes(bytes: Uint8Array): MatrixFactorization {
    const { header, arrays } = unpackModel(bytes);
    const model = new MatrixFactorization(header.config as MfConfig);
    model.mean = header.mean as number;
    model.log = header.log as TrainingLog | undefined;
    model.userBias = arrays.userBias;
    model.titleBias = arrays.titleBias;
    model.userFactors = arrays.userFactors;
    model.titleFactors = arrays.titleFactors;
    return model;
  }
}

interface TrainResult {
  params: FactorParams;
  bestEpochs: number;
  curve: EpochLog[];
  gate?: FactorGate;
}

/** The factors' validation gain over the biases model at the best epoch. */
export interface FactorGate {
  mse_gain: number;
  standard_error: number;
  z: number;
  accepted: boolean;
  epochs: number; // the best epoch count before the gate
}

/** The pairs of `train` whose validation draw `held` (one per pair of the set, in order) is 0, as a
 * view on the underlying columns: one byte a pair instead of a copy. */
function withoutHeld(train: PairSet, held: Uint8Array): PairSet {
  if (train.part === undefined) return viewPairs(train, held, [0]);
  const part = new Uint8Array(train.user.length).fill(1);
  for (let i = 0, j = 0; i < part.length; i++) if (inPairSet(train, i)) part[i] = held[j++];
  return viewPairs({ ...train, part: undefined, keep: undefined }, part, [0]);
}

/** Trains up to `epochs` epochs; with a validation set, returns the parameters of the best epoch. */
async function sgdTrain(
  train: PairSet,
  validation: PairSet | undefined,
  epochs: number,
  config: MfConfig,
  pool: SgdPool,
  sgdMemory: SgdMemory,
  progress: (message: string) => void,
): Promise<TrainResult> {
  const k = config.factors;
  const nPairs = pairCount(train);
  const biases = fitBiases(train, config.bias);
  const { memory, module, offsets } = sgdMemory.claim(nPairs, train.nUsers, train.nTitles, k);
  const buffer = memory.buffer;
  const params: FactorParams = {
    k,
    mean: biases.mean,
    userBias: new Float32Array(buffer, offsets.userBias, train.nUsers),
    titleBias: new Float32Array(buffer, offsets.titleBias, train.nTitles),
    userFactors: new Float32Array(buffer, offsets.P, train.nUsers * k),
    titleFactors: new Float32Array(buffer, offsets.Q, train.nTitles * k),
  };
  params.userBias.set(biases.userBias);
  params.titleBias.set(biases.titleBias);
  const init = new Rng(childSeed(config.seed, 'mf-init'), 0);
  for (let i = 0; i < params.userFactors.length; i++) params.userFactors[i] = init.normal() * config.initStd;
  for (let i = 0; i < params.titleFactors.length; i++) params.titleFactors[i] = init.normal() * config.initStd;
  // Factors of users or titles without training ratings would otherwise stay random noise.
  zeroUnseen(params.userFactors, train, train.user, train.nUsers, k);
  zeroUnseen(params.titleFactors, train, train.title, train.nTitles, k);

  const blockStart = blockRatings(train, config.blocks, seededRandom(childSeed(config.seed, 'mf-order')), {
    user: new Int32Array(buffer, offsets.user, nPairs),
    title: new Int32Array(buffer, offsets.title, nPairs),
    rating: new Float32Array(buffer, offsets.rating, nPairs),
  });
  pool.load({
    memory,
    module,
    offsets: {
      user: offsets.user,
      title: offsets.title,
      rating: offsets.rating,
      P: offsets.P,
      Q: offsets.Q,
      userBias: offsets.userBias,
      titleBias: offsets.titleBias,
    },
    k,
    mean: biases.mean,
    blockStart,
  });
  const strataRandom = seededRandom(childSeed(config.seed, 'mf-strata'));

  // Epoch 0 is the biases model itself; factors must beat it on validation to be kept.
  let bestEpochs = 0;
  const baseErrors = new Float64Array(validation ? pairCount(validation) : 0);
  let bestErrors = new Float64Array(baseErrors.length);
  let epochErrors = new Float64Array(baseErrors.length);
  let bestRmse = validation ? squaredErrors(params, validation, false, baseErrors) : NaN;
  let best: FactorParams | undefined;
  const curve: EpochLog[] = validation ? [{ epoch: 0, train_rmse: NaN, validation_rmse: bestRmse, seconds: 0 }] : [];
  let learningRate = config.learningRate;
  let learningRateBias = config.learningRateBias;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const started = performance.now();
    const step: StepSizes = {
      learningRate,
      learningRateBias,
      regFactors: config.regFactors,
      regUserBias: config.regUserBias,
      regTitleBias: config.regTitleBias,
    };
    let sse = 0;
    for (const stratum of permutation(config.blocks, strataRandom)) {
      sse += await pool.runBlocks(stratumBlocks(config.blocks, stratum), step);
    }
    learningRate *= config.learningRateDecay;
    learningRateBias *= config.learningRateDecay;
    const entry: EpochLog = { epoch, train_rmse: Math.sqrt(sse / nPairs), seconds: 0 };
    if (validation) entry.validation_rmse = squaredErrors(params, validation, true, epochErrors);
    entry.seconds = (performance.now() - started) / 1000;
    curve.push(entry);
    progress(
      `mf epoch ${epoch}: train ${entry.train_rmse.toFixed(4)}` +
        (validation ? ` validation ${entry.validation_rmse!.toFixed(5)}` : '') +
        ` (${entry.seconds.toFixed(1)} s)`,
    );
    if (!validation) {
      bestEpochs = epoch;
      continue;
    }
    if (entry.validation_rmse! < bestRmse - config.minImprovement) {
      bestRmse = entry.validation_rmse!;
      bestEpochs = epoch;
      best = copyParams(params, best);
      [bestErrors, epochErrors] = [epochErrors, bestErrors];
    } else if (epoch - bestEpochs >= config.patience) {
      break;
    }
  }
  if (!validation) return { params: epochs === 0 ? biasesOnly(biases, train, k) : copyParams(params), bestEpochs, curve };
  const gate = bestEpochs > 0 ? significance(baseErrors, bestErrors, config.minSignificance) : NO_GAIN;
  if (bestEpochs > 0 && !gate.accepted) {
    progress(
      `mf: validation gain of ${bestEpochs} epochs is ${gate.z.toFixed(2)} standard errors, below ${config.minSignificance}: factors dropped`,
    );
    return { params: biasesOnly(biases, train, k), bestEpochs: 0, curve, gate: { ...gate, epochs: bestEpochs } };
  }
  return { params: best ?? biasesOnly(biases, train, k), bestEpochs, curve, gate: { ...gate, epochs: bestEpochs } };
}

const NO_GAIN: FactorGate = { mse_gain: 0, standard_error: 0, z: 0, accepted: false, epochs: 0 };

/** Paired test of the best epoch against the biases model on the same validation pairs: the mean
 * drop in squared error, in standard errors of that mean. Guards against keeping factors whose
 * validation gain is noise (as it is when ratings carry no user-title interaction). */
export function significance(base: Float64Array, best: Float64Array, minZ: number): FactorGate {
  const n = base.length;
  if (n < 2) return NO_GAIN;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += base[i] - best[i];
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (base[i] - best[i] - mean) ** 2;
  const standardError = Math.sqrt(ss / (n - 1) / n);
  const z = standardError > 0 ? mean / standardError : mean > 0 ? Infinity : 0;
  return { mse_gain: mean, standard_error: standardError, z, accepted: z >= minZ, epochs: 0 };
}

/** Fills out[i] with the squared error of pair i; returns the RMSE. */
function squaredErrors(params: FactorParams, pairs: PairSet, withFactors: boolean, out: Float64Array): number {
  const { k, mean, userBias, titleBias, userFactors: P, titleFactors: Q } = params;
  let se = 0;
  let j = 0;
  for (let n = 0; n < pairs.user.length; n++) {
    if (!inPairSet(pairs, n)) continue;
    const u = pairs.user[n];
    const i = pairs.title[n];
    let x = mean + userBias[u] + titleBias[i];
    if (withFactors) for (let f = 0, pu = u * k, qi = i * k; f < k; f++) x += P[pu + f] * Q[qi + f];
    const err = clipRating(x) - pairs.rating[n];
    out[j++] = err * err;
    se += err * err;
  }
  return Math.sqrt(se / j);
}

function biasesOnly(biases: ReturnType<typeof fitBiases>, train: PairSet, k: number): FactorParams {
  return {
    k,
    mean: biases.mean,
    userBias: biases.userBias.slice(),
    titleBias: biases.titleBias.slice(),
    userFactors: new Float32Array(train.nUsers * k),
    titleFactors: new Float32Array(train.nTitles * k),
  };
}

/** Plain (non-shared) copies: the model outlives the run's shared buffers. Into `into`'s arrays
 * when given (the best epoch so far, overwritten: one copy per run, not one per improvement). */
function copyParams(p: FactorParams, into?: FactorParams): FactorParams {
  if (into) {
    into.mean = p.mean;
    into.userBias.set(p.userBias);
    into.titleBias.set(p.titleBias);
    into.userFactors.set(p.userFactors);
    into.titleFactors.set(p.titleFactors);
    return into;
  }
  return {
    k: p.k,
    mean: p.mean,
    userBias: new Float32Array(p.userBias),
    titleBias: new Float32Array(p.titleBias),
    userFactors: new Float32Array(p.userFactors),
    titleFactors: new Float32Array(p.titleFactors),
  };
}

function zeroUnseen(factors: Float32Array, pairs: PairSet, ids: Int32Array, n: number, k: number): void {
  const seen = new Uint8Array(n);
  for (let i = 0; i < ids.length; i++) if (inPairSet(pairs, i)) seen[ids[i]] = 1;
  for (let id = 0; id < n; id++) if (!seen[id]) factors.fill(0, id * k, id * k + k);
}

function validateConfig(c: MfConfig): void {
  const positiveInt = ['factors', 'patience', 'threads', 'blocks'] as const;
  for (const key of positiveInt) {
    if (!Number.isInteger(c[key]) || c[key] < 1) throw new RangeError(`mf config: ${key} must be a positive integer, got ${c[key]}`);
  }
  if (c.factors % 4 !== 0) throw new RangeError(`mf config: factors must be a multiple of 4 (SIMD lanes), got ${c.factors}`);
  if (!Number.isInteger(c.maxEpochs) || c.maxEpochs < 0) throw new RangeError(`mf config: maxEpochs must be an integer >= 0`);
  if (c.blocks > 255) throw new RangeError('mf config: blocks must be at most 255');
  if (!(c.validationFraction >= 0 && c.validationFraction < 1)) throw new RangeError('mf config: validationFraction must be in [0, 1)');
  const nonNegative = [
    'minImprovement',
    'minSignificance',
    'learningRate',
    'learningRateBias',
    'regFactors',
    'regUserBias',
    'regTitleBias',
    'initStd',
  ] as const;
  for (const key of nonNegative) {
    if (!(c[key] >= 0)) throw new RangeError(`mf config: ${key} must be a number >= 0, got ${c[key]}`);
  }
  if (!(c.learningRateDecay > 0 && c.learningRateDecay <= 1)) throw new RangeError('mf config: learningRateDecay must be in (0, 1]');
}
