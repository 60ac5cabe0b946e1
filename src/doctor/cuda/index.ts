/** The CUDA check for an installed tfjs-node-gpu: what it needs, what the loader finds, the report. */
export { checkCudaSetup, nvidiaDriver } from './cuda-report';
export type { CudaCheckOptions, CudaReport } from './cuda-report';
export { formatCudaReport } from './cuda-report-format';
export { findLibraries, parseLdconfig, readLdconfig, SYSTEM_LIB_DIRS } from './library-lookup';
export type { LibraryLookup, LibrarySearchOptions, LibraryVia } from './library-lookup';
export {
  readNativeRequirements,
  readLibtensorflowVersion,
  readPackageVersion,
  readReadmeVersions,
} from './native-requirements';
export { libtensorflowForRelease, tensorflowBuild } from './tfjs-node-gpu-builds';
export type { TensorflowBuild } from './tfjs-node-gpu-builds';
export type { NativeRequirements } from './native-requirements';
export { sonamesFromVersions } from './cuda-sonames';
export { scanSonames } from './soname-scan';
