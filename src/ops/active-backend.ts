/** Whether the active backend has every one of the named kernels: the fused ops' one availability test. */
import * as tf from '@tensorflow/tfjs';

export function activeBackendHas(...kernelNames: string[]): boolean {
  const backend = tf.getBackend();
  return kernelNames.every((name) => tf.getKernel(name, backend) !== undefined);
}
