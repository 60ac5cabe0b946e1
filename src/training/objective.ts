/**
 * What training minimises and reports for each kind of task: softmax cross-entropy on logits and
 * accuracy for classification, mean squared error (and no accuracy) for regression.
 */
import * as tf from '@tensorflow/tfjs';
import type { Task } from '../data/dataset';
import { hasFusedSoftmaxCrossEntropy, softmaxCrossEntropy } from '../ops/softmax-cross-entropy';

/** Mean loss over the rows of `labels` / `outputs`. */
export function meanLoss(task: Task, labels: tf.Tensor, outputs: tf.Tensor): tf.Scalar {
  return task === 'classification'
    ? tf.losses.softmaxCrossEntropy(labels, outputs)
    : tf.losses.meanSquaredError(labels, outputs);
}

/** Number of rows whose arg-max output matches the one-hot label, as a float32 scalar. */
export function countCorrect(labels: tf.Tensor, outputs: tf.Tensor): tf.Scalar {
  return tf.sum(tf.cast(tf.equal(tf.argMax(outputs, -1), tf.argMax(labels, -1)), 'float32'));
}

/**
 * The loss of one update and, for classification, its correct count: one fused kernel where the
 * backend has it (src/ops/softmax-cross-entropy.ts), else meanLoss and countCorrect.
 */
export function lossAndCorrect(
  task: Task,
  labels: tf.Tensor,
  outputs: tf.Tensor,
): { loss: tf.Scalar; correct: tf.Scalar | null } {
  if (task !== 'classification') return { loss: meanLoss(task, labels, outputs), correct: null };
  const fused =
    outputs.rank === 2 && labels.dtype === 'float32' && outputs.dtype === 'float32' && hasFusedSoftmaxCrossEntropy();
  return fused
    ? softmaxCrossEntropy(labels, outputs)
    : { loss: meanLoss(task, labels, outputs), correct: countCorrect(labels, outputs) };
}
