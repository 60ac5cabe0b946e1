/**
 * ReLU's gradient as one kernel where the backend has it (wasm with batchlab's kernel pack): tfjs
 * computes dy * cast(step(x)) in three passes over the activation. Owns the kernel's name, its
 * contract (BatchlabReluGrad {dy, x} -> dx = dy * step(x), step being 1 above 0, 0 at or below and
 * NaN for NaN, bit for bit tfjs' result) and the Relu gradient that uses it: installed over tfjs'
 * own by the kernel pack, taking tfjs' ops wherever the kernel is missing, and removable again.
 */
import * as tf from '@tensorflow/tfjs';
import { activeBackendHas } from './active-backend';

export const RELU_GRAD = 'BatchlabReluGrad';

let stockGradient: tf.GradConfig | undefined;

const reluGradient: tf.GradConfig = {
  kernelName: 'Relu',
  inputsToSave: ['x'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
    const [x] = saved;
    const grad = dy as tf.Tensor;
    return {
      x: () =>
        activeBackendHas(RELU_GRAD) && x.dtype === 'float32'
          ? (tf.engine().runKernel(RELU_GRAD, { dy: grad, x }, {}) as tf.Tensor)
          : tf.mul(grad, tf.cast(tf.step(x), 'float32')),
    };
  },
};

/** Puts the fused Relu gradient in place of tfjs' own (idempotent). */
export function installReluGradient(): void {
  if (stockGradient) return;
  stockGradient = tf.getGradient('Relu');
  tf.registerGradient(reluGradient);
}

/** Restores tfjs' own Relu gradient. */
export function uninstallReluGradient(): void {
  if (!stockGradient) return;
  tf.registerGradient(stockGradient);
  stockGradient = undefined;
}
