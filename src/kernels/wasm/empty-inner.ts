/**
 * Matrix products with a zero-sized dimension, which the stock wasm BatchMatMul and _FusedMatMul
 * get wrong: an empty output throws "remainder by zero" (or reads out of bounds), and an inner
 * dimension of 0 leaves the output uninitialised (XNNPACK refuses the operator). The cpu backend
 * gives an empty tensor and zeros. An empty output is made here; a call with an empty inner
 * dimension runs on zero operands of inner size 1, which gives exactly 0 for every product, then
 * the bias and activation as usual.
 */
import * as tf from '@tensorflow/tfjs';
import { ArrayBackend, KernelCall, callOriginal } from '../kernel-call';

type Operands = { a: tf.TensorInfo; b: tf.TensorInfo };

/** The product's result where a dimension is 0, else null (the caller's usual path). */
export function emptyProduct<Inputs extends Operands>(
  kernel: tf.KernelConfig,
  call: KernelCall<Inputs>,
): tf.TensorInfo | null {
  const { transposeA, transposeB } = call.attrs as unknown as tf.BatchMatMulAttrs;
  const { a, b } = call.inputs;
  const inner = a.shape[a.shape.length - (transposeA ? 2 : 1)];
  const m = a.shape[a.shape.length - (transposeA ? 1 : 2)];
  const n = b.shape[b.shape.length - (transposeB ? 2 : 1)];
  const batch = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const outShape = [...batch, m, n];
  if (tf.util.sizeFromShape(outShape) === 0) return call.backend.makeOutput(outShape, 'float32');
  return inner === 0 ? withUnitInner(kernel, call, m, n) : null;
}

function zeros(backend: ArrayBackend, shape: number[]): tf.TensorInfo {
  const info = backend.makeOutput(shape, 'float32');
  backend.typedArrayFromHeap(info).fill(0);
  return info;
}

/** Runs `kernel` untransposed on zeros a [..., m, 1] and b [..., 1, n]; the zeros are released. */
function withUnitInner<Inputs extends Operands>(
  kernel: tf.KernelConfig,
  call: KernelCall<Inputs>,
  m: number,
  n: number,
): tf.TensorInfo {
  const { a, b } = call.inputs;
  const a1 = zeros(call.backend, [...a.shape.slice(0, -2), m, 1]);
  const b1 = zeros(call.backend, [...b.shape.slice(0, -2), 1, n]);
  try {
    const attrs = { ...call.attrs, transposeA: false, transposeB: false };
    return callOriginal(kernel, { ...call, inputs: { ...call.inputs, a: a1, b: b1 }, attrs });
  } finally {
    call.backend.disposeData(a1.dataId);
    call.backend.disposeData(b1.dataId);
  }
}
