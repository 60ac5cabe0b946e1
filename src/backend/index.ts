export { useBackend, activeBackendThreads, BACKEND_CHOICES, AUTO_ORDER, ALL_BACKENDS } from './use-backend';
export { availableCores, checkThreads, defaultThreads, MAX_THREADS } from './thread-count';
export { releaseWebGpu } from './webgpu';
export { describeDevice, probeBackend } from './probe';
export type { BackendProbe } from './probe';
export type { BackendInfo, BackendName, BackendChoice, UseBackendOptions } from './use-backend';
export { registerWasmTrainingKernels, unregisterWasmTrainingKernels } from '../kernels';
export { registerCpuTrainingKernels, unregisterCpuTrainingKernels } from '../kernels';
