/**
 * tfjs' stock cpu backend as an independent reference: none of batchlab's kernels registered on it
 * and tfjs' own gradients in place. useBackend('cpu', { kernels: false }) removes batchlab's cpu
 * kernels, but the Relu gradient is one for every backend and stays batchlab's while the wasm pack
 * is registered; this module takes it out for the duration of the reference run, and afterwards
 * puts back what was there (the gradient and any cpu kernels). Batchlab's layers and loss then take
 * their stock paths, since they use a fused kernel only where the active backend has it. Owns only
 * that switch; the comparisons are parity.ts's.
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../backend';
import { registerCpuTrainingKernels } from '../kernels';
import { installReluGradient, uninstallReluGradient } from '../ops/relu-grad';

/** Runs `fn` with tfjs' stock cpu backend active; what batchlab had installed is installed again after. */
export async function onStockCpu<T>(fn: () => Promise<T>): Promise<T> {
  const cpuKernels = tf.getKernelsForBackend('cpu');
  await useBackend('cpu', { kernels: false });
  const removed = cpuKernels.some((config) => tf.getKernel(config.kernelName, 'cpu') === undefined);
  const reluGradient = tf.getGradient('Relu');
  uninstallReluGradient('wasm');
  const reluGradientWasOurs = tf.getGradient('Relu') !== reluGradient;
  try {
    return await fn();
  } finally {
    if (reluGradientWasOurs) installReluGradient('wasm');
    if (removed) registerCpuTrainingKernels();
  }
}
