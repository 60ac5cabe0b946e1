/**
 * TensorBoard event files (scalars only) written without tfjs-node, so that runs can be compared
 * in TensorBoard. Owns the three layers of the format: CRC-32C, TFRecord framing and the few
 * protobuf fields of `tensorflow.Event` that scalars need; plus a checking reader for tests and
 * for users who want to verify a file. What to log and when belongs to the training callbacks.
 *
 * Field numbers, checked against tensorboard/compat/proto/event.proto and summary.proto:
 *   Event   { double wall_time = 1; int64 step = 2;
 *             oneof what { string file_version = 3; Summary summary = 5; ... } }
 *   Summary { repeated Value value = 1; }
 *   Value   { string tag = 1; oneof value { float simple_value = 2; ... } }
 */
import { readFileSync } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';

export interface ScalarValue {
  tag: string;
  value: number;
}

/** One decoded Event: `fileVersion` on the first record of a file, `scalars` on the others. */
export interface TensorBoardEvent {
  /** Seconds since the Unix epoch. */
  wallTime: number;
  step: number;
  fileVersion?: string;
  scalars: ScalarValue[];
}

/** The version TensorFlow writes today; TensorBoard only requires the "brain.Event:" prefix. */
export const FILE_VERSION = 'brain.Event:2';

// ---- CRC-32C --------------------------------------------------------------------------------

const CRC_TABLE = ((): Uint32Array => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), e.g. `crc32c("123456789") = 0xE3069283`. */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) crc = CRC_TABLE[(crc ^ b) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** TFRecord's masking: rotated and offset, so a CRC of data that itself holds CRCs stays strong. */
export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = crc32c(bytes);
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}

// ---- TFRecord framing -----------------------------------------------------------------------

/** `uint64 length | uint32 masked crc(length) | data | uint32 masked crc(data)`, little-endian. */
export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + 16);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

// ---- Protobuf encoding ----------------------------------------------------------------------

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

/** Appends protobuf fields to a byte list; only the wire types an Event needs. */
class ProtoWriter {
  private readonly bytes: number[] = [];

  varint(field: number, value: number): this {
    return this.key(field, VARINT).rawVarint(value);
  }
  double(field: number, value: number): this {
    return this.key(field, FIXED64).raw(8, (v) => v.setFloat64(0, value, true));
  }
  float(field: number, value: number): this {
    return this.key(field, FIXED32).raw(4, (v) => v.setFloat32(0, value, true));
  }
  bytesField(field: number, data: Uint8Array): this {
    this.key(field, LENGTH_DELIMITED).rawVarint(data.length);
    for (const b of data) this.bytes.push(b);
    return this;
  }
  string(field: number, text: string): this {
    return this.bytesField(field, Buffer.from(text, 'utf8'));
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }

  private key(field: number, wireType: number): this {
    return this.rawVarint(field * 8 + wireType);
  }
  // Arithmetic rather than bit operators: steps may exceed 2^31.
  private rawVarint(value: number): this {
    let v = value;
    for (; v >= 0x80; v = Math.floor(v / 0x80)) this.bytes.push((v % 0x80) | 0x80);
    this.bytes.push(v);
    return this;
  }
  private raw(size: number, set: (view: DataView) => void): this {
    const view = new DataView(new ArrayBuffer(size));
    set(view);
    for (let i = 0; i < size; i++) this.bytes.push(view.getUint8(i));
    return this;
  }
}

/**
 * Serializes one Event. Step 0 is left out, as proto3 writers do (a missing step reads as 0).
 * `fileVersion` and `scalars` share a oneof, so at most one may be given.
 */
export function encodeEvent(event: TensorBoardEvent): Uint8Array {
  if (event.fileVersion !== undefined && event.scalars.length > 0) {
    throw new Error('encodeEvent: an Event holds either fileVersion or scalars, not both');
  }
  const w = new ProtoWriter().double(1, event.wallTime);
  if (event.step !== 0) w.varint(2, event.step);
  if (event.fileVersion !== undefined) w.string(3, event.fileVersion);
  if (event.scalars.length > 0) {
    const summary = new ProtoWriter();
    for (const { tag, value } of event.scalars) {
      summary.bytesField(1, new ProtoWriter().string(1, tag).float(2, value).finish());
    }
    w.bytesField(5, summary.finish());
  }
  return w.finish();
}

// ---- Protobuf decoding ----------------------------------------------------------------------

type FieldHandler = (field: number, wire: number, r: ProtoReader) => boolean;

/** Reads the fields of one message; `onField` reads the value or returns false to have it skipped. */
function readFields(bytes: Uint8Array, onField: FieldHandler): void {
  const r = new ProtoReader(bytes);
  while (!r.done()) {
    const key = r.varint();
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (!onField(field, wire, r)) r.skip(wire);
  }
}

class ProtoReader {
  private pos = 0;
  private readonly view: DataView;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  done(): boolean {
    return this.pos >= this.bytes.length;
  }
  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const b = this.take(1)[0];
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
    }
    throw new Error(`protobuf varint longer than 10 bytes at ${this.pos}`);
  }
  double(): number {
    return this.view.getFloat64(this.advance(8), true);
  }
  float(): number {
    return this.view.getFloat32(this.advance(4), true);
  }
  lengthDelimited(): Uint8Array {
    return this.take(Number(this.varint()));
  }
  skip(wire: number): void {
    if (wire === VARINT) this.varint();
    else if (wire === FIXED64) this.advance(8);
    else if (wire === LENGTH_DELIMITED) this.lengthDelimited();
    else if (wire === FIXED32) this.advance(4);
    else throw new Error(`unsupported protobuf wire type ${wire} at ${this.pos}`);
  }
  private take(n: number): Uint8Array {
    const start = this.advance(n);
    return this.bytes.subarray(start, start + n);
  }
  private advance(n: number): number {
    if (this.pos + n > this.bytes.length) throw new Error(`protobuf message ends inside a field at ${this.pos}`);
    this.pos += n;
    return this.pos - n;
  }
}

/** Parses one serialized Event; summary values without a `simple_value` are left out. */
export function decodeEvent(bytes: Uint8Array): TensorBoardEvent {
  const event: TensorBoardEvent = { wallTime: 0, step: 0, scalars: [] };
  readFields(bytes, (field, wire, r) => {
    if (field === 1 && wire === FIXED64) event.wallTime = r.double();
    else if (field === 2 && wire === VARINT) event.step = Number(BigInt.asIntN(64, r.varint()));
    else if (field === 3 && wire === LENGTH_DELIMITED) event.fileVersion = utf8(r.lengthDelimited());
    else if (field === 5 && wire === LENGTH_DELIMITED) event.scalars = decodeSummary(r.lengthDelimited());
    else return false;
    return true;
  });
  return event;
}

function utf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

function decodeSummary(bytes: Uint8Array): ScalarValue[] {
  const scalars: ScalarValue[] = [];
  readFields(bytes, (field, wire, r) => {
    if (field !== 1 || wire !== LENGTH_DELIMITED) return false;
    let tag = '';
    let value: number | undefined;
    readFields(r.lengthDelimited(), (f, w, v) => {
      if (f === 1 && w === LENGTH_DELIMITED) tag = utf8(v.lengthDelimited());
      else if (f === 2 && w === FIXED32) value = v.float();
      else return false;
      return true;
    });
    if (value !== undefined) scalars.push({ tag, value });
    return true;
  });
  return scalars;
}

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
  for (let offset = 0; offset < bytes.length; ) {
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

  constructor(readonly path: string, private readonly file: FileHandle, private readonly now: () => number) {}

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
