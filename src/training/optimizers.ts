/** Optimizer names the CLI and options accept, their default learning rates, and construction. */
import * as tf from '@tensorflow/tfjs';
import { FusedAdamFlushingSubnormals, MomentumFlushingSubnormals } from './flush-denormals';

export type OptimizerName = 'sgd' | 'momentum' | 'adam';
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['sgd', 'momentum', 'adam'];

/** Learning rates that train the built-in models sensibly on Fashion-MNIST. */
export const DEFAULT_LEARNING_RATES: Record<OptimizerName, number> = { sgd: 0.05, momentum: 0.01, adam: 0.001 };

/** Momentum coefficient of the `momentum` optimizer. */
export const MOMENTUM = 0.9;

export function makeOptimizer(name: OptimizerName, learningRate = DEFAULT_LEARNING_RATES[name]): tf.Optimizer {
  if (!(learningRate > 0 && Number.isFinite(learningRate))) {
    throw new Error(`learningRate must be a positive number, got ${learningRate}`);
  }
  switch (name) {
    case 'sgd':
      return tf.train.sgd(learningRate);
    // tf.train.momentum / tf.train.adam with the same defaults, plus subnormal flushing.
    case 'momentum':
      return new MomentumFlushingSubnormals(learningRate, MOMENTUM, false);
    case 'adam':
      return new FusedAdamFlushingSubnormals(learningRate, 0.9, 0.999);
    default:
      throw new Error(`optimizer must be one of ${OPTIMIZER_NAMES.join(', ')}, got ${String(name)}`);
  }
}
