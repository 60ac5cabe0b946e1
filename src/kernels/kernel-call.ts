/**
 * What batchlab's kernels see of a backend: its tensors as typed arrays, outputs allocated in
 * place. tfjs' wasm backend (BackendWasm, not public API) has these methods itself, over its heap;
 * the cpu pack gives the cpu backend's arrays the same shape (./cpu). Also the typed form of a
 * kernel call and the two casts between it and tfjs' untyped KernelFunc.
 */
import * as tf from '@tensorflow/tfjs';

export interface ArrayBackend {
  /** The tensor's values; on wasm a view of the heap, invalid after any allocation (the heap may grow). */
  typedArrayFromHeap(info: tf.TensorInfo): tf.TypedArray | Uint8Array;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  readSync(dataId: tf.DataId): tf.backend_util.BackendValues;
  disposeData(dataId: tf.DataId): boolean;
}

export interface KernelCall<Inputs> {
  inputs: Inputs;
  backend: ArrayBackend;
  attrs: tf.NamedAttrMap;
}

/** A kernel written against ArrayBackend, that each pack registers under its backend's name. */
export type PortableKernel = Omit<tf.KernelConfig, 'backendName'>;

/** Throws, naming the kernel and the input, unless every input is float32 (the fused kernels' contract). */
export function requireFloat32(kernel: string, inputs: Record<string, tf.TensorInfo>): void {
  for (const [name, info] of Object.entries(inputs)) {
    if (info.dtype !== 'float32') throw new Error(`${kernel} needs float32 inputs, got ${name} ${info.dtype}`);
  }
}

/** Wraps a typed kernel function as the untyped one tfjs registers. */
export function asKernelFunc<Inputs>(fn: (call: KernelCall<Inputs>) => tf.TensorInfo | tf.TensorInfo[]): tf.KernelFunc {
  return fn as unknown as tf.KernelFunc;
}

/**
 * Runs a kernel the backend registered (the stock kernel an override replaced, or another it
 * calls, such as wasm's Conv2D) on a typed call; for single-output kernels.
 */
export function callOriginal<Inputs>(original: tf.KernelConfig, call: KernelCall<Inputs>): tf.TensorInfo {
  return original.kernelFunc(call as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
}
