/**
 * Which CUDA and cuDNN libraries the installed tfjs-node-gpu needs, and whether the dynamic loader
 * can find them here. Owns reading the package's own files (the libtensorflow version in
 * scripts/deps-constants.js, the CUDA/cuDNN versions in its README, the library names inside the
 * downloaded deps/lib/libtensorflow.so.<version>) and looking those names up as dlopen would.
 * Finding the package is native.ts's job; printing the lines is doctor.ts's.
 * Linux only: tfjs-node-gpu's CUDA builds are Linux x64 (and Windows), and these are Linux sonames.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface NativeRequirements {
  /** From the `LIBTENSORFLOW_VERSION = '2.9.1'` assignment in scripts/deps-constants.js; null without it. */
  libtensorflowVersion: string | null;
  /** deps/lib/libtensorflow.so.<version> when the install step downloaded it, else null. */
  libtensorflowPath: string | null;
  /** CUDA/cuDNN sonames TensorFlow will dlopen, sorted. */
  sonames: string[];
  /** Where `sonames` came from: the binary, the README's versions, or nowhere. */
  source: 'libtensorflow' | 'readme' | 'none';
  /** From the README's requirements table row "CUDA® Toolkit | 11.2 |"; null without one. */
  cudaVersion: string | null;
  /** From the row "cuDNN SDK | 8.1.0 |"; a qualifier such as ">=" is dropped. */
  cudnnVersion: string | null;
}

const SONAME_PATTERN = /lib(cudart|cublas|cublasLt|cufft|curand|cusolver|cusparse|cudnn)\.so(\.\d+)*/g;
/** Longer than any soname, so a match starting before a chunk's last OVERLAP characters is whole. */
const OVERLAP = 256;

/**
 * Fallback for a package whose libtensorflow is not downloaded, or whose binary names no library:
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

export function readNativeRequirements(packageDir: string): NativeRequirements {
  if (!existsSync(packageDir) || !statSync(packageDir).isDirectory()) {
    throw new Error(`packageDir must be an installed package's directory; got ${JSON.stringify(packageDir)}`);
  }
  const version = readLibtensorflowVersion(packageDir);
  const depsLib = (name: string): string | null => {
    const path = version ? join(packageDir, 'deps', 'lib', `${name}.so.${version}`) : null;
    return path && existsSync(path) ? path : null;
  };
  const libtensorflowPath = depsLib('libtensorflow');
  const binaries = [libtensorflowPath, depsLib('libtensorflow_framework')].filter((p): p is string => p !== null);
  const { cuda, cudnn } = readReadmeVersions(packageDir);
  const base = { libtensorflowVersion: version, libtensorflowPath, cudaVersion: cuda, cudnnVersion: cudnn };
  const scanned = scanSonames(binaries);
  if (scanned.length > 0) return { ...base, sonames: scanned, source: 'libtensorflow' };
  const derived = sonamesFromVersions(cuda, cudnn);
  return { ...base, sonames: derived, source: derived.length > 0 ? 'readme' : 'none' };
}

/** The version assigned at the start of a line (not in a comment); the file is never executed. */
export function readLibtensorflowVersion(packageDir: string): string | null {
  const file = join(packageDir, 'scripts', 'deps-constants.js');
  if (!existsSync(file)) return null;
  const match = /^\s*(?:const|let|var)?\s*LIBTENSORFLOW_VERSION\s*=\s*['"]([^'"]+)['"]/m.exec(
    readFileSync(file, 'utf8'),
  );
  return match ? match[1] : null;
}

/** CUDA and cuDNN versions from a Markdown table row whose first cell names the product. */
export function readReadmeVersions(packageDir: string): { cuda: string | null; cudnn: string | null } {
  const readme = readdirSync(packageDir).find((name) => /^readme(\.md)?$/i.test(name));
  if (!readme) return { cuda: null, cudnn: null };
  const rows = readFileSync(join(packageDir, readme), 'utf8')
    .split('\n')
    .filter((line) => line.includes('|'))
    .map((line) =>
      line
        .split('|')
        .map((cell) => cell.trim())
        .filter((cell) => cell !== ''),
    );
  const versionOf = (product: RegExp): string | null => {
    const row = rows.find((cells) => cells.length >= 2 && product.test(cells[0]));
    return row?.[1].match(/\d+(?:\.\d+)*/)?.[0] ?? null;
  };
  return { cuda: versionOf(/cuda.*toolkit/i), cudnn: versionOf(/cudnn/i) };
}

/** Sonames a CUDA `cuda` / cuDNN `cudnn` install provides to TensorFlow, sorted; [] for unknown majors. */
export function sonamesFromVersions(cuda: string | null, cudnn: string | null): string[] {
  const cudaNames = cuda ? (CUDA_SONAMES[cuda.split('.')[0]] ?? []) : [];
  const cudnnNames = cudnn ? [`libcudnn.so.${cudnn.split('.')[0]}`] : [];
  return [...cudaNames, ...cudnnNames].sort();
}

