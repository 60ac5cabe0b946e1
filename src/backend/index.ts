export { useBackend, BACKEND_CHOICES } from './use-backend';
export type { BackendInfo, BackendName, BackendChoice, UseBackendOptions } from './use-backend';
export { probeBackends, formatProbes } from './doctor';
export type { BackendProbe } from './doctor';
export { registerWasmTrainingKernels, unregisterWasmTrainingKernels } from './wasm-kernels';
