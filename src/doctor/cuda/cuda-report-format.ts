/**
 * The lines `batchlab doctor` prints for a CudaReport: where the list of libraries came from, the
 * driver, and each library with where it was found or what provides it. Owns only the wording;
 * the facts are cuda-report.ts's.
 */
import { dirname, join } from 'node:path';
import { CudaReport } from './cuda-report';
import { LibraryLookup } from './library-lookup';
import { NativeRequirements } from './native-requirements';
import { libtensorflowForRelease } from './tfjs-node-gpu-builds';

/** One line on libtensorflow and the list's origin, one on the driver, then one per library. */
export function formatCudaReport(report: CudaReport): string[] {
  const r = report.requirements;
  const driver = report.driver
    ? `NVIDIA driver: ${report.driver}`
    : 'NVIDIA driver: none reported (no /proc/driver/nvidia/version; WSL2 lacks it even when CUDA works)';
  return [originLine(report.packageDir, r), driver, ...report.libraries.map((lib) => libraryLine(lib, r))];
}

function originLine(packageDir: string, r: NativeRequirements): string {
  const constants = join(packageDir, 'scripts', 'deps-constants.js');
  const binary = r.libtensorflowVersion
    ? join(packageDir, 'deps', 'lib', `libtensorflow.so.${r.libtensorflowVersion}`)
    : null;
  const lib = !r.libtensorflowVersion
    ? `libtensorflow: version unknown (no LIBTENSORFLOW_VERSION in ${constants})`
    : r.libtensorflowPath
      ? `libtensorflow ${r.libtensorflowVersion} (${r.libtensorflowPath})`
      : `libtensorflow ${r.libtensorflowVersion}: not downloaded (no ${binary}; the package's install step downloads it)`;
  const versions = [r.cudaVersion && `CUDA ${r.cudaVersion}`, r.cudnnVersion && `cuDNN ${r.cudnnVersion}`]
    .filter(Boolean)
    .join(', ');
  const binaryNote = r.libtensorflowPath ? 'its binary names no CUDA library' : 'no binary to read';
  const built = r.libtensorflowVersion
    ? `libtensorflow ${r.libtensorflowVersion}`
    : r.packageVersion
      ? `release ${r.packageVersion} (libtensorflow ${libtensorflowForRelease(r.packageVersion) ?? 'unknown'})`
      : null;
  const origin = {
    libtensorflow: 'CUDA libraries read from the binary',
    readme: `CUDA libraries derived from the README (${versions}; ${binaryNote})`,
    table: `CUDA libraries from batchlab's table of tfjs-node-gpu builds (${built} was built for ${versions}; ${binaryNote} and the README names no version)`,
    none: `CUDA libraries unknown: ${binaryNote}, the README names no CUDA/cuDNN version batchlab knows, and batchlab's table of tfjs-node-gpu builds does not know ${built ?? 'a package without a version'}`,
  }[r.source];
  return `${lib}; ${origin}`;
}

function libraryLine(lib: LibraryLookup, r: NativeRequirements): string {
  if (lib.path && lib.via === 'off search path') {
    return `${lib.soname}: found at ${lib.path} but not where the loader looks (add ${dirname(lib.path)} to LD_LIBRARY_PATH or run ldconfig)`;
  }
  if (lib.path) return `${lib.soname}: ${lib.path}`;
  const product = lib.soname.startsWith('libcudnn')
    ? `cuDNN${r.cudnnVersion ? ` ${r.cudnnVersion}` : ''}`
    : `CUDA ${r.cudaVersion ?? 'Toolkit'}`;
  return `${lib.soname}: missing (${product}; install it or add its directory to LD_LIBRARY_PATH)`;
}
