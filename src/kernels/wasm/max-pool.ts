/**
 * MaxPool for wasm, replacing the backend's own (XNNPACK, on one thread) for the common CNN pool, a
 * 2x2 window with stride 2 inside the input and channels in fours (./plain-pool): batchlab's SIMD
 * kernel (./simd/max-pool.wat), split across the kernel threads by samples. It keeps the cpu
 * backend's maximum (NaN never wins). Every other pool goes to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { KernelCall, asKernelFunc, callOriginal } from '../kernel-call';
import { isPlain2x2, poolGeometry, poolInfo } from './plain-pool';
import { simdKernels } from './simd/instance';

type Inputs = { x: tf.TensorInfo };

export function simdMaxPool(original: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc = (call: KernelCall<Inputs>): tf.TensorInfo => {
    const { x } = call.inputs;
    const simd = simdKernels(call.backend);
    if (!simd || x.dtype !== 'float32' || x.shape.length !== 4 || tf.util.sizeFromShape(x.shape) === 0) {
      return callOriginal(original, call);
    }
    const info = poolInfo(x.shape, call.attrs as unknown as tf.MaxPoolAttrs);
    if (!isPlain2x2(info)) return callOriginal(original, call);
    const out = call.backend.makeOutput(info.outShape, 'float32');
    // Addresses taken after the allocation, which may have grown the heap.
    const at = (tensor: tf.TensorInfo) => call.backend.typedArrayFromHeap(tensor).byteOffset;
    simd.maxPool2x2(at(x), at(out), ...poolGeometry(info));
    return out;
  };
  return { ...original, kernelFunc: asKernelFunc(kernelFunc) };
}
