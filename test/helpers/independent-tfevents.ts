// Glue for test/io/tensorboard_decode.py, the event-file reader that shares nothing with batchlab's:
// finds protoc and a Python with the protobuf runtime (Debian: protobuf-compiler, python3-protobuf),
// runs the script and turns its output back into numbers.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const SCRIPT = join(__dirname, '..', 'io', 'tensorboard_decode.py');
// Debian's python3-protobuf is installed for the system Python, which a version manager's python3
// earlier on the PATH may hide.
const PYTHONS = ['python3', '/usr/bin/python3'];

/** One record as the independent reader decoded it. */
export interface DecodedRecord {
  offset: number;
  wallTime: number;
  /** A string, as int64 may exceed what a double holds exactly. */
  step: string;
  /** The member of Event's `what` oneof that is set, or null. */
  what: string | null;
  fileVersion: string;
  /** `kind` is the member of Value's `value` oneof that is set. */
  values: { tag: string; kind: string | null; simpleValue: number }[];
  /** The protobuf runtime re-serializes the parsed Event to exactly the bytes in the file. */
  canonical: boolean;
}

export type Reader = { python: string } | { missing: string };

/** The Python to run the script with, or what is missing (for the test's skip reason). */
export function findIndependentReader(): Reader {
  if (spawnSync('protoc', ['--version'], { stdio: 'ignore' }).status !== 0) {
    return { missing: 'protoc not found (Debian package protobuf-compiler)' };
  }
  const python = PYTHONS.find((p) => spawnSync(p, ['-c', 'import google.protobuf'], { stdio: 'ignore' }).status === 0);
  return python ? { python } : { missing: 'no python3 with google.protobuf (Debian package python3-protobuf)' };
}

/** Python's repr of a float, including nan, inf and -inf, as a number. */
function fromRepr(text: string): number {
  const special: Record<string, number> = { nan: NaN, inf: Infinity, '-inf': -Infinity };
  return special[text] ?? Number(text);
}

type Raw = Omit<DecodedRecord, 'wallTime' | 'fileVersion' | 'values'> & {
  wall_time: string;
  file_version: string;
  values: { tag: string; kind: string | null; simple_value: string }[];
};

/**
 * Decodes an event file; on a bad record the script's own error comes back in `error`
 * ("<path>: data CRC mismatch at byte offset 40").
 */
export function decodeIndependently(python: string, path: string): { records: DecodedRecord[] } | { error: string } {
  const run = spawnSync(python, [SCRIPT, path], { encoding: 'utf8' });
  if (run.status !== 0) return { error: run.stderr.trim() || `exit status ${run.status ?? run.signal}` };
  const raw = JSON.parse(run.stdout) as Raw[];
  return {
    records: raw.map((r) => ({
      offset: r.offset,
      wallTime: fromRepr(r.wall_time),
      step: r.step,
      what: r.what,
      fileVersion: r.file_version,
      values: r.values.map((v) => ({ tag: v.tag, kind: v.kind, simpleValue: fromRepr(v.simple_value) })),
      canonical: r.canonical,
    })),
  };
}
