/**
 * The few protobuf fields of `tensorflow.Event` that scalars need, encoded and decoded by hand.
 * Field numbers, checked against tensorboard/compat/proto/event.proto and summary.proto:
 *   Event   { double wall_time = 1; int64 step = 2;
 *             oneof what { string file_version = 3; Summary summary = 5; ... } }
 *   Summary { repeated Value value = 1; }
 *   Value   { string tag = 1; oneof value { float simple_value = 2; ... } }
 */

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
