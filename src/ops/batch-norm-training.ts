/**
 * BatchNorm in training mode as one kernel each way, for backends that provide it (batchlab's kernel
 * packs for wasm, cpu and webgpu do). tfjs-layers composes the same maths from about a dozen ops (moments, then
 * FusedBatchNorm, whose gradient tiles and multiplies [C]-shaped operands up to the activation's
 * shape); two passes over the activation forward and two backward do the same work.
 *
 * Owns the kernels' names and contract, the gradient (registered once, for every backend) and the
 * op that picks the fused kernel when the active backend has it. The kernels themselves live in
 * src/kernels/fused and src/kernels/webgpu; the layer that calls the op is models/batch-norm-layer.ts.
 *
 * Contract, for x of shape [..., C] (channels last) reduced over every leading axis, M rows of C:
 *   forward  BatchlabBatchNormTraining {x, gamma, beta} {epsilon} -> [y, mean, variance]
 *            mean and (biased, as tf.moments) variance per channel; y = (x - mean) * gamma /
 *            sqrt(variance + epsilon) + beta.
 *   backward BatchlabBatchNormTrainingGrad {dy, x, mean, variance, gamma, dMean, dVariance}
 *            {epsilon} -> [dx, dGamma, dBeta], the exact gradient including the paths through the
 *            mean and variance outputs (which the layer only feeds to its moving averages).
 *   moving averages BatchlabMovingAverages {movingMean, movingVariance, mean, variance} {momentum}
 *            -> [movingMean', movingVariance'], each moving - (moving - batch) * (1 - momentum) in
 *            float32, op for op as tfjs-layers' layer updates them (three ops per statistic there).
 */
import * as tf from '@tensorflow/tfjs';
import { activeBackendHas } from './active-backend';

export const BATCH_NORM_TRAINING = 'BatchlabBatchNormTraining';
export const BATCH_NORM_TRAINING_GRAD = 'BatchlabBatchNormTrainingGrad';
export const MOVING_AVERAGES = 'BatchlabMovingAverages';

export interface MovingAveragesAttrs {
  momentum: number;
}

export interface BatchNormTrainingAttrs {
  epsilon: number;
}

export interface BatchNormTrainingResult {
  y: tf.Tensor;
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

let gradientRegistered = false;

/** Registers the forward kernel's gradient; safe to call more than once. */
export function registerBatchNormTrainingGradient(): void {
  if (gradientRegistered) return;
  gradientRegistered = true;
  tf.registerGradient({
    kernelName: BATCH_NORM_TRAINING,
    inputsToSave: ['x', 'gamma'],
    outputsToSave: [false, true, true],
    gradFunc: (dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const [dy, dMean, dVariance] = dys as tf.Tensor[];
      const [x, gamma, mean, variance] = saved;
      // One kernel yields all three gradients, so it runs here, not in the lazy closures below:
      // tfjs calls each closure inside its own tidy, which would dispose the other two results.
      const [dx, dGamma, dBeta] = tf
        .engine()
        .runKernel<tf.Tensor[]>(BATCH_NORM_TRAINING_GRAD, { dy, x, mean, variance, gamma, dMean, dVariance }, attrs);
      return { x: () => dx, gamma: () => dGamma, beta: () => dBeta };
    },
  });
}

/** Whether the active backend has the fused kernels (all three: a backend registers them together). */
export function hasFusedBatchNormTraining(): boolean {
  return activeBackendHas(BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD, MOVING_AVERAGES);
}

/** Normalizes `x` ([..., C]) with its own batch statistics; needs hasFusedBatchNormTraining(). */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): BatchNormTrainingResult {
  registerBatchNormTrainingGradient();
  const attrs: BatchNormTrainingAttrs = { epsilon };
  const [y, mean, variance] = tf
    .engine()
    .runKernel<tf.Tensor[]>(BATCH_NORM_TRAINING, { x, gamma, beta }, attrs as unknown as tf.NamedAttrMap);
  return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}

/** The updated moving mean and variance; needs hasFusedBatchNormTraining(). */
export function movingAverages(
  moving: { mean: tf.Tensor; variance: tf.Tensor },
  batch: { mean: tf.Tensor; variance: tf.Tensor },
  momentum: number,
): [tf.Tensor, tf.Tensor] {
  const inputs = {
    movingMean: moving.mean,
    movingVariance: moving.variance,
    mean: batch.mean,
    variance: batch.variance,
  };
  const attrs: MovingAveragesAttrs = { momentum };
  return tf.engine().runKernel<[tf.Tensor, tf.Tensor]>(MOVING_AVERAGES, inputs, attrs as unknown as tf.NamedAttrMap);
}
