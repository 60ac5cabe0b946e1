// TensorBoard event files read by a reader that shares nothing with batchlab's: protobuf classes
// that protoc builds from TensorBoard's field layout, with the TFRecord framing and CRC-32C checked
// in Python (tensorboard_decode.py). Skipped, with the reason, where protoc or python3-protobuf is
// missing; CI installs both, and fails rather than skips there.
import { expect } from 'chai';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeEvent, frameRecord, openEventFile } from '../../src/io/tensorboard/event-file';
import { decodeIndependently, findIndependentReader, type DecodedRecord } from '../helpers/independent-tfevents';
import { skipBecause } from '../setup';

/** What the independent reader must find: values a float32 rounds, overflows or keeps signed, steps past 2^31. */
const SCALARS: { tag: string; value: number; step: number; wallTime?: number }[] = [
  { tag: 'loss', value: 1 / 3, step: 0, wallTime: 1_700_000_000.123456 },
  { tag: 'loss', value: -2.5e-3, step: 1, wallTime: 1_700_000_001.75 },
  { tag: 'epoch/test_accuracy', value: 0, step: 7 },
  { tag: 'λ/ünïcode', value: -0, step: 2 ** 31, wallTime: 0.5 },
  { tag: 'float32/max', value: 3.4e38, step: 2 ** 35, wallTime: 2e9 },
  { tag: 'float32/overflow', value: 1e39, step: Number.MAX_SAFE_INTEGER, wallTime: 1e-3 },
  { tag: 'float32/subnormal', value: 1e-45, step: 8, wallTime: 1_700_000_002 },
  { tag: 'nan', value: NaN, step: 9, wallTime: 1_700_000_003 },
  { tag: 'inf', value: Infinity, step: 10, wallTime: 1_700_000_004 },
  { tag: '-inf', value: -Infinity, step: 11, wallTime: 1_700_000_005 },
];

const FILE_VERSION_RECORD = {
  offset: 0,
  step: '0',
  what: 'file_version',
  fileVersion: 'brain.Event:2',
  values: [],
  canonical: true,
};

describe('tensorboard event files, read independently', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'batchlab-tb-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('an independent reader (protoc-built classes, its own CRC-32C, in Python)', () => {
    let python = '';
    before(function () {
      const reader = findIndependentReader();
      if ('missing' in reader) {
        if (process.env.CI) throw new Error(`${reader.missing}: .ci/run installs it`);
        skipBecause(this, reader.missing);
      }
      python = reader.python;
    });

    const decode = (path: string): DecodedRecord[] => {
      const result = decodeIndependently(python, path);
      if ('error' in result) throw new Error(result.error);
      return result.records;
    };

    it('decodes every tag, value, step and wall time written, byte for byte as protobuf writes them', async () => {
      const clock = 1_700_000_000_500;
      const writer = await openEventFile(dir, { hostname: 'testhost', now: () => clock });
      SCALARS.slice(0, 5).forEach((s) => writer.scalar(s.tag, s.value, s.step, s.wallTime));
      await writer.flush();
      SCALARS.slice(5).forEach((s) => writer.scalar(s.tag, s.value, s.step, s.wallTime));
      await writer.close();

      const records = decode(writer.path);
      expect(records.map((r) => ({ ...r, offset: 0 }))).to.deep.equal([
        { ...FILE_VERSION_RECORD, wallTime: clock / 1000 },
        ...SCALARS.map((s) => ({
          offset: 0,
          wallTime: s.wallTime ?? clock / 1000,
          step: String(s.step),
          what: 'summary',
          fileVersion: '',
          values: [{ tag: s.tag, kind: 'simple_value', simpleValue: Math.fround(s.value) }],
          canonical: true,
        })),
      ]);
      // Spelled out, as these are the values a float32 round trip could lose silently.
      const value = (tag: string): number => records.find((r) => r.values[0]?.tag === tag)!.values[0].simpleValue;
      expect(Object.is(value('λ/ünïcode'), -0)).to.be.true;
      expect(value('float32/overflow')).to.equal(Infinity);
      expect(value('float32/subnormal')).to.equal(2 ** -149);
      expect(value('nan')).to.be.NaN;
    });

    it('rejects a flipped data byte, a corrupt length and a truncated record, naming the offset', async () => {
      const writer = await openEventFile(dir, { hostname: 'testhost' });
      writer.scalar('loss', 0.25, 3, 1.5);
      writer.scalar('loss', 0.5, 4, 2.5);
      await writer.close();
      const path = writer.path;
      const bytes = await readFile(path);
      const secondRecord = 16 + bytes.readUInt32LE(0); // after the file_version record
      const lastRecord = bytes.length - 42; // a 26-byte Event, as in the hand-encoded one, and 16 of framing

      const flipped = Buffer.from(bytes);
      flipped[secondRecord + 12 + 3] ^= 0x01;
      await writeFile(path, flipped);
      expect(decodeIndependently(python, path)).to.deep.equal({
        error: `${path}: data CRC mismatch at byte offset ${secondRecord}`,
      });
      const badLength = Buffer.from(bytes);
      badLength[5] = 0xff;
      await writeFile(path, badLength);
      expect(decodeIndependently(python, path)).to.deep.equal({
        error: `${path}: length CRC mismatch at byte offset 0`,
      });
      await writeFile(path, bytes.subarray(0, bytes.length - 2));
      expect(decodeIndependently(python, path)).to.deep.equal({
        error: `${path}: truncated data at byte offset ${lastRecord}`,
      });
    });

    it('notices a value under a wrong field number, which framing alone cannot', async () => {
      const event = encodeEvent({ wallTime: 1.5, step: 3, scalars: [{ tag: 'loss', value: 0.25 }] });
      expect(event[21]).to.equal(0x15); // simple_value's key, as in tensorboard.test.ts's hand-encoded Event
      event[21] = 0x1d; // field 3 (a bytes field in Value), wire type 5
      const path = join(dir, 'events.out.tfevents.0.bad');
      await writeFile(path, frameRecord(event));
      const [record] = decode(path);
      expect(record.values).to.deep.equal([{ tag: 'loss', kind: null, simpleValue: 0 }]);
      expect(record.canonical).to.be.false;
    });
  });
});
