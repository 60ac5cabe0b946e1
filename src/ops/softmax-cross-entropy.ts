/**
 * The classification objective of one update as one kernel, for backends that provide it (wasm, cpu
 * and webgpu with batchlab's kernel packs): mean softmax cross-entropy of logits against one-hot labels, and the
 * number of rows whose arg-max matches the label's, which tf.losses.softmaxCrossEntropy plus the
 * accuracy count spread over about twenty ops (and eight more in the gradient). Owns the kernels'
 * names and contract, the gradient (registered once) and the op.
 *
 *   BatchlabSoftmaxCrossEntropy {labels, logits} -> [loss, correct], for [rows, classes] float32:
 *     loss = mean over rows of -sum(labels * logSoftmax(logits)); correct = rows whose first arg-max
 *     of logits equals that of labels, as float32.
 *   BatchlabSoftmaxCrossEntropyGrad {labels, logits, dy} -> [dLogits] = dy / rows * (softmax -
 *     labels), tfjs' gradient (exact for labels that sum to 1 per row).
 */
import * as tf from '@tensorflow/tfjs';
import { activeBackendHas } from './active-backend';

export const SOFTMAX_CROSS_ENTROPY = 'BatchlabSoftmaxCrossEntropy';
export const SOFTMAX_CROSS_ENTROPY_GRAD = 'BatchlabSoftmaxCrossEntropyGrad';

let gradientRegistered = false;

function registerGradient(): void {
  if (gradientRegistered) return;
  gradientRegistered = true;
  tf.registerGradient({
    kernelName: SOFTMAX_CROSS_ENTROPY,
    inputsToSave: ['labels', 'logits'],
    gradFunc: (dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [dy] = dys as tf.Tensor[];
      const [labels, logits] = saved;
      return {
        logits: () => tf.engine().runKernel<tf.Tensor>(SOFTMAX_CROSS_ENTROPY_GRAD, { labels, logits, dy }, {}),
        labels: () => tf.mul(tf.neg(tf.logSoftmax(logits)), tf.div(dy, logits.shape[0])),
      };
    },
  });
}

/** The kernels' shape rule: labels and logits of one [rows, classes] shape (dtypes are the kernels'). */
export function checkSoftmaxCrossEntropyShapes(kernel: string, labels: tf.TensorInfo, logits: tf.TensorInfo): void {
  if (logits.shape.length !== 2 || labels.shape.join() !== logits.shape.join()) {
    throw new Error(
      `${kernel} needs labels and logits of one [rows, classes] shape, got [${labels.shape.join()}] and [${logits.shape.join()}]`,
    );
  }
}

export function hasFusedSoftmaxCrossEntropy(): boolean {
  return activeBackendHas(SOFTMAX_CROSS_ENTROPY, SOFTMAX_CROSS_ENTROPY_GRAD);
}

/** Mean loss and correct count of `logits` [rows, classes] against one-hot `labels`; needs the kernels. */
export function softmaxCrossEntropy(labels: tf.Tensor, logits: tf.Tensor): { loss: tf.Scalar; correct: tf.Scalar } {
  registerGradient();
  const [loss, correct] = tf.engine().runKernel<tf.Scalar[]>(SOFTMAX_CROSS_ENTROPY, { labels, logits }, {});
  return { loss, correct };
}
