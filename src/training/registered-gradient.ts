/** tfjs' registered gradient functions, as the gradient tape calls them. */
import * as tf from '@tensorflow/tfjs';

/** tfjs' registered gradient function of `kernel` (the one the tape would call). */
export function gradientOf(kernel: string): tf.GradConfig['gradFunc'] {
  const config = tf.getGradient(kernel);
  if (!config) throw new Error(`no gradient registered for ${kernel}`);
  return config.gradFunc;
}
