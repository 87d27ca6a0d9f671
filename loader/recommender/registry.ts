// Registry of the models: one place that knows every kind, for loading saved bytes and for the
// evaluation that runs them side by side.
import { Biases, GlobalMean } from './baselines';
import { MatrixFactorization, type MfConfig } from './mf';
import type { ModelKind, RatingModel } from './rating-model';
import { unpackModel } from './model-file';

export const MODEL_KINDS: readonly ModelKind[] = ['global_mean', 'biases', 'mf'];

export function createModel(kind: ModelKind, config: Partial<MfConfig> = {}): RatingModel {
  switch (kind) {
    case 'global_mean':
      return new GlobalMean();
    case 'biases':
      return new Biases({ ...new MatrixFactorization(config).config.bias });
    case 'mf':
      return new MatrixFactorization(config);
  }
}

export function loadModel(bytes: Uint8Array): RatingModel {
  const kind = unpackModel(bytes).header.kind;
  switch (kind) {
    case 'global_mean':
      return GlobalMean.fromBytes(bytes);
    case 'biases':
      return Biases.fromBytes(bytes);
    case 'mf':
      return MatrixFactorization.fromBytes(bytes);
    default:
      throw new Error(`unknown model kind ${JSON.stringify(kind)}`);
  }
}
