/**
 * batchlab's kernel pack for tfjs' WebGPU backend: the fused Adam update, the one fused kernel whose
 * stock form costs most there (13 dispatches and as many scalar uploads per weight and update).
 * Owns the pack's (un)registration; a kernel the backend already has is left alone.
 */
import * as tf from '@tensorflow/tfjs';
import { webGpuAdamUpdateKernel } from './adam-update';

const WEBGPU = 'webgpu';
const KERNELS = [webGpuAdamUpdateKernel];
let registered: string[] = [];

/** Registers the pack for webgpu (idempotent); returns the names registered by this call. */
export function registerWebGpuTrainingKernels(): string[] {
  const added: string[] = [];
  for (const { kernelName, kernelFunc } of KERNELS) {
    if (tf.getKernel(kernelName, WEBGPU) !== undefined) continue;
    tf.registerKernel({ kernelName, backendName: WEBGPU, kernelFunc });
    added.push(kernelName);
  }
  registered = [...registered, ...added];
  return added;
}

/** Removes them again; tfjs' own ops (13 per weight for Adam) run afterwards. */
export function unregisterWebGpuTrainingKernels(): void {
  for (const kernelName of registered) tf.unregisterKernel(kernelName, WEBGPU);
  registered = [];
}
