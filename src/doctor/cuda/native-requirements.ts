/**
 * Which CUDA and cuDNN libraries an installed tfjs-node-gpu needs, read from the package's own
 * files: the library names inside the downloaded deps/lib/libtensorflow.so.<version>, else the
 * CUDA/cuDNN versions in its README, else those its libtensorflow version (scripts/deps-constants.js)
 * or its release (package.json) was built for, from tfjs-node-gpu-builds.ts's tables.
 * Finding the package is backend/native.ts's job, scanning binaries soname-scan.ts's, turning
 * versions into names cuda-sonames.ts's, and looking the names up library-lookup.ts's.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sonamesFromVersions } from './cuda-sonames';
import { scanSonames } from './soname-scan';
import { tensorflowBuild } from './tfjs-node-gpu-builds';

export interface NativeRequirements {
  /** From the `LIBTENSORFLOW_VERSION = '2.9.1'` assignment in scripts/deps-constants.js; null without it. */
  libtensorflowVersion: string | null;
  /** deps/lib/libtensorflow.so.<version> when the install step downloaded it, else null. */
  libtensorflowPath: string | null;
  /** CUDA/cuDNN sonames TensorFlow will dlopen, sorted. */
  sonames: string[];
  /** The package's own version (package.json); null without one. */
  packageVersion: string | null;
  /** Where `sonames` came from: the binary, the README's versions, batchlab's table of builds, or nowhere. */
  source: 'libtensorflow' | 'readme' | 'table' | 'none';
  /** From the README's requirements table row "CUDA® Toolkit | 11.2 |", else from the table; null without either. */
  cudaVersion: string | null;
  /** From the row "cuDNN SDK | 8.1.0 |" (a qualifier such as ">=" is dropped), else from the table. */
  cudnnVersion: string | null;
}

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
  const packageVersion = readPackageVersion(packageDir);
  const readme = readReadmeVersions(packageDir);
  const built = tensorflowBuild(version, packageVersion);
  const fromReadme = readme.cuda !== null || readme.cudnn !== null;
  const { cuda, cudnn } = fromReadme || !built ? readme : built;
  const base = {
    libtensorflowVersion: version,
    libtensorflowPath,
    packageVersion,
    cudaVersion: cuda,
    cudnnVersion: cudnn,
  };
  const scanned = scanSonames(binaries);
  if (scanned.length > 0) return { ...base, sonames: scanned, source: 'libtensorflow' };
  const derived = sonamesFromVersions(cuda, cudnn);
  const source = derived.length === 0 ? 'none' : fromReadme ? 'readme' : 'table';
  return { ...base, sonames: derived, source };
}

/** The `version` field of the package's package.json, or null. */
export function readPackageVersion(packageDir: string): string | null {
  try {
    const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof version === 'string' ? version : null;
  } catch {
    return null;
  }
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
