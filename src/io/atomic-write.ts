/**
 * Crash-safe file writes: a reader sees either the old content of a file or the complete new
 * content, never a half-written one. Owns the temp-file / fsync / rename protocol and parent
 * directory creation; what goes into the files (model artifacts, run logs) belongs to the callers.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `data` to `path` atomically: the bytes go to a temp file beside the target (same
 * directory, so the rename stays on one file system), are fsynced, and the temp file is renamed
 * over the target. On failure the temp file is removed, the target is left as it was, and the
 * error is rethrown. Missing parent directories are created.
 *
 * @example
 * await writeFileAtomic('runs/a/log.txt', 'epoch 1\n');
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = tempPathFor(path);
  try {
    await writeAndSync(temp, data);
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/**
 * Like {@link writeFileAtomic}, but only when `path` does not exist yet: of several processes
 * creating the same file at once (on one machine or over a shared file system), exactly one
 * succeeds and the others leave the file as that one wrote it. Returns whether this call created it.
 */
export async function writeFileAtomicIfAbsent(path: string, data: string | Uint8Array): Promise<boolean> {
  await mkdir(dirname(path), { recursive: true });
  const temp = tempPathFor(path);
  try {
    await writeAndSync(temp, data);
    // link() fails with EEXIST when the target exists, where rename() would replace it.
    await link(temp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await rm(temp, { force: true });
  }
}

/** {@link writeFileAtomic} of `value` as pretty-printed JSON (2-space indent) plus a trailing newline. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** `dir/.name.<pid>.<random hex>.tmp`: unique per process and per call, hidden, git-ignored. */
export function tempPathFor(path: string): string {
  const suffix = `${process.pid}.${randomBytes(6).toString('hex')}`;
  return join(dirname(path), `.${basename(path)}.${suffix}.tmp`);
}

/** Creates `path` exclusively, writes `data`, and flushes it to disk before closing. */
export async function writeAndSync(path: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
