// Parameter and step-size shapes shared by the trainer, the thread pool and the top-N precompute.

export interface FactorParams {
  k: number;
  mean: number;
  userFactors: Float32Array; // nUsers * k, row u = factors of user u
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
