/**
 * Identity for wasm without a copy. tfjs' engine clones (Identity) every input a gradient needs
 * while a gradient tape is recording, and the stock wasm kernel copies the whole buffer each time
 * (~13 ms per BN CNN step at batch 128). Tensors are immutable, so the clone can share the buffer
 * under a reference count, as the wasm Reshape kernel and the cpu backend's Identity already do.
 */
import * as tf from '@tensorflow/tfjs';
import { KernelCall, asKernelFunc, callOriginal } from '../kernel-call';

interface RefCountingBackend {
  incRef(dataId: tf.DataId): void;
}

export function sharingIdentity(original: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc = (call: KernelCall<{ x: tf.TensorInfo }>): tf.TensorInfo => {
    const { x } = call.inputs;
    if (x.dtype === 'string') return callOriginal(original, call);
    (call.backend as unknown as RefCountingBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
  return { ...original, kernelFunc: asKernelFunc(kernelFunc) };
}
