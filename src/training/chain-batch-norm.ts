/**
 * BatchNorm inside a Dense chain (./dense-chain): batchlab's BatchNormalization layer after a Dense
 * layer, maybe followed by a ReLU, trained without the gradient tape. The forward pass is the
 * layer's own training call (the fused kernel, then the moving statistics moved as the layer moves
 * them); the backward pass calls the gradient tfjs has registered for that kernel with what the
 * tape would give it (the batch's mean and variance saved, zeros for their own gradients, which
 * reach no loss), so every result is the tape's bit for bit. Only the plain layer takes part:
 * ghost BN, batch renorm, a layer without gamma or beta, and a backend without the fused kernels
 * leave the model to the tape, and so does the exact accumulated step over micro-batches
 * (../exact-batch-norm), whose override replaces the layer's call.
 */
import * as tf from '@tensorflow/tfjs';
import { BatchNormalization, isBatchlabBatchNorm } from '../../models/batch-norm-layer';
import { BATCH_NORM_TRAINING } from '../ops/batch-norm-training';
import { gradientOf } from './registered-gradient';

/** A BatchNormalization layer of the chain, and whether a ReLU Activation layer follows it. */
export interface ChainNorm {
  layer: BatchNormalization;
  relu: boolean;
}

/** What the backward pass of one BatchNorm stage needs from its forward pass. */
export interface NormSaved {
  x: tf.Tensor;
  mean: tf.Tensor;
  variance: tf.Tensor;
  /** The normalised output, before the ReLU. */
  y: tf.Tensor;
}

/** `layer` as a BatchNorm stage of a chain on rank-2 activations, or null when it must run on the tape. */
export function chainNormOf(layer: tf.layers.Layer): BatchNormalization | null {
  return isBatchlabBatchNorm(layer) && layer.takesFusedPath(2) ? layer : null;
}

/** The stage's trainable weights, in the layer's order. */
export function normWeights(norm: ChainNorm): tf.LayerVariable[] {
  const { gamma, beta } = norm.layer.parts;
  return [gamma as tf.LayerVariable, beta as tf.LayerVariable];
}

/** The layer's training call on `x` ([batch, C]) and the ReLU after it: the output and what the backward pass needs. */
export function normForward(norm: ChainNorm, x: tf.Tensor): { output: tf.Tensor; saved: NormSaved } {
  const batch = norm.layer.normalizeInTraining(x, x.rank - 1, true);
  const output = norm.relu ? tf.relu(batch.y) : batch.y;
  return { output, saved: { x, mean: batch.mean, variance: batch.variance, y: batch.y } };
}

/**
 * The gradient with respect to the stage's input, given the one with respect to its output; gamma's
 * and beta's go into `byVariable`.
 */
export function normBackward(
  norm: ChainNorm,
  saved: NormSaved,
  dOutput: tf.Tensor,
  byVariable: Map<tf.Variable, tf.Tensor>,
): tf.Tensor {
  const { epsilon, gamma, beta } = norm.layer.parts;
  const dy = norm.relu ? (gradientOf('Relu')(dOutput, [saved.y], {}) as Record<string, () => tf.Tensor>).x() : dOutput;
  // The tape gives an output that reaches no loss (the statistics, which only move the moving ones) zeros.
  const none = tf.zeros(saved.mean.shape);
  const gammaValue = gamma!.read();
  const grads = gradientOf(BATCH_NORM_TRAINING)([dy, none, none], [saved.x, gammaValue, saved.mean, saved.variance], {
    epsilon,
  }) as Record<string, () => tf.Tensor>;
  byVariable.set(gammaValue as tf.Variable, grads.gamma());
  byVariable.set(beta!.read() as tf.Variable, grads.beta());
  return grads.x();
}
