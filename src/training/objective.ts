/**
 * What training minimises and reports for each kind of task: softmax cross-entropy on logits and
 * accuracy for classification, mean squared error (and no accuracy) for regression.
 */
import * as tf from '@tensorflow/tfjs';
import type { Task } from '../data/dataset';

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
