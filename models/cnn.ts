/**
 * Small convolutional network for image input: per filter count a 3x3 'same' convolution, optional
 * BatchNorm, activation and 2x2 max pooling; then the dense head: a dense hidden layer (with or
 * without BatchNorm), optional dropout, and the output layer.
 */
import * as tf from '@tensorflow/tfjs';
import {
  Activation,
  BatchNormOptions,
  ModelBuilder,
  describeBatchNorm,
  outputLayer,
  resolveBatchNorm,
  seededKernel,
  withBatchNorm,
} from './builder';
import { conv2d } from './conv2d-layer';
import { dense as denseLayer } from './dense-layer';

export interface CnnOptions extends BatchNormOptions {
  /** Filters of each convolution block. Default: [16, 32]. */
  filters?: number[];
  /** Units of the dense layer after the convolutions; 0 for none. Default: 64. */
  dense?: number;
  /** Activation of every hidden layer. Default: 'relu'. */
  activation?: Activation;
  /**
   * BatchNorm in the dense head too, when `batchNorm` is on. Default: true. False leaves only the
   * convolutional BN, which may train on batches of one sample (it averages over height x width).
   */
  headBatchNorm?: boolean;
  /** Dropout rate before the output layer, in [0, 1). Default: 0. */
  dropout?: number;
}

export function cnn(options: CnnOptions = {}): ModelBuilder {
  const { filters = [16, 32], dense = 64, activation = 'relu', headBatchNorm = true, dropout = 0 } = options;
  const bn = resolveBatchNorm(options);
  const headBn = { ...bn, batchNorm: bn.batchNorm && headBatchNorm };
  filters.forEach((f) => {
    if (!Number.isInteger(f) || f < 1) throw new Error(`cnn: filters must be positive integers, got ${f}`);
  });
  if (!Number.isInteger(dense) || dense < 0) throw new Error(`cnn: dense must be a non-negative integer, got ${dense}`);
  if (!(dropout >= 0 && dropout < 1)) throw new Error(`cnn: dropout must be in [0, 1), got ${dropout}`);
  const head = `dense ${dense}${bn.batchNorm && !headBatchNorm ? ' without BN' : ''}`;
  return {
    name: 'cnn',
    batchNorm: bn.batchNorm,
    describe: () =>
      `cnn conv3x3 [${filters.join(',')}] + maxpool, ${head}, ${activation}, ${describeBatchNorm(bn)}` +
      (dropout > 0 ? `, dropout ${dropout}` : ''),
    build: ({ inputShape, outputs }, seed) => {
      if (inputShape.length !== 3)
        throw new Error(`cnn needs image input [height, width, channels], got [${inputShape.join(',')}]`);
      const input = tf.input({ shape: inputShape });
      let x: tf.SymbolicTensor = input;
      filters.forEach((f, i) => {
        const conv = (useBias: boolean) =>
          conv2d({ filters: f, kernelSize: 3, padding: 'same', useBias, kernelInitializer: seededKernel(seed, i) });
        x = withBatchNorm(x, conv, { ...bn, activation });
        x = tf.layers.maxPooling2d({ poolSize: 2 }).apply(x) as tf.SymbolicTensor;
      });
      x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
      if (dense > 0) {
        const layer = (useBias: boolean) =>
          denseLayer({ units: dense, useBias, kernelInitializer: seededKernel(seed, filters.length) });
        x = withBatchNorm(x, layer, { ...headBn, activation });
      }
      if (dropout > 0) x = tf.layers.dropout({ rate: dropout }).apply(x) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: outputLayer(x, outputs, seed, filters.length + 1) });
    },
  };
}
