/**
 * Diagnostics above training: which backends start here (probe.ts), whether they train like the
 * reference (parity.ts), and what an installed tfjs-node-gpu needs from CUDA (cuda/). Used by
 * `batchlab doctor` and scripts/gpu-check.ts; nothing below this folder imports it.
 */
export { probeBackends, formatProbes } from './probe';
export type { BackendProbe } from './probe';
export { checkParity, formatParity } from './parity';
export type { ParityRow } from './parity';
export { checkCudaSetup, formatCudaReport } from './cuda';
export type { CudaReport } from './cuda';
