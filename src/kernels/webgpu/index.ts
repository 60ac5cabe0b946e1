/**
 * batchlab's kernel pack for tfjs' WebGPU backend, where a step's cost is mostly its dispatches:
 * the fused kernels of src/ops as shaders (BatchNorm in training mode, whose stock gradient also
 * uploads a tensor of ones the size of the activation; the softmax cross-entropy; the Adam update,
 * 14 dispatches and 6 scalar uploads per weight in stock form), and a Conv2DBackpropFilter
 * that keeps the GPU busy (tfjs' own, built on, still takes channels-first). Owns the pack's
 * (un)registration, which needs the backend's module loaded: a kernel the backend already has is
 * left alone, and a replaced one is restored on unregistering.
 */
import { KernelAdditions, KernelOverrides } from '../kernel-registry';
import { webGpuAdamUpdateKernel } from './adam-update';
import { webGpuBatchNormKernels } from './batch-norm-training';
import { slicedConv2DBackpropFilter } from './conv2d-backprop-filter';
import { webGpuSoftmaxCrossEntropyKernels } from './softmax-cross-entropy';

const WEBGPU = 'webgpu';

/** Kernels the backend lacks. */
const ADDED = [webGpuAdamUpdateKernel, ...webGpuBatchNormKernels, ...webGpuSoftmaxCrossEntropyKernels];

/** Replacements for stock kernels, built on the originals. */
const overrides = new KernelOverrides(WEBGPU, { Conv2DBackpropFilter: slicedConv2DBackpropFilter });

const additions = new KernelAdditions(WEBGPU);

/** Registers the pack for webgpu (idempotent); returns the names registered by this call. */
export function registerWebGpuTrainingKernels(): string[] {
  return [...additions.add(ADDED), ...overrides.apply()];
}

/** Removes them again: tfjs' own kernels run afterwards. */
export function unregisterWebGpuTrainingKernels(): void {
  additions.remove();
  overrides.restore();
}
