/**
 * What every model builder is: a seeded recipe that knows its layers and can describe itself in one
 * line for experiment logs. Owns the shared pieces (seeded initialisers, the dense/conv + BatchNorm
 * + activation block); each builder file owns only its own architecture.
 */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../src/util/random';
import { batchNormalization } from './batch-norm-layer';

export type Activation = 'relu' | 'tanh' | 'sigmoid' | 'elu' | 'linear';
export type BnPosition = 'before' | 'after';

export interface ModelShape {
  /** Shape of one sample, e.g. [28, 28, 1] or [784]. */
  inputShape: number[];
  /** Output units: classes for classification (the model outputs logits), 1 for regression. */
  outputs: number;
}

export interface ModelBuilder {
  /** Builder name: `mlp`, `cnn`, `logistic`. */
  readonly name: string;
  readonly batchNorm: boolean;
  /** One line for logs, e.g. `mlp [256,128] relu, BN before activation (momentum 0.9, epsilon 0.001)`. */
  describe(): string;
  /** A fresh model; the same seed gives the same initial weights. */
  build(shape: ModelShape, seed: number): tf.LayersModel;
}

export interface BatchNormOptions {
  /** Insert BatchNormalization after each hidden layer. Default: false. */
  batchNorm?: boolean;
  /** BN before the activation (as in the original paper) or after it. Default: 'before'. */
  bnPosition?: BnPosition;
  /**
   * Moving-average momentum: moving = momentum * moving + (1 - momentum) * batch. Default: 0.9
   * (PyTorch's 0.1 in its convention), not tfjs' 0.99, so short runs have settled statistics.
   */
  momentum?: number;
  /** Added to the variance before the square root. Default: 0.001. */
  epsilon?: number;
}

/** Seeded Glorot initialiser for the `index`-th weighted layer, so BN on/off share initial weights. */
export function seededKernel(seed: number, index: number): ReturnType<typeof tf.initializers.glorotUniform> {
  return tf.initializers.glorotUniform({ seed: deriveSeed(seed, index) });
}

export interface BlockOptions extends Required<BatchNormOptions> {
  activation: Activation;
}

/**
 * Appends `layer -> [BN] -> activation` (or `layer -> activation -> [BN]`) to `x`. `makeLayer`
 * receives whether it may use a bias: a bias directly followed by BN is redundant (BN subtracts the
 * mean and adds its own beta), so it is dropped there.
 */
export function withBatchNorm(
  x: tf.SymbolicTensor,
  makeLayer: (useBias: boolean) => tf.layers.Layer,
  options: BlockOptions,
): tf.SymbolicTensor {
  const bn = (): tf.layers.Layer => batchNormalization({ momentum: options.momentum, epsilon: options.epsilon });
  const act = (): tf.layers.Layer => tf.layers.activation({ activation: options.activation });
  if (!options.batchNorm) return act().apply(makeLayer(true).apply(x)) as tf.SymbolicTensor;
  if (options.bnPosition === 'before') {
    return act().apply(bn().apply(makeLayer(false).apply(x))) as tf.SymbolicTensor;
  }
  return bn().apply(act().apply(makeLayer(true).apply(x))) as tf.SymbolicTensor;
}

export function resolveBatchNorm(options: BatchNormOptions): Required<BatchNormOptions> {
  const resolved = {
    batchNorm: options.batchNorm ?? false,
    bnPosition: options.bnPosition ?? 'before',
    momentum: options.momentum ?? 0.9,
    epsilon: options.epsilon ?? 1e-3,
  };
  if (!(resolved.momentum >= 0 && resolved.momentum < 1))
    throw new Error(`momentum must be in [0, 1), got ${resolved.momentum}`);
  if (!(resolved.epsilon > 0)) throw new Error(`epsilon must be > 0, got ${resolved.epsilon}`);
  if (resolved.bnPosition !== 'before' && resolved.bnPosition !== 'after') {
    throw new Error(`bnPosition must be 'before' or 'after', got ${String(resolved.bnPosition)}`);
  }
  return resolved;
}

export function describeBatchNorm(bn: Required<BatchNormOptions>): string {
  return bn.batchNorm ? `BN ${bn.bnPosition} activation (momentum ${bn.momentum}, epsilon ${bn.epsilon})` : 'no BN';
}

/** Final dense layer producing logits (classification) or the prediction (regression). */
export function outputLayer(x: tf.SymbolicTensor, outputs: number, seed: number, index: number): tf.SymbolicTensor {
  return tf.layers
    .dense({ units: outputs, kernelInitializer: seededKernel(seed, index), name: 'output' })
    .apply(x) as tf.SymbolicTensor;
}

/** Flattens image-shaped input for dense layers; rank-1 input passes through. */
export function flattenIfNeeded(x: tf.SymbolicTensor): tf.SymbolicTensor {
  return x.shape.length > 2 ? (tf.layers.flatten().apply(x) as tf.SymbolicTensor) : x;
}
