// TensorBoard event files: CRC-32C against the RFC 3720 vectors, TFRecord framing and one Event
// byte for byte against hand-derived bytes, a write/read round trip, corrupt and truncated files
// named in the errors. tensorboard-independent.test.ts reads the same files with a reader not ours.
import { expect } from 'chai';
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  crc32c,
  encodeEvent,
  frameRecord,
  maskedCrc32c,
  openEventFile,
  readEventFile,
} from '../../src/io/tensorboard/event-file';

const ascii = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'ascii'));

/** Writes `loss` = 1 / (step + 1) for steps 0..4 at wall times 100 + step; returns the file's path. */
async function writeFiveSteps(dir: string): Promise<string> {
  const writer = await openEventFile(dir, { hostname: 'testhost', now: () => 1_700_000_000_500 });
  for (let step = 0; step < 5; step++) writer.scalar('loss', 1 / (step + 1), step, 100 + step);
  await writer.flush();
  await writer.close();
  return writer.path;
}

describe('tensorboard event files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'batchlab-tb-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('crc32c', () => {
    it('matches the RFC 3720 test vectors', () => {
      expect(crc32c(ascii('123456789'))).to.equal(0xe3069283);
      expect(crc32c(new Uint8Array(32))).to.equal(0x8a9136aa);
    });

    it('masks as TFRecord does: rotate right by 15, add 0xa282ead8', () => {
      // crc32c("123456789") = 0xE3069283; rotr15 = 0x2507C60D; + 0xA282EAD8 = 0xC78AB0E5 (mod 2^32)
      expect(maskedCrc32c(ascii('123456789'))).to.equal(0xc78ab0e5);
    });
  });

  describe('frameRecord', () => {
    it('writes length, masked length CRC, data, masked data CRC, little-endian', () => {
      const record = frameRecord(ascii('abc'));
      expect(Array.from(record.subarray(0, 8))).to.deep.equal([3, 0, 0, 0, 0, 0, 0, 0]);
      expect(Array.from(record.subarray(12, 15))).to.deep.equal([0x61, 0x62, 0x63]);
      expect(record.length).to.equal(19);
      const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
      expect(view.getUint32(8, true)).to.equal(maskedCrc32c(record.subarray(0, 8)));
      expect(view.getUint32(15, true)).to.equal(maskedCrc32c(ascii('abc')));
      // The same two CRCs from an independent (bitwise, Python) CRC-32C.
      expect(view.getUint32(8, true)).to.equal(0x0e4999b0);
      expect(view.getUint32(15, true)).to.equal(0x21f1576e);
    });
  });

  describe('encodeEvent', () => {
    it('encodes wall_time 1.5, step 3, summary { value { tag "loss" simple_value 0.25 } }', () => {
      const bytes = encodeEvent({ wallTime: 1.5, step: 3, scalars: [{ tag: 'loss', value: 0.25 }] });
      expect(Array.from(bytes)).to.deep.equal([
        0x09, // Event field 1 (wall_time), wire type 1 (fixed64): (1 << 3) | 1
        0x00,
        0x00,
        0x00,
        0x00,
        0x00,
        0x00,
        0xf8,
        0x3f, // 1.5 = 0x3FF8000000000000, little-endian
        0x10, // field 2 (step), wire type 0 (varint): (2 << 3) | 0
        0x03, // 3
        0x2a, // field 5 (summary), wire type 2 (length-delimited): (5 << 3) | 2
        0x0d, // Summary is 13 bytes
        0x0a, // Summary field 1 (value), wire type 2
        0x0b, // Value is 11 bytes
        0x0a, // Value field 1 (tag), wire type 2
        0x04, // 4 bytes
        0x6c,
        0x6f,
        0x73,
        0x73, // "loss"
        0x15, // Value field 2 (simple_value), wire type 5 (fixed32): (2 << 3) | 5
        0x00,
        0x00,
        0x80,
        0x3e, // 0.25f = 0x3E800000, little-endian
      ]);
    });

    it('writes steps past 2^31 as multi-byte varints', () => {
      const bytes = encodeEvent({ wallTime: 0, step: 2 ** 35, scalars: [] });
      // 2^35 = 7-bit groups 0,0,0,0,0,1 (low first): 0x80 x5 then 0x01
      expect(Array.from(bytes.subarray(9))).to.deep.equal([0x10, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
    });
  });

  describe('round trip', () => {
    it('writes a file TensorFlow would name, file_version first, then the scalars', async () => {
      const path = await writeFiveSteps(dir);
      expect(await readdir(dir)).to.deep.equal(['events.out.tfevents.1700000000.testhost']);
      expect(path).to.equal(join(dir, 'events.out.tfevents.1700000000.testhost'));

      const events = readEventFile(path);
      expect(events).to.have.length(6);
      expect(events[0]).to.deep.equal({
        wallTime: 1_700_000_000.5,
        step: 0,
        fileVersion: 'brain.Event:2',
        scalars: [],
      });
      expect(events.slice(1)).to.deep.equal(
        [0, 1, 2, 3, 4].map((step) => ({
          wallTime: 100 + step,
          step,
          scalars: [{ tag: 'loss', value: Math.fround(1 / (step + 1)) }],
        })),
      );
    });

    it('appends each flush after the records already in the file', async () => {
      const writer = await openEventFile(dir, { hostname: 'h', now: () => 5000 });
      writer.scalar('acc', 0.5, 1);
      await writer.flush();
      const afterFirst = (await readFile(writer.path)).length;
      writer.scalar('acc', 0.75, 2);
      await writer.close();
      const events = readEventFile(writer.path);
      expect(events.map((e) => e.step)).to.deep.equal([0, 1, 2]);
      expect(events[1]).to.deep.equal({ wallTime: 5, step: 1, scalars: [{ tag: 'acc', value: 0.5 }] });
      expect((await readFile(writer.path)).length).to.be.greaterThan(afterFirst);
      expect(() => writer.scalar('acc', 1, 3)).to.throw(/is closed/);
    });

    it('rejects bad arguments with messages that name them', async () => {
      const writer = await openEventFile(dir, { hostname: 'h' });
      expect(() => writer.scalar('', 1, 0)).to.throw(/tag must be a non-empty string, got ""/);
      expect(() => writer.scalar('loss', 1, -1)).to.throw(/step must be a non-negative integer, got -1/);
      expect(() => writer.scalar('loss', 1, 1.5)).to.throw(/got 1\.5/);
      await writer.close();
      let error: Error | undefined;
      await openEventFile(join(dir, 'b'), { hostname: 'a/b' }).catch((err: Error) => (error = err));
      expect(error?.message).to.match(/hostname .* got "a\/b"/);
    });
  });

  describe('corruption', () => {
    it('names the file and the record offset when a payload byte is flipped', async () => {
      const path = await writeFiveSteps(dir);
      const bytes = await readFile(path);
      const secondRecord = 16 + bytes.readUInt32LE(0); // the file_version record's full length
      bytes[secondRecord + 12 + 3] ^= 0x01; // a byte inside the second record's data
      await writeFile(path, bytes);
      expect(() => readEventFile(path)).to.throw(
        new RegExp(
          `events\\.out\\.tfevents\\.1700000000\\.testhost: data CRC mismatch .* byte offset ${secondRecord}$`,
        ),
      );
    });

    it('names the file and the offset of a truncated last record', async () => {
      const path = await writeFiveSteps(dir);
      const size = (await readFile(path)).length;
      // The step-4 record: a 26-byte Event (laid out as in the hand-encoded test) + 16 bytes of framing.
      const lastRecord = size - 42;
      await truncate(path, size - 2);
      expect(() => readEventFile(path)).to.throw(
        new RegExp(`tfevents\\.1700000000\\.testhost: truncated data \\(length 26\\) .* byte offset ${lastRecord}$`),
      );
      await truncate(path, lastRecord + 5);
      expect(() => readEventFile(path)).to.throw(new RegExp(`truncated header .* byte offset ${lastRecord}$`));
    });

    it('reports a corrupt length field as a length CRC mismatch, not a huge read', async () => {
      const path = await writeFiveSteps(dir);
      const bytes = await readFile(path);
      bytes[5] = 0xff; // length becomes ~2^40
      await writeFile(path, bytes);
      expect(() => readEventFile(path)).to.throw(/length CRC mismatch in the record at byte offset 0$/);
    });
  });
});