/**
 * CUDA/cuDNN sonames embedded in the files, read `chunkBytes` at a time; deduplicated and sorted.
 * A bare `libcudnn.so` is dropped when a versioned `libcudnn.so.8` is also named.
 */
export function scanSonames(files: string[], chunkBytes = 1 << 20): string[] {
  const found = new Set<string>();
  const buffer = Buffer.alloc(chunkBytes);
  for (const file of files) {
    const fd = openSync(file, 'r');
    try {
      let carry = '';
      for (let read = -1; read !== 0;) {
        read = readSync(fd, buffer, 0, chunkBytes, null);
        const text = carry + buffer.toString('latin1', 0, read);
        const complete = read === 0 ? text.length : Math.max(0, text.length - OVERLAP);
        for (const match of text.matchAll(SONAME_PATTERN)) if (match.index < complete) found.add(match[0]);
        carry = text.slice(complete);
      }
    } finally {
      closeSync(fd);
    }
  }
  const names = [...found];
  return names.filter((name) => !name.endsWith('.so') || !names.some((other) => other.startsWith(`${name}.`))).sort();
}

/** How a library was found: the first three are where dlopen looks; the last is not. */
export type LibraryVia = 'LD_LIBRARY_PATH' | 'ldconfig' | 'system dir' | 'off search path';

export interface LibraryLookup {
  soname: string;
  /** The file found, or null. */
  path: string | null;
  /** Where it was found, or null when nowhere. */
  via: LibraryVia | null;
}

export interface LibrarySearchOptions {
  /** Colon-separated directories searched first. Default: process.env.LD_LIBRARY_PATH. */
  ldLibraryPath?: string;
  /** `ldconfig -p` output (the loader's cache); null for none. Default: readLdconfig(). */
  ldconfigOutput?: string | null;
  /** Directories the loader searches without configuration. Default: SYSTEM_LIB_DIRS. */
  systemDirs?: string[];
  /** Directories where CUDA often lies but dlopen does not look. Default: ['/usr/local/cuda/lib64']. */
  extraDirs?: string[];
}

export const SYSTEM_LIB_DIRS: readonly string[] = [
  '/usr/lib/x86_64-linux-gnu',
  '/lib/x86_64-linux-gnu',
  '/usr/lib64',
  '/lib64',
];

/** Each soname's file, looked up in dlopen's order: LD_LIBRARY_PATH, the ldconfig cache, system dirs. */
export function findLibraries(sonames: string[], options: LibrarySearchOptions = {}): LibraryLookup[] {
  const ldLibraryPath = (options.ldLibraryPath ?? process.env.LD_LIBRARY_PATH ?? '').split(':').filter((d) => d !== '');
  const cache = parseLdconfig(options.ldconfigOutput === undefined ? readLdconfig() : options.ldconfigOutput);
  const searches: Array<[LibraryVia, (soname: string) => string | undefined]> = [
    ['LD_LIBRARY_PATH', (soname) => inDirs(ldLibraryPath, soname)],
    ['ldconfig', (soname) => [cache.get(soname)].find((path) => path !== undefined && existsSync(path))],
    ['system dir', (soname) => inDirs(options.systemDirs ?? SYSTEM_LIB_DIRS, soname)],
    ['off search path', (soname) => inDirs(options.extraDirs ?? ['/usr/local/cuda/lib64'], soname)],
  ];
  return sonames.map((soname) => {
    for (const [via, search] of searches) {
      const path = search(soname);
      if (path) return { soname, path, via };
    }
    return { soname, path: null, via: null };
  });
}

function inDirs(dirs: readonly string[], soname: string): string | undefined {
  return dirs.map((dir) => join(dir, soname)).find((path) => existsSync(path));
}

const ARCH_FLAGS: Record<string, string> = { x64: 'x86-64', arm64: 'AArch64' };

/** soname to path from lines like `\tlibcudart.so.11.0 (libc6,x86-64) => /usr/.../libcudart.so.11.0`, this arch only. */
export function parseLdconfig(output: string | null, arch: string = process.arch): Map<string, string> {
  const cache = new Map<string, string>();
  for (const line of (output ?? '').split('\n')) {
    const match = /^\s*(\S+)\s+\(([^)]*)\)\s+=>\s+(\S.*?)\s*$/.exec(line);
    if (!match || cache.has(match[1])) continue;
    if (ARCH_FLAGS[arch] && !match[2].includes(ARCH_FLAGS[arch])) continue;
    cache.set(match[1], match[3]);
  }
  return cache;
}

/** `ldconfig -p` output, or null when ldconfig cannot run (it is often in /sbin, off a user's PATH). */
export function readLdconfig(): string | null {
  for (const command of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    const result = spawnSync(command, ['-p'], { encoding: 'utf8', timeout: 10_000 });
    if (result.status === 0 && result.stdout) return result.stdout;
  }
  return null;
}

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
  const origin = {
    libtensorflow: 'CUDA libraries read from the binary',
    readme: `CUDA libraries derived from the README (${versions}; ${binaryNote})`,
    none: `CUDA libraries unknown: ${binaryNote} and the README names no CUDA/cuDNN version batchlab knows`,
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
