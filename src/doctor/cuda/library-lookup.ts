/**
 * Looking shared libraries up as the dynamic loader (dlopen) would: LD_LIBRARY_PATH, then the
 * ldconfig cache, then the system directories; and, apart from those, the places CUDA is often
 * installed where dlopen does not look. Owns only the lookup; which names to look for is
 * native-requirements.ts's answer. Linux only: these are Linux sonames and paths.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

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
