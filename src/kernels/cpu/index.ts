/**
 * batchlab's kernel pack for tfjs' pure-JavaScript cpu backend: the fused training kernels of
 * ../fused (BatchNorm in training mode, the Adam update, softmax cross-entropy with its correct
 * count, ReLU's gradient), given the cpu backend's arrays through an ArrayBackend adapter; without
 * the wasm SIMD module they take their TypeScript loops. Each replaces a dozen JavaScript ops of
 * several passes each. Owns the adapter and the pack's (un)registration.
 */
import * as tf from '@tensorflow/tfjs';
import { registerFusedKernels, unregisterFusedKernels } from '../fused';
import type { ArrayBackend } from '../kernel-call';

const CPU = 'cpu';

/** The cpu backend's methods the adapter uses (MathBackendCPU; the class is not in tfjs' types). */
interface CpuBackend {
  data: { get(dataId: tf.DataId): { values?: tf.backend_util.BackendValues } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.backend_util.BackendValues): tf.TensorInfo;
  readSync(dataId: tf.DataId): tf.backend_util.BackendValues;
  disposeData(dataId: tf.DataId): boolean;
}

const adapters = new WeakMap<CpuBackend, ArrayBackend>();

/** The cpu backend seen as an ArrayBackend (one adapter per backend). */
function arraysOf(cpu: CpuBackend): ArrayBackend {
  let arrays = adapters.get(cpu);
  if (!arrays) {
    arrays = {
      makeOutput: (shape, dtype) => cpu.makeTensorInfo(shape, dtype, new Float32Array(tf.util.sizeFromShape(shape))),
      typedArrayFromHeap: (info) => cpu.data.get(info.dataId).values as tf.TypedArray,
      readSync: (dataId) => cpu.readSync(dataId),
      disposeData: (dataId) => cpu.disposeData(dataId),
    };
    adapters.set(cpu, arrays);
  }
  return arrays;
}

/** A fused kernel function called with the cpu backend's adapter in place of the backend. */
function onCpuArrays(kernelFunc: tf.KernelFunc): tf.KernelFunc {
  return (args) => kernelFunc({ ...args, backend: arraysOf(args.backend as unknown as CpuBackend) });
}

/** Registers the fused kernels for cpu (idempotent); returns the names registered by this call. */
export function registerCpuTrainingKernels(): string[] {
  return registerFusedKernels(CPU, onCpuArrays);
}

/** Removes them again (tfjs' own cpu ops run everywhere afterwards); wasm's pack is not touched. */
export function unregisterCpuTrainingKernels(): void {
  unregisterFusedKernels(CPU);
}
