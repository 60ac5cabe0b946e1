/**
 * Relu for wasm, replacing the backend's own (one thread) for float32: batchlab's SIMD kernel
 * (./simd/relu.wat), split across the kernel threads by element ranges where the tensor is large
 * (a BN CNN's first ReLU at batch 128 has 1.6M values). Its results are stock wasm's, bit for bit
 * (-0 becomes 0, NaN stays NaN). Other dtypes, and runtimes without the SIMD kernels, go to the
 * stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { KernelCall, asKernelFunc, callOriginal } from '../kernel-call';
import { simdKernels } from './simd/instance';

type Inputs = { x: tf.TensorInfo };

export function simdRelu(original: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc = (call: KernelCall<Inputs>): tf.TensorInfo => {
    const { x } = call.inputs;
    const simd = simdKernels(call.backend);
    if (!simd || x.dtype !== 'float32') return callOriginal(original, call);
    const out = call.backend.makeOutput(x.shape, 'float32');
    // Views taken after the allocation, which may have grown the heap.
    const [input, output] = [x, out].map((t) => call.backend.typedArrayFromHeap(t));
    simd.relu(input.byteOffset, output.byteOffset, input.length);
    return out;
  };
  return { ...original, kernelFunc: asKernelFunc(kernelFunc) };
}
