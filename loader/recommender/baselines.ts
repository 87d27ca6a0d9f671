// The two models the factorization must beat: the global mean, and global mean + user bias + title
// bias fitted by regularised alternating least squares (the classic baseline estimate; with these
// regularisations it matches Surprise's BaselineOnly).
import { clipRating, meanRating, type FitOptions, type PairSet, type RatingModel } from './rating-model';
import { packModel, unpackModel } from './model-file';

export class GlobalMean implements RatingModel {
  readonly kind = 'global_mean';
  mean = NaN;

  async fit(train: PairSet): Promise<void> {
    this.mean = meanRating(train);
  }

  predict(): number {
    return clipRating(this.mean);
  }

  save(): Uint8Array {
    return packModel({ kind: this.kind, mean: this.mean }, {});
  }

  static fromBytes(bytes: Uint8Array): GlobalMean {
    const { header } = unpackModel(bytes);
    const model = new GlobalMean();
    model.mean = header.mean as number;
    return model;
  }
}

export interface BiasConfig {
  regUser: number;
  regTitle: number;
  iterations: number;
}
export const DEFAULT_BIAS_CONFIG: BiasConfig = { regUser: 15, regTitle: 10, iterations: 10 };

export class Biases implements RatingModel {
  readonly kind = 'biases';
  mean = NaN;
  userBias: Float32Array = new Float32Array(0);
  titleBias: Float32Array = new Float32Array(0);

  constructor(readonly config: BiasConfig = DEFAULT_BIAS_CONFIG) {}

  async fit(train: PairSet, _options?: FitOptions): Promise<void> {
    const fitted = fitBiases(train, this.config);
    this.mean = fitted.mean;
    this.userBias = fitted.userBias;
    this.titleBias = fitted.titleBias;
  }

  predict(user: number, title: number): number {
    const bu = user >= 0 && user < this.userBias.length ? this.userBias[user] : 0;
    const bi = title >= 0 && title < this.titleBias.length ? this.titleBias[title] : 0;
    return clipRating(this.mean + bu + bi);
  }

  save(): Uint8Array {
    return packModel({ kind: this.kind, mean: this.mean, config: this.config }, { userBias: this.userBias, titleBias: this.titleBias });
  }

  static fromBytes(bytes: Uint8Array): Biases {
    const { header, arrays } = unpackModel(bytes);
    const model = new Biases(header.config as BiasConfig);
    model.mean = header.mean as number;
    model.userBias = arrays.userBias;
    model.titleBias = arrays.titleBias;
    return model;
  }
}

/** Alternating closed-form updates, titles first: each step is the exact regularised optimum
 * given the other side, so a few iterations converge. Float64 sums, Float32 results. */
export function fitBiases(train: PairSet, config: BiasConfig): { mean: number; userBias: Float32Array; titleBias: Float32Array } {
  const mean = meanRating(train);
  const { user, title, rating } = train;
  const userBias = new Float32Array(train.nUsers);
  const titleBias = new Float32Array(train.nTitles);
  const userCount = new Float64Array(train.nUsers);
  const titleCount = new Float64Array(train.nTitles);
  // A view's membership test inlined on locals: these loops run 20 times over every pair.
  const { part } = train;
  const keep = train.keep ?? 0;
  for (let i = 0; i < user.length; i++) {
    if (part !== undefined && ((keep >>> part[i]) & 1) === 0) continue;
    userCount[user[i]]++;
    titleCount[title[i]]++;
  }
  const userSum = new Float64Array(train.nUsers);
  const titleSum = new Float64Array(train.nTitles);
  for (let iteration = 0; iteration < config.iterations; iteration++) {
    titleSum.fill(0);
    for (let i = 0; i < user.length; i++) {
      if (part !== undefined && ((keep >>> part[i]) & 1) === 0) continue;
      titleSum[title[i]] += rating[i] - mean - userBias[user[i]];
    }
    for (let t = 0; t < train.nTitles; t++) titleBias[t] = titleSum[t] / (config.regTitle + titleCount[t]);
    userSum.fill(0);
    for (let i = 0; i < user.length; i++) {
      if (part !== undefined && ((keep >>> part[i]) & 1) === 0) continue;
      userSum[user[i]] += rating[i] - mean - titleBias[title[i]];
    }
    for (let u = 0; u < train.nUsers; u++) userBias[u] = userSum[u] / (config.regUser + userCount[u]);
  }
  return { mean, userBias, titleBias };
}
