/** The few BackendWasm methods batchlab's JavaScript kernels use; the class itself is not public API. */
import * as tf from '@tensorflow/tfjs';

export interface WasmHeapBackend {
  /** A view of the tensor's bytes in the wasm heap; invalid after any allocation (the heap may grow). */
  typedArrayFromHeap(info: tf.TensorInfo): tf.TypedArray | Uint8Array;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  readSync(dataId: tf.DataId): tf.backend_util.BackendValues;
  disposeData(dataId: tf.DataId): boolean;
}

export interface KernelCall<Inputs> {
  inputs: Inputs;
  backend: WasmHeapBackend;
  attrs: tf.NamedAttrMap;
}

/** Wraps a typed kernel function as the untyped one tfjs registers. */
export function asKernelFunc<Inputs>(fn: (call: KernelCall<Inputs>) => tf.TensorInfo | tf.TensorInfo[]): tf.KernelFunc {
  return fn as unknown as tf.KernelFunc;
}
