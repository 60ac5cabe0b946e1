/**
 * Matrix products with few rows or a short inner dimension (what batch size 1 gives every dense
 * layer: x [1, K] W, dy W^T, x^T dy) by batchlab's SIMD module, which streams the right operand
 * once per row. XNNPACK packs the right operand before every product, and weights change at every
 * update, so at batch 1 the packing costs several times the product itself. Used by the BatchMatMul
 * and _FusedMatMul overrides; anything else (batched products, both operands transposed, no SIMD)
 * returns null for the caller's usual path.
 */
import * as tf from '@tensorflow/tfjs';
import { ArrayBackend, KernelCall, asKernelFunc, callOriginal } from '../kernel-call';
import { emptyProduct } from './empty-inner';
import { simdKernels } from './simd/instance';

/** Below this many rows the one-row-at-a-time kernels run; the tiled ones from here up. */
const TILE_ROWS = 4;

/**
 * The tiled product runs over blocks of this many rows of b, adding each into c, so that the block
 * stays in cache while every tile of c passes over it: a convolution's filter gradient has an inner
 * length of batch x pixels (25088 for 14x14 at batch 128), and unblocked, b was read from memory
 * once per row tile.
 */
export const K_BLOCK = 256;

/** op(a) op(b) as a new tensor, or null where the SIMD products do not apply. */
export function simdMatMul(
  backend: ArrayBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): tf.TensorInfo | null {
  const leading = (t: tf.TensorInfo) => t.shape.slice(0, -2);
  const single = (t: tf.TensorInfo) => t.shape.length >= 2 && leading(t).every((d) => d === 1);
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || !single(a) || !single(b) || (transposeA && transposeB))
    return null;
  const [ar, ac] = a.shape.slice(-2);
  const m = transposeA ? ac : ar;
  const k = transposeA ? ar : ac;
  const n = transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
  const simd = m * k * n > 0 ? simdKernels(backend) : null;
  if (!simd) return null;
  const batchShape = a.shape.length >= b.shape.length ? leading(a) : leading(b);
  const out = backend.makeOutput([...batchShape, m, n], 'float32');
  // Addresses read after the allocation, which may have grown the heap (offsets stay valid).
  const [pa, pb, pc] = [a, b, out].map((t) => backend.typedArrayFromHeap(t).byteOffset);
  const [aRow, aCol] = transposeA ? [1, m] : [k, 1];
  if (transposeB && m < TILE_ROWS) simd.matMulDots(pa, pb, pc, m, k, n);
  else if (transposeB) simd.gemmDots(pa, pb, pc, m, k, n);
  else if (m < TILE_ROWS) simd.matMulRows(pa, pb, pc, m, k, n, aRow, aCol, 0);
  else simd.gemmBlocked(pa, pb, pc, m, k, n, aRow, aCol, K_BLOCK);
  return out;
}

type FusedInputs = { a: tf.TensorInfo; b: tf.TensorInfo; bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo };

/**
 * _FusedMatMul as the SIMD product, then the bias and a linear or ReLU activation in one pass over
 * the output. Other activations, PReLU weights and other shapes go to `original` (./empty-inner
 * where a dimension is 0). With both operands transposed, which the stock kernel gets wrong
 * ("remainder by zero", or reads out of bounds), a is first transposed into a copy.
 */
export function simdFusedMatMul(original: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc = (call: KernelCall<FusedInputs>): tf.TensorInfo => {
    const empty = emptyProduct(original, call);
    if (empty) return empty;
    if (call.attrs.transposeA && call.attrs.transposeB) return withATransposed(call);
    const { a, b, bias, preluActivationWeights } = call.inputs;
    const { transposeA, transposeB, activation } = call.attrs as unknown as tf.BatchMatMulAttrs & {
      activation: string;
    };
    const plain =
      (activation === 'linear' || activation === 'relu') &&
      preluActivationWeights == null &&
      (bias == null || (bias.shape.length === 1 && bias.dtype === 'float32'));
    const out = plain ? simdMatMul(call.backend, a, b, transposeA, transposeB) : null;
    if (!out) return callOriginal(original, call);
    const values = call.backend.typedArrayFromHeap(out) as Float32Array;
    const biasValues = bias ? (call.backend.typedArrayFromHeap(bias) as Float32Array) : null;
    const n = out.shape[out.shape.length - 1];
    for (let i = 0; i < values.length; i++) {
      const v = biasValues ? values[i] + biasValues[biasValues.length === 1 ? 0 : i % n] : values[i];
      values[i] = activation === 'relu' && v < 0 ? 0 : v;
    }
    return out;
  };
  /** The call again with a transposed into a contiguous copy (released afterwards). */
  const withATransposed = (call: KernelCall<FusedInputs>): tf.TensorInfo => {
    const transpose = tf.getKernel(tf.Transpose, 'wasm');
    const { a } = call.inputs;
    const perm = a.shape.map((_, i) => (i < a.shape.length - 2 ? i : 2 * a.shape.length - 3 - i));
    const copy = callOriginal(transpose, { inputs: { x: a }, backend: call.backend, attrs: { perm } });
    try {
      return kernelFunc({ ...call, inputs: { ...call.inputs, a: copy }, attrs: { ...call.attrs, transposeA: false } });
    } finally {
      call.backend.disposeData(copy.dataId);
    }
  };
  return { ...original, kernelFunc: asKernelFunc(kernelFunc) };
}
