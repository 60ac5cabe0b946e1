/**
 * Filtering what native code prints to stderr during one synchronous call. Native libraries (Dawn)
 * write with fprintf to file descriptor 2, past process.stderr, so the only way to drop a line is to
 * point descriptor 2 at a file for the call and write the rest on afterwards. Owns that swap and
 * nothing else; which lines to drop is the caller's choice (webgpu.ts drops two Dawn notices).
 *
 * Node has no dup2: closing descriptor 2 and opening a file gives that file the lowest free number,
 * 2, and reopening /proc/self/fd/<saved> later puts the original stream back. That is done only on
 * Linux and only when stderr is a terminal or a shell pipe (FIFO), which reopen as the same stream.
 * A regular file would get a second file offset (clobbering a shared `2>&1` log) and a socket (what
 * Node's child_process gives a child) cannot be reopened, so there the call runs as is.
 */
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const STDERR = 2;

/** Runs `call`, writing to stderr everything it printed there except lines matching `drop`. */
export function withNativeStderrFiltered<T>(drop: RegExp, call: () => T): T {
  const saved = reopenableStderr();
  if (saved === null) return call();
  const dir = mkdtempSync(join(tmpdir(), 'batchlab-stderr-'));
  const capture = join(dir, 'stderr');
  closeSync(STDERR);
  const captured = openSync(capture, 'w');
  if (captured !== STDERR) {
    // Another thread opened a file in between and holds 2 now; leave it be and print unfiltered.
    closeSync(captured);
    closeSync(saved);
    rmSync(dir, { recursive: true, force: true });
    return call();
  }
  try {
    return call();
  } finally {
    restoreStderr(saved);
    const kept = readCaptured(capture)
      .split('\n')
      .filter((line, i, lines) => !drop.test(line) && (line !== '' || i < lines.length - 1));
    if (kept.length > 0) writeSync(STDERR, `${kept.join('\n')}\n`);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A second descriptor for stderr's stream when it is a Linux terminal or pipe, else null. */
function reopenableStderr(): number | null {
  if (process.platform !== 'linux') return null;
  try {
    const stat = fstatSync(STDERR);
    if (!stat.isCharacterDevice() && !stat.isFIFO()) return null;
    return openSync(`/proc/self/fd/${STDERR}`, 'a');
  } catch {
    return null;
  }
}

/** Closes the capture file on descriptor 2 and points 2 back at the saved stream. */
function restoreStderr(saved: number): void {
  closeSync(STDERR);
  const restored = openSync(`/proc/self/fd/${saved}`, 'a');
  closeSync(saved);
  if (restored !== STDERR) throw new Error(`stderr could not be restored: reopened as descriptor ${restored}`);
}

function readCaptured(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
