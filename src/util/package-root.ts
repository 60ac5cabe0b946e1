/** Finds batchlab's own package directory, from source (tsx) and from the compiled dist/ alike. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'batchlab')
      return dir;
    if (dirname(dir) === dir) throw new Error(`cannot find the batchlab package directory above ${start}`);
  }
}
