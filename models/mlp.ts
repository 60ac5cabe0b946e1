/** Multi-layer perceptron with optional BatchNorm and dropout after each hidden layer. */
import * as tf from '@tensorflow/tfjs';
import {
  Activation,
  BatchNormOptions,
  ModelBuilder,
  describeBatchNorm,
  flattenIfNeeded,
  outputLayer,
  resolveBatchNorm,
  seededKernel,
  withBatchNorm,
} from './builder';
import { dense as denseLayer } from './dense-layer';

export interface MlpOptions extends BatchNormOptions {
  /** Units of each hidden layer. Default: [256, 128]. */
  hidden?: number[];
  /** Hidden activation. Default: 'relu'. */
  activation?: Activation;
  /** Dropout rate after each hidden block, in [0, 1). Default: 0. The trainer seeds the masks per update. */
  dropout?: number;
}

export function mlp(options: MlpOptions = {}): ModelBuilder {
  const { hidden = [256, 128], activation = 'relu', dropout = 0 } = options;
  const bn = resolveBatchNorm(options);
  hidden.forEach((units) => {
    if (!Number.isInteger(units) || units < 1)
      throw new Error(`mlp: hidden units must be positive integers, got ${units}`);
  });
  if (!(dropout >= 0 && dropout < 1)) throw new Error(`mlp: dropout must be in [0, 1), got ${dropout}`);
  return {
    name: 'mlp',
    batchNorm: bn.batchNorm,
    describe: () =>
      `mlp [${hidden.join(',')}] ${activation}, ${describeBatchNorm(bn)}${dropout > 0 ? `, dropout ${dropout}` : ''}`,
    build: ({ inputShape, outputs }, seed) => {
      const input = tf.input({ shape: inputShape });
      let x = flattenIfNeeded(input);
      hidden.forEach((units, i) => {
        const dense = (useBias: boolean) => denseLayer({ units, useBias, kernelInitializer: seededKernel(seed, i) });
        x = withBatchNorm(x, dense, { ...bn, activation });
        if (dropout > 0) x = tf.layers.dropout({ rate: dropout }).apply(x) as tf.SymbolicTensor;
      });
      return tf.model({ inputs: input, outputs: outputLayer(x, outputs, seed, hidden.length) });
    },
  };
}
