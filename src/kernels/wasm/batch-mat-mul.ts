/**
 * BatchMatMul for wasm, replacing the backend's own. Unbatched float32 products (every dense layer,
 * both passes) go to batchlab's SIMD kernels (./simd-mat-mul). For the rest (batched, or both
 * operands transposed), the stock kernel runs XNNPACK on strided operands several times slower
 * than on contiguous ones, so a flagged operand is first transposed with the backend's Transpose
 * kernel, the stock BatchMatMul runs without flags, and the copy is released. A zero-sized dimension
 * is ./empty-inner's.
 */
import * as tf from '@tensorflow/tfjs';
import { KernelCall, asKernelFunc, callOriginal } from '../kernel-call';
import { emptyProduct } from './empty-inner';
import { simdMatMul } from './simd-mat-mul';

/** A replacement kernel config built on the backend's original (kept for unregistering). */
export function transposingBatchMatMul(original: tf.KernelConfig, transpose: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc = (call: KernelCall<{ a: tf.TensorInfo; b: tf.TensorInfo }>): tf.TensorInfo => {
    const { inputs, backend, attrs } = call;
    const { a, b } = inputs;
    const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
    const empty = emptyProduct(original, call);
    if (empty) return empty;
    const simd = simdMatMul(backend, a, b, transposeA, transposeB);
    if (simd) return simd;
    if (!transposeA && !transposeB) return callOriginal(original, call);
    const copies: tf.TensorInfo[] = [];
    const contiguous = (t: tf.TensorInfo, flagged: boolean): tf.TensorInfo => {
      if (!flagged) return t;
      const copy = callOriginal(transpose, { inputs: { x: t }, backend, attrs: { perm: swapLastTwo(t.shape.length) } });
      copies.push(copy);
      return copy;
    };
    try {
      return callOriginal(original, {
        inputs: { a: contiguous(a, transposeA), b: contiguous(b, transposeB) },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      });
    } finally {
      for (const copy of copies) backend.disposeData(copy.dataId);
    }
  };
  return { ...original, kernelFunc: asKernelFunc(kernelFunc) };
}

/** [0, 1, ..., r-1, r-2]: the permutation that transposes the last two axes. */
function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return perm;
}
