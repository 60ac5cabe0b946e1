/**
 * TensorBoard event files (scalars only) written without tfjs-node, so that runs can be compared
 * in TensorBoard: an append-only writer and a checking reader (for tests, and for users who want
 * to verify a file). The framing is record.ts's, the Event encoding event-proto.ts's; what to log
 * and when belongs to the callers.
 */
import { readFileSync } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { FILE_VERSION, TensorBoardEvent, decodeEvent, encodeEvent } from './event-proto';
import { frameRecord, maskedCrc32c } from './record';

export { crc32c, maskedCrc32c, frameRecord } from './record';
export { FILE_VERSION, encodeEvent, decodeEvent } from './event-proto';
export type { ScalarValue, TensorBoardEvent } from './event-proto';

// ---- Reading a file -------------------------------------------------------------------------

/**
 * Reads every record of an event file, checking the framing and both CRCs of each record.
 * Throws an error naming the file and the record's byte offset on a bad CRC, a truncated record
 * or an undecodable Event.
 */
export function readEventFile(path: string): TensorBoardEvent[] {
  const bytes = readFileSync(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const events: TensorBoardEvent[] = [];
  for (let offset = 0; offset < bytes.length;) {
    const fail = (why: string): Error => new Error(`${path}: ${why} in the record at byte offset ${offset}`);
    if (offset + 12 > bytes.length) throw fail('truncated header');
    if (view.getUint32(offset + 8, true) !== maskedCrc32c(bytes.subarray(offset, offset + 8))) {
      throw fail('length CRC mismatch');
    }
    const length = Number(view.getBigUint64(offset, true));
    const end = offset + 12 + length;
    if (end + 4 > bytes.length) throw fail(`truncated data (length ${length})`);
    const data = bytes.subarray(offset + 12, end);
    if (view.getUint32(end, true) !== maskedCrc32c(data)) throw fail('data CRC mismatch');
    try {
      events.push(decodeEvent(data));
    } catch (err) {
      throw fail(`bad Event (${(err as Error).message})`);
    }
    offset = end + 4;
  }
  return events;
}

// ---- Writing a file -------------------------------------------------------------------------

export interface OpenEventFileOptions {
  /** Host name in the file name. Default: `os.hostname()`. */
  hostname?: string;
  /** Clock in ms since the epoch, for the file name and default wall times. Default: `Date.now`. */
  now?: () => number;
}

export interface EventWriter {
  /** Path of the event file. */
  readonly path: string;
  /** Buffers one scalar; `wallTime` is in seconds since the epoch (default: the clock's now). */
  scalar(tag: string, value: number, step: number, wallTime?: number): void;
  /** Appends the buffered records to the file. */
  flush(): Promise<void>;
  /** Flushes, syncs to disk and closes the file; later `scalar` calls throw. */
  close(): Promise<void>;
}

/**
 * Creates `logDir` and `events.out.tfevents.<unix seconds>.<hostname>` in it (TensorFlow's name,
 * which TensorBoard looks for), and writes the file_version Event at once so the file is valid
 * from the start. Fails if that file exists: two writers in one file would mix their records.
 *
 * @example
 * const writer = await openEventFile('runs/a');
 * writer.scalar('loss', 0.25, 1);
 * await writer.close();
 */
export async function openEventFile(logDir: string, options: OpenEventFileOptions = {}): Promise<EventWriter> {
  const host = options.hostname ?? osHostname();
  if (host === '' || /[/\\]/.test(host)) {
    const shown = JSON.stringify(host);
    throw new Error(`openEventFile: hostname must be non-empty without path separators, got ${shown}`);
  }
  const now = options.now ?? Date.now;
  const seconds = Math.floor(now() / 1000);
  await mkdir(logDir, { recursive: true });
  const path = join(logDir, `events.out.tfevents.${String(seconds).padStart(10, '0')}.${host}`);
  // 'ax': append-only (each write lands at the end, so a crash leaves whole records before it)
  // and exclusive creation.
  const writer = new EventFileWriter(path, await open(path, 'ax'), now);
  writer.record({ wallTime: now() / 1000, step: 0, fileVersion: FILE_VERSION, scalars: [] });
  await writer.flush();
  return writer;
}

class EventFileWriter implements EventWriter {
  private pending: Uint8Array[] = [];
  // Flushes run one after another so records reach the file in the order they were buffered.
  private written: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    readonly path: string,
    private readonly file: FileHandle,
    private readonly now: () => number,
  ) {}

  scalar(tag: string, value: number, step: number, wallTime?: number): void {
    if (this.closed) throw new Error(`EventWriter for ${this.path} is closed`);
    if (typeof tag !== 'string' || tag === '') {
      throw new Error(`scalar: tag must be a non-empty string, got ${JSON.stringify(tag)}`);
    }
    if (typeof value !== 'number') throw new Error(`scalar: value must be a number, got ${String(value)}`);
    if (!Number.isSafeInteger(step) || step < 0) {
      throw new Error(`scalar: step must be a non-negative integer, got ${step}`);
    }
    if (wallTime !== undefined && !Number.isFinite(wallTime)) {
      throw new Error(`scalar: wallTime must be finite, got ${wallTime}`);
    }
    this.record({ wallTime: wallTime ?? this.now() / 1000, step, scalars: [{ tag, value }] });
  }

  record(event: TensorBoardEvent): void {
    this.pending.push(frameRecord(encodeEvent(event)));
  }

  flush(): Promise<void> {
    const chunk = Buffer.concat(this.pending);
    this.pending = [];
    this.written = this.written.then(async () => {
      if (chunk.length > 0) await this.file.appendFile(chunk);
    });
    return this.written;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flush();
    await this.file.sync();
    await this.file.close();
  }
}
