// One SGD pass over a contiguous range of ratings. Shared by the main thread and the workers, and
// free of imports so a worker loads nothing else. Arithmetic is plain IEEE double rounded into
// Float32Arrays, so the same ranges in the same order give bit-identical parameters anywhere.

export interface FactorParams {
  k: number;
  mean: number;
  userFactors: Float32Array; // nUsers * k
  titleFactors: Float32Array; // nTitles * k
  userBias: Float32Array;
  titleBias: Float32Array;
}

export interface StepSizes {
  learningRate: number;
  learningRateBias: number;
  regFactors: number;
  regUserBias: number;
  regTitleBias: number;
}

/** Updates params from ratings start..end-1; returns the sum of squared errors seen before each update. */
export function sgdRange(
  params: FactorParams,
  user: Int32Array,
  title: Int32Array,
  rating: Float32Array,
  start: number,
  end: number,
  step: StepSizes,
): number {
  const { k, mean, userFactors: P, titleFactors: Q, userBias, titleBias } = params;
  const { learningRate: lr, learningRateBias: lrb, regFactors: reg, regUserBias, regTitleBias } = step;
  let sse = 0;
  for (let n = start; n < end; n++) {
    const u = user[n];
    const i = title[n];
    const pu = u * k;
    const qi = i * k;
    let dot = 0;
    for (let f = 0; f < k; f++) dot += P[pu + f] * Q[qi + f];
    const bu = userBias[u];
    const bi = titleBias[i];
    const err = rating[n] - (mean + bu + bi + dot);
    sse += err * err;
    userBias[u] = bu + lrb * (err - regUserBias * bu);
    titleBias[i] = bi + lrb * (err - regTitleBias * bi);
    for (let f = 0; f < k; f++) {
      const p = P[pu + f];
      const q = Q[qi + f];
      P[pu + f] = p + lr * (err * q - reg * p);
      Q[qi + f] = q + lr * (err * p - reg * q);
    }
  }
  return sse;
}
