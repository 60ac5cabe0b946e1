/**
 * batchlab's kernel pack for the wasm backend. tfjs-backend-wasm 4.22 ships inference kernels
 * but lacks some that training needs (Conv2DBackpropFilter, so a CNN's filter gradient throws
 * "Kernel ... not registered"); this pack fills those gaps, registers the fused training kernels
 * (../fused, shared with the cpu pack) and the Dense chain's layer passes (./dense-layer), and
 * replaces stock kernels that are slow for training.
 * Owns the wasm-only list and its (un)registration; each kernel's maths lives in its own file (the
 * SIMD ones in ./simd). A kernel the installed backend already provides is left alone.
 */
import * as tf from '@tensorflow/tfjs';
import { registerFusedKernels, unregisterFusedKernels } from '../fused';
import { KernelAdditions, KernelOverrides } from '../kernel-registry';
import { transposingBatchMatMul } from './batch-mat-mul';
import { simdConv2D, simdFusedConv2D } from './conv2d';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter';
import { fastConv2DBackpropInput } from './conv2d-backprop-input';
import { denseLayerKernels } from './dense-layer';
import { rowGather } from './gather-rows';
import { sharingIdentity } from './identity';
import { leadingMean, leadingSum } from './leading-reduce';
import { wasmKernel } from './mat-mul-call';
import { simdMaxPool } from './max-pool';
import { argMaxPoolGrad } from './max-pool-grad';
import { simdRelu } from './relu';
import { simdFusedMatMul } from './simd-mat-mul';
import { blockTile } from './tile';

const WASM = 'wasm';

/** Kernels that training needs and wasm 4.22 lacks, and the Dense chain's layer passes. */
const missingKernels: readonly tf.KernelConfig[] = [conv2DBackpropFilterConfig, ...denseLayerKernels];

/** Replacements for stock kernels that are correct but slow for training, built on the originals. */
const overrides = new KernelOverrides(WASM, {
  BatchMatMul: (original) => transposingBatchMatMul(original, wasmKernel('Transpose')),
  GatherV2: rowGather,
  Tile: blockTile,
  MaxPool: simdMaxPool,
  MaxPoolGrad: argMaxPoolGrad,
  Sum: leadingSum,
  Mean: leadingMean,
  Conv2D: simdConv2D,
  FusedConv2D: simdFusedConv2D,
  Conv2DBackpropInput: fastConv2DBackpropInput,
  Identity: sharingIdentity,
  _FusedMatMul: simdFusedMatMul,
  Relu: simdRelu,
});

/** What this pack added, so that unregistering never removes the backend's own kernels. */
const additions = new KernelAdditions(WASM);

/**
 * Registers every kernel of the pack that wasm does not already have; safe to call more than once.
 * Returns the kernel names registered by this call, e.g. ['Conv2DBackpropFilter',
 * 'BatchlabDenseForward', ...] the first time and [] afterwards.
 */
export function registerWasmTrainingKernels(): string[] {
  return [...additions.add(missingKernels), ...registerFusedKernels(WASM), ...overrides.apply(wasmKernel)];
}

/** Removes the kernels this pack registered (for tests); the backend's own kernels stay. */
export function unregisterWasmTrainingKernels(): void {
  additions.remove();
  unregisterFusedKernels(WASM);
  overrides.restore();
}
