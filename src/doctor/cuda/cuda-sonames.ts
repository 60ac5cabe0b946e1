/**
 * The CUDA and cuDNN library names (sonames) a TensorFlow build opens, from the CUDA and cuDNN
 * versions it was built for. Owns only that mapping; where the versions come from is
 * native-requirements.ts's business.
 */

/**
 * TensorFlow's dso_loader builds each name at run time ("lib" + "cudart" + ".so." + the version in
 * its cuda_config.h), so the literal names need not appear in the binary at all. These are the
 * names a TensorFlow built against CUDA 11.x opens (cudart "11.0", cublas "11", cufft "10", ...).
 * cuDNN needs no table: its soname carries its major version, libcudnn.so.8 for cuDNN 8.x.
 */
const CUDA_SONAMES: Record<string, readonly string[]> = {
  '11': [
    'libcudart.so.11.0',
    'libcublas.so.11',
    'libcublasLt.so.11',
    'libcufft.so.10',
    'libcurand.so.10',
    'libcusolver.so.11',
    'libcusparse.so.11',
  ],
};

/** Sonames a CUDA `cuda` / cuDNN `cudnn` install provides to TensorFlow, sorted; [] for unknown majors. */
export function sonamesFromVersions(cuda: string | null, cudnn: string | null): string[] {
  const cudaNames = cuda ? (CUDA_SONAMES[cuda.split('.')[0]] ?? []) : [];
  const cudnnNames = cudnn ? [`libcudnn.so.${cudnn.split('.')[0]}`] : [];
  return [...cudaNames, ...cudnnNames].sort();
}
