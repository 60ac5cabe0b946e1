/**
 * Whether a tensor's values are all finite: the kernels whose fast paths treat NaN and infinities
 * differently from tfjs (a product's zero padding times Infinity, XNNPACK's min/max clamp on NaN)
 * check an output with it, and redo the rare non-finite case the slower, exact way.
 */
import type * as tf from '@tensorflow/tfjs';

export function allFinite(values: tf.TypedArray | Uint8Array): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return false;
  return true;
}
