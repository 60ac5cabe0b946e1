/**
 * batchlab's kernel pack for tfjs' WebGPU backend, where a step's cost is mostly its dispatches:
 * the fused kernels of src/ops as shaders (BatchNorm in training mode, whose stock gradient also
 * uploads a tensor of ones the size of the activation; the softmax cross-entropy; the Adam update,
 * 14 dispatches and 6 scalar uploads per weight in stock form), and a Conv2DBackpropFilter
 * that keeps the GPU busy (tfjs' own, built on, still takes channels-first). Owns the pack's
 * (un)registration, which needs the backend's module loaded: a kernel the backend already has is
 * left alone, and a replaced one is restored on unregistering.
 */
import * as tf from '@tensorflow/tfjs';
import { webGpuAdamUpdateKernel } from './adam-update';
import { webGpuBatchNormKernels } from './batch-norm-training';
import { slicedConv2DBackpropFilter } from './conv2d-backprop-filter';
import { webGpuSoftmaxCrossEntropyKernels } from './softmax-cross-entropy';

const WEBGPU = 'webgpu';

/** Kernels the backend lacks. */
const ADDED = [webGpuAdamUpdateKernel, ...webGpuBatchNormKernels, ...webGpuSoftmaxCrossEntropyKernels];

/** Replacements for stock kernels, built on the originals. */
const OVERRIDES: Record<string, (original: tf.KernelConfig) => tf.KernelConfig> = {
  Conv2DBackpropFilter: slicedConv2DBackpropFilter,
};

const added = new Set<string>();
const replacedOriginals = new Map<string, tf.KernelConfig>();

/** Registers the pack for webgpu (idempotent); returns the names registered by this call. */
export function registerWebGpuTrainingKernels(): string[] {
  const registered: string[] = [];
  for (const { kernelName, kernelFunc } of ADDED) {
    if (tf.getKernel(kernelName, WEBGPU) !== undefined) continue;
    tf.registerKernel({ kernelName, backendName: WEBGPU, kernelFunc });
    added.add(kernelName);
    registered.push(kernelName);
  }
  for (const [name, makeOverride] of Object.entries(OVERRIDES)) {
    const original = tf.getKernel(name, WEBGPU);
    if (replacedOriginals.has(name) || !original) continue;
    tf.unregisterKernel(name, WEBGPU);
    tf.registerKernel(makeOverride(original));
    replacedOriginals.set(name, original);
    registered.push(name);
  }
  return registered;
}

/** Removes them again: tfjs' own kernels run afterwards. */
export function unregisterWebGpuTrainingKernels(): void {
  for (const kernelName of added) tf.unregisterKernel(kernelName, WEBGPU);
  added.clear();
  for (const [name, original] of replacedOriginals) {
    tf.unregisterKernel(name, WEBGPU);
    tf.registerKernel(original);
  }
  replacedOriginals.clear();
}
