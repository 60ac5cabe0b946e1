// Tests for the IDX reader and writer: tiny literal arrays written to a temp dir, plus the embedded
// Fashion-MNIST subset (read from data/, so these never need the Debian package installed).
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadIdxPair, parseIdx, readIdxFile, writeIdx } from '../../src/data/idx';

describe('idx', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'batchlab-idx-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function write(name: string, bytes: Uint8Array): string {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  }

  // Two 2x3 images and their labels.
  const pixels = Uint8Array.from([0, 51, 102, 153, 204, 255, 255, 0, 51, 0, 0, 0]);
  const labels = Uint8Array.from([7, 2]);

  describe('writeIdx and parseIdx', () => {
    it('writes the header bytes the format prescribes', () => {
      expect([...writeIdx([2], labels)]).to.deep.equal([0, 0, 8, 1, 0, 0, 0, 2, 7, 2]);
    });

    it('round-trips dims and data', () => {
      const parsed = parseIdx(writeIdx([2, 2, 3], pixels), 'x.idx');
      expect(parsed.dims).to.deep.equal([2, 2, 3]);
      expect([...parsed.data]).to.deep.equal([...pixels]);
    });

    it('round-trips through raw and gzipped files', () => {
      const raw = readIdxFile(write('raw-idx3-ubyte', writeIdx([2, 2, 3], pixels)));
      const gz = readIdxFile(write('gz-idx3-ubyte.gz', gzipSync(writeIdx([2, 2, 3], pixels))));
      for (const parsed of [raw, gz]) {
        expect(parsed.dims).to.deep.equal([2, 2, 3]);
        expect([...parsed.data]).to.deep.equal([...pixels]);
      }
    });

    it('rejects data that does not match dims when writing', () => {
      expect(() => writeIdx([2, 2], labels)).to.throw(/data has 2 bytes but dims \[2,2\] need 4/);
    });
  });

  describe('parseIdx errors', () => {
    it('rejects bad magic bytes', () => {
      const bytes = writeIdx([2], labels);
      bytes[1] = 0x12;
      expect(() => parseIdx(bytes, 'bad.idx')).to.throw(
        /^bad\.idx: expected IDX magic bytes 0x00 0x00, found 0x00 0x12$/,
      );
    });

    it('rejects a type byte other than unsigned byte, naming the type', () => {
      const bytes = writeIdx([2], labels);
      bytes[2] = 0x0d;
      expect(() => parseIdx(bytes, 'f.idx')).to.throw(
        /f\.idx: expected data type 0x08 \(unsigned byte\), found 0x0d \(float32\)/,
      );
    });

    it('rejects a dimension count outside 1..4', () => {
      const bytes = writeIdx([2], labels);
      bytes[3] = 5;
      expect(() => parseIdx(bytes, 'd.idx')).to.throw(/d\.idx: expected 1 to 4 dimensions, found 5/);
    });

    it('rejects truncated data, naming expected and found lengths', () => {
      const bytes = writeIdx([2, 2, 3], pixels).subarray(0, 20);
      expect(() => parseIdx(bytes, 'short.idx')).to.throw(
        /^short\.idx: expected 28 bytes for dims \[2,2,3\], found 20$/,
      );
    });

    it('rejects a truncated header', () => {
      expect(() => parseIdx(Uint8Array.from([0, 0, 8, 3, 0, 0]), 'h.idx')).to.throw(
        /h\.idx: expected a 16-byte header for 3 dimensions, found 6 bytes/,
      );
    });
  });

  describe('readIdxFile', () => {
    it('names the path of a missing file', () => {
      const path = join(dir, 'missing-idx1-ubyte.gz');
      expect(() => readIdxFile(path)).to.throw(`${path}: file not found`);
    });

    it('names the path in parse errors', () => {
      const path = write('trunc.gz', gzipSync(writeIdx([2, 2, 3], pixels).subarray(0, 20)));
      expect(() => readIdxFile(path)).to.throw(`${path}: expected 28 bytes`);
    });
  });

  describe('loadIdxPair', () => {
    it('scales pixels to [0, 1] exactly and keeps labels as class indices', () => {
      const raw = loadIdxPair(
        write('p-images.gz', gzipSync(writeIdx([2, 2, 3], pixels))),
        write('p-labels', writeIdx([2], labels)),
      );
      expect(raw.inputShape).to.deep.equal([2, 3, 1]);
      expect(raw.features).to.be.instanceOf(Float32Array);
      expect(raw.features[0]).to.equal(0);
      expect(raw.features[1]).to.equal(Math.fround(0.2));
      expect(raw.features[5]).to.equal(1);
      expect(raw.targets).to.be.instanceOf(Int32Array);
      expect([...raw.targets]).to.deep.equal([7, 2]);
    });

    it('keeps only the first `limit` samples', () => {
      const raw = loadIdxPair(
        write('l-images', writeIdx([2, 2, 3], pixels)),
        write('l-labels', writeIdx([2], labels)),
        { limit: 1 },
      );
      expect(raw.features.length).to.equal(6);
      expect([...raw.targets]).to.deep.equal([7]);
    });

    it('rejects an image count that differs from the label count, naming both files', () => {
      const images = write('m-images', writeIdx([2, 2, 3], pixels));
      const oneLabel = write('m-labels', writeIdx([1], Uint8Array.from([3])));
      expect(() => loadIdxPair(images, oneLabel)).to.throw(/m-images has 2 images but .*m-labels has 1 labels/);
    });

    it('rejects images that are not [count, rows, cols]', () => {
      const flat = write('flat', writeIdx([2, 6], pixels));
      expect(() => loadIdxPair(flat, write('f-labels', writeIdx([2], labels)))).to.throw(
        /flat: expected 3 dimensions .* found dims \[2,6\]/,
      );
    });

    it('rejects a limit that is not a positive integer', () => {
      const images = write('z-images', writeIdx([2, 2, 3], pixels));
      expect(() => loadIdxPair(images, write('z-labels', writeIdx([2], labels)), { limit: 0 })).to.throw(
        /limit must be a positive integer, got 0/,
      );
    });
  });

  describe('embedded fashion-mnist-small', () => {
    const dataDir = join(__dirname, '..', '..', 'data', 'fashion-mnist-small');

    it('holds 6000 training images of shape [28, 28, 1], exactly 600 per class', () => {
      const raw = loadIdxPair(join(dataDir, 'train-images-idx3-ubyte.gz'), join(dataDir, 'train-labels-idx1-ubyte.gz'));
      expect(raw.targets.length).to.equal(6000);
      expect(raw.inputShape).to.deep.equal([28, 28, 1]);
      expect(raw.features.length).to.equal(6000 * 28 * 28);
      const perClass = new Array<number>(10).fill(0);
      raw.targets.forEach((label) => perClass[label]++);
      expect(perClass).to.deep.equal(new Array<number>(10).fill(600));
    });

    it('holds 1000 test images, exactly 100 per class', () => {
      const raw = loadIdxPair(join(dataDir, 't10k-images-idx3-ubyte.gz'), join(dataDir, 't10k-labels-idx1-ubyte.gz'));
      const perClass = new Array<number>(10).fill(0);
      raw.targets.forEach((label) => perClass[label]++);
      expect(perClass).to.deep.equal(new Array<number>(10).fill(100));
    });
  });
});
