/**
 * The fused training kernels (contracts in src/ops: BatchNorm, Adam, loss, ReLU gradient), one
 * implementation each, written against ArrayBackend so that every pack registers the same ones
 * (../wasm on the heap, ../cpu through its adapter). Owns their one list and their (un)registration
 * per backend, with the Relu gradient that uses the fused kernel. A kernel the backend already
 * has is left alone, and unregistering removes only what this module registered for that backend.
 */
import * as tf from '@tensorflow/tfjs';
import { installReluGradient, uninstallReluGradient } from '../../ops/relu-grad';
import { PortableKernel } from '../kernel-call';
import { KernelAdditions } from '../kernel-registry';
import { adamUpdateKernel } from './adam-update';
import { batchNormTrainingKernels } from './batch-norm-training';
import { reluGradKernel } from './relu-grad';
import { softmaxCrossEntropyKernels } from './softmax-cross-entropy';

export const FUSED_KERNELS: readonly PortableKernel[] = [
  ...batchNormTrainingKernels,
  adamUpdateKernel,
  ...softmaxCrossEntropyKernels,
  reluGradKernel,
];

/** The fused kernels added to each backend. */
const additionsFor = new Map<string, KernelAdditions>();

/**
 * Registers the fused kernels `backendName` lacks, each kernel function passed through `adapt`
 * (how a pack gives the kernels its backend as an ArrayBackend); returns the names registered.
 */
export function registerFusedKernels(
  backendName: string,
  adapt: (kernelFunc: tf.KernelFunc) => tf.KernelFunc = (kernelFunc) => kernelFunc,
): string[] {
  let additions = additionsFor.get(backendName);
  if (!additions) additionsFor.set(backendName, (additions = new KernelAdditions(backendName)));
  const registered = additions.add(FUSED_KERNELS, adapt);
  installReluGradient(backendName);
  return registered;
}

/** Removes the fused kernels registered for `backendName`; other backends keep theirs. */
export function unregisterFusedKernels(backendName: string): void {
  additionsFor.get(backendName)?.remove();
  uninstallReluGradient(backendName);
}
