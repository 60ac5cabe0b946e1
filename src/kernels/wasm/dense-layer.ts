/**
 * The Dense layer kernels of src/ops/dense-layer.ts for wasm: each runs the wasm kernels that the
 * tape's ops would dispatch one by one (BatchMatMul, Add, Relu, the ReLU gradient, Sum; batchlab's
 * overrides where it has them), called directly on the backend, so the results are those ops'
 * bit for bit and only tfjs' per-dispatch bookkeeping is saved. Intermediates are released here.
 */
import * as tf from '@tensorflow/tfjs';
import { DENSE_BACKWARD, DENSE_FORWARD, DenseBackwardAttrs } from '../../ops/dense-layer';
import { RELU_GRAD } from '../../ops/relu-grad';
import { ArrayBackend, KernelCall, asKernelFunc, callOriginal, requireFloat32 } from '../kernel-call';
import { viewAs, wasmKernel } from './mat-mul-call';

const WASM = 'wasm';

/** The wasm kernel registered now under `name` (batchlab's override where there is one), run on `inputs`. */
function run(backend: ArrayBackend, name: string, inputs: object, attrs: object = {}): tf.TensorInfo {
  return callOriginal(wasmKernel(name), { inputs, backend, attrs: attrs as tf.NamedAttrMap });
}

/** `x` as the [rows, features] matrix the chain's reshape makes of it; a view, never disposed. */
function asRows(x: tf.TensorInfo): tf.TensorInfo {
  return x.shape.length === 2 ? x : viewAs(x, [x.shape[0], tf.util.sizeFromShape(x.shape.slice(1))]);
}

type ForwardInputs = { x: tf.TensorInfo; kernel: tf.TensorInfo; bias?: tf.TensorInfo };

function denseForward({ inputs, backend, attrs }: KernelCall<ForwardInputs>): tf.TensorInfo[] {
  requireFloat32(DENSE_FORWARD, inputs);
  const { x, kernel, bias } = inputs;
  const product = run(backend, tf.BatchMatMul, { a: asRows(x), b: kernel }, { transposeA: false, transposeB: false });
  let z = product;
  if (bias) {
    try {
      z = run(backend, tf.Add, { a: product, b: bias });
    } finally {
      backend.disposeData(product.dataId);
    }
  }
  if (!attrs.relu) return [z];
  try {
    return [z, run(backend, tf.Relu, { x: z })];
  } catch (error) {
    backend.disposeData(z.dataId);
    throw error;
  }
}

type BackwardInputs = { dy: tf.TensorInfo; x: tf.TensorInfo; kernel: tf.TensorInfo; z?: tf.TensorInfo };

function denseBackward({ inputs, backend, attrs }: KernelCall<BackwardInputs>): tf.TensorInfo[] {
  requireFloat32(DENSE_BACKWARD, inputs);
  const { dy, x, kernel, z } = inputs;
  const { relu, bias, inputGradient } = attrs as unknown as DenseBackwardAttrs;
  if (relu && !z) throw new Error(`${DENSE_BACKWARD} with relu needs the pre-activation z`);
  const dz = relu && z ? run(backend, RELU_GRAD, { dy, x: z }) : dy;
  const outputs: tf.TensorInfo[] = [];
  try {
    outputs.push(run(backend, tf.BatchMatMul, { a: asRows(x), b: dz }, { transposeA: true, transposeB: false }));
    // Add's gradient for a [units] bias: dz summed over the rows (tfjs then reshapes it to [units]).
    if (bias) outputs.push(run(backend, tf.Sum, { x: dz }, { axis: [0], keepDims: false }));
    if (inputGradient) {
      outputs.push(run(backend, tf.BatchMatMul, { a: dz, b: kernel }, { transposeA: false, transposeB: true }));
    }
    return outputs;
  } catch (error) {
    for (const output of outputs) backend.disposeData(output.dataId);
    throw error;
  } finally {
    if (dz !== dy) backend.disposeData(dz.dataId);
  }
}

export const denseLayerKernels: readonly tf.KernelConfig[] = [
  { kernelName: DENSE_FORWARD, backendName: WASM, kernelFunc: asKernelFunc(denseForward) },
  { kernelName: DENSE_BACKWARD, backendName: WASM, kernelFunc: asKernelFunc(denseBackward) },
];
