/**
 * BatchMatMul for wasm, replacing the backend's own. Unbatched float32 products (every dense layer,
 * both passes) go to batchlab's SIMD kernels (./simd-mat-mul). For the rest (batched, or both
 * operands transposed), the stock kernel runs XNNPACK on strided operands several times slower
 * than on contiguous ones, so a flagged operand is first transposed with the backend's Transpose
 * kernel, the stock BatchMatMul runs without flags, and the copy is released.
 */
import * as tf from '@tensorflow/tfjs';
import type { WasmHeapBackend } from './heap-backend';
import { simdMatMul } from './simd-mat-mul';

/** A replacement kernel config built on the backend's original (kept for unregistering). */
export function transposingBatchMatMul(original: tf.KernelConfig, transpose: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc = ({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo => {
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
    const simd = simdMatMul(backend as unknown as WasmHeapBackend, a, b, transposeA, transposeB);
    if (simd) return simd;
    if (!transposeA && !transposeB) return original.kernelFunc({ inputs, backend, attrs }) as tf.TensorInfo;
    const copies: tf.TensorInfo[] = [];
    const contiguous = (t: tf.TensorInfo, flagged: boolean): tf.TensorInfo => {
      if (!flagged) return t;
      const copy = transpose.kernelFunc({
        inputs: { x: t },
        backend,
        attrs: { perm: swapLastTwo(t.shape.length) },
      }) as tf.TensorInfo;
      copies.push(copy);
      return copy;
    };
    try {
      return original.kernelFunc({
        inputs: { a: contiguous(a, transposeA), b: contiguous(b, transposeB) },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      }) as tf.TensorInfo;
    } finally {
      for (const copy of copies) (backend as unknown as WasmHeapBackend).disposeData(copy.dataId);
    }
  };
  return { ...original, kernelFunc: kernelFunc as tf.KernelFunc };
}

/** [0, 1, ..., r-1, r-2]: the permutation that transposes the last two axes. */
function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return perm;
}
