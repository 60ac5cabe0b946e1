/**
 * The CUDA and cuDNN library names (sonames) a TensorFlow build opens, from the CUDA and cuDNN
 * versions it was built for. Owns only that mapping; where the versions come from is
 * native-requirements.ts's business.
 */

/**
 * TensorFlow's dso_loader builds each name at run time ("lib" + "cudart" + ".so." + the version in
 * its cuda_config.h), so the literal names need not appear in the binary at all. Keyed by CUDA
 * major.minor where a release differs from the rest of its major, else by major: CUDA 10.0 names
 * every library 10.0; CUDA 11.0 still ships cuSOLVER 10 (libcusolver.so.10), 11.1 and later ship
 * cuSOLVER 11. cuDNN needs no table: its soname carries its major version, libcudnn.so.8 for 8.x.
 */
const CUDA_11 = ['libcudart.so.11.0', 'libcublas.so.11', 'libcublasLt.so.11', 'libcufft.so.10', 'libcurand.so.10'];
const CUDA_SONAMES: Record<string, readonly string[]> = {
  '10.0': [
    'libcudart.so.10.0',
    'libcublas.so.10.0',
    'libcufft.so.10.0',
    'libcurand.so.10.0',
    'libcusolver.so.10.0',
    'libcusparse.so.10.0',
  ],
  '11.0': [...CUDA_11, 'libcusolver.so.10', 'libcusparse.so.11'],
  '11': [...CUDA_11, 'libcusolver.so.11', 'libcusparse.so.11'],
};

/** Sonames a CUDA `cuda` / cuDNN `cudnn` install provides to TensorFlow, sorted; [] for unknown versions. */
export function sonamesFromVersions(cuda: string | null, cudnn: string | null): string[] {
  const parts = cuda ? cuda.split('.') : [];
  const cudaNames = cuda ? (CUDA_SONAMES[parts.slice(0, 2).join('.')] ?? CUDA_SONAMES[parts[0]] ?? []) : [];
  const cudnnNames = cudnn ? [`libcudnn.so.${cudnn.split('.')[0]}`] : [];
  return [...cudaNames, ...cudnnNames].sort();
}
