// The corpus of broken data files: each one read through the library gives an InputError naming
// the file and the problem. Binary files are made here from a valid IDX file; CSV files are
// committed under test/corpus.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readCsvFile } from '../../src/data/csv';
import { loadIdxPair, readIdxFile, writeIdx } from '../../src/data/idx';
import { InputError } from '../../src/data/input-error';

const CORPUS = join(__dirname, '..', 'corpus');

function thrown(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    expect(error).to.be.instanceOf(InputError);
    return error as Error;
  }
  throw new Error('expected an InputError, nothing was thrown');
}

describe('broken IDX files', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'batchlab-broken-idx-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, bytes: Uint8Array): string => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };
  const images = writeIdx([2, 2, 2], Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7]));

  const cases: [string, () => Uint8Array, RegExp][] = [
    [
      'bad-magic',
      () => Uint8Array.from([0x50, 0x4b, 8, 3, ...images.subarray(4)]),
      /expected IDX magic bytes 0x00 0x00, found 0x50 0x4b/,
    ],
    ['truncated-header', () => images.subarray(0, 10), /expected a 16-byte header for 3 dimensions, found 10 bytes/],
    ['truncated-data', () => images.subarray(0, images.length - 3), /expected 24 bytes for dims \[2,2,2\], found 21/],
    [
      'overflowing-dims',
      () => Uint8Array.from([0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
      /dims \[4294967295,4294967295,4294967295\] describe 7\.92e\+28 values, more than any file .* the header is corrupt/,
    ],
    ['empty', () => new Uint8Array(0), /expected at least 4 header bytes, found 0/],
  ];
  for (const [name, bytes, pattern] of cases) {
    it(`${name}: names the file and the problem`, () => {
      const path = write(name, bytes());
      const error = thrown(() => readIdxFile(path));
      expect(error.message.startsWith(`${path}: `), error.message).to.equal(true);
      expect(error.message).to.match(pattern);
    });
  }

  it('a .gz that is not gzip (an HTML page) is named as such', () => {
    const path = write('page-idx3-ubyte.gz', new TextEncoder().encode('<html>Not Found</html>'));
    expect(thrown(() => readIdxFile(path)).message).to.equal(
      `${path}: named .gz but is not gzip data: expected the bytes 0x1f 0x8b, found 0x3c 0x68`,
    );
  });

  it('a truncated gzip stream is named as corrupt', () => {
    const gz = gzipSync(images);
    const path = write('cut-idx3-ubyte.gz', gz.subarray(0, gz.length - 8));
    expect(thrown(() => readIdxFile(path)).message).to.match(
      /cut-idx3-ubyte\.gz: expected valid gzip data, found a corrupt stream/,
    );
  });

  it('image and label counts that differ name both files and both counts', () => {
    const imagesPath = write('three-images', images);
    const labelsPath = write('three-labels', writeIdx([3], Uint8Array.from([0, 1, 2])));
    expect(thrown(() => loadIdxPair(imagesPath, labelsPath)).message).to.equal(
      `${imagesPath} has 2 images but ${labelsPath} has 3 labels; expected equal counts`,
    );
  });
});

describe('broken and awkward CSV files (test/corpus)', () => {
  const broken: [string, RegExp][] = [
    ['ragged.csv', /ragged\.csv line 3: expected 3 columns \(as on line 1\), found 2$/],
    ['non-numeric.csv', /non-numeric\.csv line 3, column 2 \("width"\): expected a number, found "wide"$/],
    ['empty.csv', /empty\.csv: empty file, expected a header or data rows$/],
    ['header-only.csv', /header-only\.csv: expected data rows after the header on line 1, found none$/],
    [
      'one-class.csv',
      /one-class\.csv, column 3 \(the label column\): every one of the 3 rows has the class "setosa"; classification needs at least 2 classes$/,
    ],
    [
      'open-quote.csv',
      /open-quote\.csv line 2, column 3: expected a plain or a whole quoted cell, closed on its line, found "setosa$/,
    ],
  ];
  for (const [file, pattern] of broken) {
    it(`${file}: names the file and the problem`, () => {
      expect(thrown(() => readCsvFile(join(CORPUS, file))).message).to.match(pattern);
    });
  }

  // Files a spreadsheet program writes: a byte-order mark, \r\n, quoted cells. Each reads as plain.
  for (const file of ['bom.csv', 'crlf.csv', 'quoted.csv']) {
    it(`${file}: reads the same rows as a plain file`, () => {
      const { raw, labelNames } = readCsvFile(join(CORPUS, file));
      expect([...raw.features]).to.deep.equal([1, 2, 3, 4, 5, 6]);
      expect([...raw.targets]).to.deep.equal([0, 1, 0]);
      expect(labelNames).to.deep.equal(['a, the first', 'b "second"']);
    });
  }
});
