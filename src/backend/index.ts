export { useBackend, BACKEND_CHOICES, AUTO_ORDER, ALL_BACKENDS } from './use-backend';
export { releaseWebGpu } from './webgpu';
export { describeDevice, probeBackend } from './probe';
export type { BackendProbe } from './probe';
export type { BackendInfo, BackendName, BackendChoice, UseBackendOptions } from './use-backend';
export { registerWasmTrainingKernels, unregisterWasmTrainingKernels } from '../kernels';
export { registerCpuTrainingKernels, unregisterCpuTrainingKernels } from '../kernels';
