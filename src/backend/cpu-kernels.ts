/**
 * batchlab's fused training kernels on tfjs' pure-JavaScript cpu backend: the same kernels as the
 * wasm pack's (BatchNorm in training mode, the Adam update, softmax cross-entropy with its correct
 * count, ReLU's gradient), run through an adapter that gives them the cpu backend's arrays instead
 * of the wasm heap; without the wasm SIMD module they take their TypeScript loops. Each replaces a
 * dozen JavaScript ops of several passes each. Owns the adapter and (un)registration.
 */
import * as tf from '@tensorflow/tfjs';
import { adamUpdateConfig } from './wasm-kernels/adam-update';
import { batchNormTrainingConfigs } from './wasm-kernels/batch-norm-training';
import type { WasmHeapBackend } from './wasm-kernels/heap-backend';
import { reluGradConfig } from './wasm-kernels/relu-grad';
import { softmaxCrossEntropyConfigs } from './wasm-kernels/softmax-cross-entropy';
import { RELU_GRAD, installReluGradient, uninstallReluGradient } from '../ops/relu-grad';

const CPU = 'cpu';

/** The cpu backend's methods the adapter uses (MathBackendCPU; the class is not in tfjs' types). */
interface CpuBackend {
  data: { get(dataId: tf.DataId): { values?: tf.backend_util.BackendValues } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.backend_util.BackendValues): tf.TensorInfo;
  readSync(dataId: tf.DataId): tf.backend_util.BackendValues;
  disposeData(dataId: tf.DataId): boolean;
}

const adapters = new WeakMap<CpuBackend, WasmHeapBackend>();

/** The cpu backend seen through the heap interface the kernels are written against (one per backend). */
function heapOf(cpu: CpuBackend): WasmHeapBackend {
  let heap = adapters.get(cpu);
  if (!heap) {
    heap = {
      makeOutput: (shape, dtype) => cpu.makeTensorInfo(shape, dtype, new Float32Array(tf.util.sizeFromShape(shape))),
      typedArrayFromHeap: (info) => cpu.data.get(info.dataId).values as tf.TypedArray,
      readSync: (dataId) => cpu.readSync(dataId),
      disposeData: (dataId) => cpu.disposeData(dataId),
    };
    adapters.set(cpu, heap);
  }
  return heap;
}

const sources: readonly tf.KernelConfig[] = [
  ...batchNormTrainingConfigs,
  adamUpdateConfig,
  ...softmaxCrossEntropyConfigs,
  reluGradConfig,
];

const cpuConfigs: readonly tf.KernelConfig[] = sources.map((source) => ({
  kernelName: source.kernelName,
  backendName: CPU,
  kernelFunc: ((args: Parameters<tf.KernelFunc>[0]) =>
    source.kernelFunc({
      ...args,
      backend: heapOf(args.backend as unknown as CpuBackend) as unknown as tf.KernelBackend,
    })) as tf.KernelFunc,
}));

/** Registers the fused kernels for cpu (idempotent); returns the names registered by this call. */
export function registerCpuTrainingKernels(): string[] {
  const registered: string[] = [];
  for (const config of cpuConfigs) {
    if (tf.getKernel(config.kernelName, CPU)) continue;
    tf.registerKernel(config);
    registered.push(config.kernelName);
  }
  installReluGradient();
  return registered;
}

/** Removes them again (tfjs' own cpu ops run everywhere afterwards). */
export function unregisterCpuTrainingKernels(): void {
  for (const config of cpuConfigs)
    if (tf.getKernel(config.kernelName, CPU)) tf.unregisterKernel(config.kernelName, CPU);
  if (!tf.getKernel(RELU_GRAD, 'wasm')) uninstallReluGradient();
}
