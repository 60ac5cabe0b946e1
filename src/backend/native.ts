/**
 * The native TensorFlow backend ('tensorflow') from @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node.
 * Owns finding the package, making sure it registers into the same tfjs-core instance as batchlab
 * (a second copy would register the backend where batchlab never looks, and training would silently
 * run elsewhere), loading it, and saying whether TensorFlow placed ops on a CUDA GPU.
 * These packages download libtensorflow at install time; without it, loading fails and we say why.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface NativeCandidate {
  /** npm package name. */
  name: string;
  /** Directory to resolve the package from. Default: batchlab's own location. */
  resolveFrom?: string;
}

export const NATIVE_PACKAGES: readonly NativeCandidate[] = [
  { name: '@tensorflow/tfjs-node-gpu' },
  { name: '@tensorflow/tfjs-node' },
];

/** What tfjs-node-gpu 4.x documents it needs (libtensorflow 2.9.1 on Linux x64). */
export const CUDA_REQUIREMENTS =
  'Linux x64 with an NVIDIA driver >= 450.x, CUDA Toolkit 11.2 and cuDNN 8.1.0 on the library path';

export const INSTALL_HINT =
  'npm install @tensorflow/tfjs-node-gpu@4.22.0 (CUDA; needs ' +
  CUDA_REQUIREMENTS +
  ') or @tensorflow/tfjs-node@4.22.0 (CPU); ' +
  'both download libtensorflow while installing, so they need internet access then';

/** The native backend is simply not installed (as opposed to installed but broken). */
export class NativeNotInstalledError extends Error {
  constructor() {
    super(`the tensorflow backend is not installed: ${INSTALL_HINT}`);
  }
}

export interface NativePackage {
  name: string;
  dir: string;
  version: string;
}

/** The first installed candidate, or null. */
export function findNativePackage(candidates: readonly NativeCandidate[] = NATIVE_PACKAGES): NativePackage | null {
  for (const candidate of candidates) {
    const manifest = tryResolve(`${candidate.name}/package.json`, candidate.resolveFrom ?? __dirname);
    if (manifest) {
      return { name: candidate.name, dir: dirname(manifest), version: manifestVersion(manifest) };
    }
  }
  return null;
}

/** Throws when `pkg` would load its own copy of tfjs-core instead of the one batchlab uses. */
export function checkSharedCore(pkg: NativePackage): void {
  const ours = require.resolve('@tensorflow/tfjs-core/package.json');
  const theirs = tryResolve('@tensorflow/tfjs-core/package.json', pkg.dir);
  if (theirs && theirs !== ours) {
    throw new Error(
      `${pkg.name} ${pkg.version} uses its own tfjs-core ${manifestVersion(theirs)} (${dirname(theirs)}), not batchlab's ` +
        `${manifestVersion(ours)} (${dirname(ours)}): its backend would register where batchlab does not train. ` +
        `Install ${pkg.name} at the version of @tensorflow/tfjs in batchlab's package.json so npm shares one copy.`,
    );
  }
}

/** Loads the package (registering 'tensorflow'), explaining a missing libtensorflow. */
export function loadNativePackage(pkg: NativePackage): void {
  try {
    // A package found at run time, so loaded by path rather than imported.
    loadByPath(pkg.dir);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const gpuHint = pkg.name.endsWith('-gpu') ? ` GPU builds need ${CUDA_REQUIREMENTS}.` : '';
    throw new Error(
      `${pkg.name} ${pkg.version} is installed but failed to load: ${message.split('\n')[0]}. ` +
        `Its install step downloads libtensorflow; rerun npm rebuild ${pkg.name} with internet access.${gpuHint}`,
    );
  }
}

/** Whether the loaded native backend runs on a CUDA device (false when CUDA libraries are missing). */
export function nativeUsesGpu(backend: unknown): boolean {
  return Boolean((backend as { isUsingGpuDevice?: boolean }).isUsingGpuDevice);
}

/** The `version` field of a package.json file. */
function manifestVersion(manifest: string): string {
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

const loadByPath = (path: string): unknown => module.require(path);

function tryResolve(request: string, from: string): string | null {
  try {
    return require.resolve(request, { paths: [from] });
  } catch {
    return null;
  }
}
