/** Baseline: one dense layer on the (flattened) input. Softmax regression, or linear regression. */
import * as tf from '@tensorflow/tfjs';
import { ModelBuilder, flattenIfNeeded, outputLayer } from './builder';

export function logistic(): ModelBuilder {
  return {
    name: 'logistic',
    batchNorm: false,
    describe: () => 'logistic (one dense layer, no hidden layers), no BN',
    build: ({ inputShape, outputs }, seed) => {
      const input = tf.input({ shape: inputShape });
      return tf.model({ inputs: input, outputs: outputLayer(flattenIfNeeded(input), outputs, seed, 0) });
    },
  };
}
