/**
 * Crash-safe directories: a reader sees a directory with every one of its files complete, or no
 * directory at all. Owns the temp-directory / fsync / rename protocol and the clean-up of what a
 * killed writer left behind; what goes into the files belongs to the callers (single files:
 * ./atomic-write).
 */
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { tempPathFor, writeAndSync } from './atomic-write';

/**
 * Writes `files` (name -> content) into a new directory `dir`: they go to a hidden temp directory
 * beside it, each fsynced, and the temp directory is renamed to `dir` (one step on one file
 * system). A `dir` already there is replaced. On failure the temp directory is removed and the
 * error rethrown. Missing parent directories are created.
 *
 * @example
 * await writeDirAtomic('runs/a/checkpoints/epoch-000003', { 'state.json': '{}', 'tensors.bin': bytes });
 */
export async function writeDirAtomic(dir: string, files: Record<string, string | Uint8Array>): Promise<void> {
  const parent = dirname(dir);
  await mkdir(parent, { recursive: true });
  const temp = tempPathFor(dir);
  try {
    await mkdir(temp);
    for (const [name, data] of Object.entries(files)) await writeAndSync(join(temp, name), data);
    // rename(2) does not replace a non-empty directory: the old one goes first. Until the rename a
    // reader finds neither; callers keep an older complete directory beside it for that moment.
    await rm(dir, { recursive: true, force: true });
    await rename(temp, dir);
    await syncDirectory(parent);
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw err;
  }
}

/** Removes the hidden `.<name>.<pid>.<hex>.tmp` entries that writers killed mid-write left in `parent`. */
export async function removeTempEntries(parent: string): Promise<void> {
  const names = await readdir(parent).catch(() => [] as string[]);
  const temps = names.filter((name) => isTempName(name));
  await Promise.all(temps.map((name) => rm(join(parent, name), { recursive: true, force: true })));
}

/** Whether `name` is a temp entry of writeDirAtomic or writeFileAtomic. */
export function isTempName(name: string): boolean {
  return /^\..+\.\d+\.[0-9a-f]+\.tmp$/.test(basename(name));
}

/** Flushes the directory entry of a rename to disk, so that the new name survives a power loss. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
