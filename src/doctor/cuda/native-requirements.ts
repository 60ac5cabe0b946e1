/**
 * Which CUDA and cuDNN libraries an installed tfjs-node-gpu needs, read from the package's own
 * files: the libtensorflow version in scripts/deps-constants.js, the CUDA/cuDNN versions in its
 * README, and the library names inside the downloaded deps/lib/libtensorflow.so.<version>.
 * Finding the package is backend/native.ts's job, scanning binaries soname-scan.ts's, turning
 * versions into names cuda-sonames.ts's, and looking the names up library-lookup.ts's.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sonamesFromVersions } from './cuda-sonames';
import { scanSonames } from './soname-scan';

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
