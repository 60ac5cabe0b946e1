/**
 * The CUDA check `batchlab doctor` runs for an installed tfjs-node-gpu: the libraries the package
 * needs (native-requirements.ts), where the loader finds each (library-lookup.ts), the NVIDIA
 * driver's version, and which libraries are missing. Owns only putting those together; the words a
 * user reads are cuda-report-format.ts's.
 */
import { readFileSync } from 'node:fs';
import { LibraryLookup, LibrarySearchOptions, findLibraries } from './library-lookup';
import { NativeRequirements, readNativeRequirements } from './native-requirements';

/** The NVIDIA kernel driver's first version line, or null when none is loaded (or under WSL2). */
export function nvidiaDriver(versionFile = '/proc/driver/nvidia/version'): string | null {
  try {
    return readFileSync(versionFile, 'utf8').split('\n')[0].trim() || null;
  } catch {
    return null;
  }
}

export interface CudaCheckOptions extends LibrarySearchOptions {
  /** Where the driver reports its version. Default: /proc/driver/nvidia/version. */
  driverVersionFile?: string;
}

export interface CudaReport {
  packageDir: string;
  requirements: NativeRequirements;
  /** nvidiaDriver()'s line, or null. */
  driver: string | null;
  libraries: LibraryLookup[];
  /** Sonames dlopen will not find, including those found only off its search path. */
  missing: string[];
  /** Every required library is loadable; false when the requirements are unknown (source 'none'). */
  ok: boolean;
}

export function checkCudaSetup(packageDir: string, options: CudaCheckOptions = {}): CudaReport {
  const requirements = readNativeRequirements(packageDir);
  const libraries = findLibraries(requirements.sonames, options);
  const missing = libraries.filter((lib) => lib.via === null || lib.via === 'off search path').map((lib) => lib.soname);
  const ok = requirements.source !== 'none' && missing.length === 0;
  return { packageDir, requirements, driver: nvidiaDriver(options.driverVersionFile), libraries, missing, ok };
}
