/**
 * A Dense layer's forward and backward pass each as one kernel, for the tape-free Dense chain
 * (src/training/dense-chain.ts) where the backend has them (wasm with batchlab's kernel pack). At
 * batch size 1 the arithmetic of a step is tiny and each dispatch through tfjs' engine costs
 * several microseconds of bookkeeping; the two kernels take the layers' 22 dispatches of a step to 6
 * for a three-layer MLP (a whole SGD update from 39 to 23). Owns the kernels' names and contracts;
 * the kernels live in src/kernels/wasm/dense-layer.ts.
 *
 * BatchlabDenseForward {x, kernel, bias?} {relu} -> [z] or, with relu, [z, relu(z)]: z = x kernel
 * (+ bias), x of shape [rows, inputs] or any shape whose leading axis is the rows (flattened).
 * BatchlabDenseBackward {dy, x, kernel, z?} {relu, bias, inputGradient} -> [dKernel, dBias if bias,
 * dx if inputGradient]: dy is the gradient of the layer's output (after the ReLU, which needs z).
 * Both give the results of the ops the tape would run (matMul, add, relu and their registered
 * gradients), bit for bit, on the same backend.
 */
import * as tf from '@tensorflow/tfjs';
import { activeBackendHas } from './active-backend';

export const DENSE_FORWARD = 'BatchlabDenseForward';
export const DENSE_BACKWARD = 'BatchlabDenseBackward';

export interface DenseBackwardAttrs {
  relu: boolean;
  bias: boolean;
  inputGradient: boolean;
}

export function hasFusedDenseLayer(): boolean {
  return activeBackendHas(DENSE_FORWARD, DENSE_BACKWARD);
}

/** The layer's pre-activation z and its output (z itself without the ReLU), as new tensors. */
export function denseForward(
  x: tf.Tensor,
  kernel: tf.Tensor,
  bias: tf.Tensor | null,
  { relu }: { relu: boolean },
): { z: tf.Tensor2D; output: tf.Tensor2D } {
  const inputs: tf.NamedTensorMap = bias ? { x, kernel, bias } : { x, kernel };
  const [z, output] = tf.engine().runKernel<tf.Tensor2D[]>(DENSE_FORWARD, inputs, { relu });
  return { z, output: output ?? z };
}

/** The gradients of the layer's kernel, bias and input from that of its output, as new tensors. */
export function denseBackward(
  dy: tf.Tensor,
  x: tf.Tensor,
  kernel: tf.Tensor,
  z: tf.Tensor | null,
  attrs: DenseBackwardAttrs,
): { dKernel: tf.Tensor2D; dBias: tf.Tensor1D | null; dx: tf.Tensor2D | null } {
  if (attrs.relu && !z) throw new Error(`${DENSE_BACKWARD} with relu needs the pre-activation z`);
  const inputs: tf.NamedTensorMap = z && attrs.relu ? { dy, x, kernel, z } : { dy, x, kernel };
  const [dKernel, ...rest] = tf
    .engine()
    .runKernel<tf.Tensor[]>(DENSE_BACKWARD, inputs, attrs as unknown as tf.NamedAttrMap);
  const dBias = attrs.bias ? (rest.shift() as tf.Tensor1D) : null;
  const dx = attrs.inputGradient ? (rest.shift() as tf.Tensor2D) : null;
  return { dKernel: dKernel as tf.Tensor2D, dBias, dx };
}
