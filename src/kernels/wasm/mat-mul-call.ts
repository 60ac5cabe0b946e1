/**
 * Calling wasm's registered kernels from inside another kernel (BatchMatMul for the convolution
 * gradients, the Dense layer passes' kernels), on views of existing tensors with another shape. Owns the aliasing rule below; the arithmetic is the registered
 * BatchMatMul's (batchlab's override: the SIMD products of ./simd-mat-mul for these unbatched
 * operands).
 */
import * as tf from '@tensorflow/tfjs';
import { ArrayBackend, callOriginal } from '../kernel-call';

/**
 * `info`'s data seen with another shape of the same size, without a copy or a reference count.
 *
 * Safe to pass as a BatchMatMul operand (tfjs-backend-wasm 4.22, kernels/BatchMatMul.js): the stock
 * kernel reshapes each operand, which is an incRef on the same dataId, then disposeData on it, a
 * decRef; the net count is unchanged and never reaches zero while the caller's tensor holds it. The
 * transpose in batchlab's override only reads the operand. So the view must never be disposed.
 * One caveat: XNNPACK's operator cache is keyed by the right operand's tensor id, not its shape, so
 * a view passed as `b` must not also be multiplied as `b` with another shape while the tensor lives.
 */
export function viewAs(info: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

/** The kernel registered for wasm now under `name` (batchlab's override where there is one). */
export function wasmKernel(name: string): tf.KernelConfig {
  const kernel = tf.getKernel(name, 'wasm');
  if (!kernel) throw new Error(`the wasm backend has no ${name} kernel; is @tensorflow/tfjs-backend-wasm loaded?`);
  return kernel;
}

/** a x b (or a x b^T) through the BatchMatMul kernel registered for wasm now; a new tensor. */
export function batchMatMul(
  backend: ArrayBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeB: boolean,
): tf.TensorInfo {
  const attrs = { transposeA: false, transposeB };
  return callOriginal(wasmKernel(tf.BatchMatMul), { inputs: { a, b }, backend, attrs });
}
