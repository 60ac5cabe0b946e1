/**
 * ReLU's gradient as one kernel where the backend has it (wasm or cpu with batchlab's kernel
 * packs): tfjs computes dy * cast(step(x)) in three passes over the activation. Owns the kernel's name, its
 * contract (BatchlabReluGrad {dy, x} -> dx = dy * step(x), step being 1 above 0, 0 at or below and
 * NaN for NaN, bit for bit tfjs' result) and the Relu gradient that uses it: installed over tfjs'
 * own while any kernel pack is registered, taking tfjs' ops wherever the kernel is missing.
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
          ? tf.engine().runKernel<tf.Tensor>(RELU_GRAD, { dy: grad, x }, {})
          : tf.mul(grad, tf.cast(tf.step(x), 'float32')),
    };
  },
};

/** The packs (by backend name) that use the fused Relu gradient; tfjs' own returns when none does. */
const holders = new Set<string>();

/** Puts the fused Relu gradient in place of tfjs' own for `holder` (idempotent per holder). */
export function installReluGradient(holder: string): void {
  if (holders.size === 0) {
    stockGradient = tf.getGradient('Relu');
    tf.registerGradient(reluGradient);
  }
  holders.add(holder);
}

/** Releases `holder`'s use; restores tfjs' own Relu gradient once no pack uses the fused one. */
export function uninstallReluGradient(holder: string): void {
  if (!holders.delete(holder) || holders.size > 0 || !stockGradient) return;
  tf.registerGradient(stockGradient);
  stockGradient = undefined;
}
