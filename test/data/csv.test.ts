// Tests for the CSV reader: literal tables, hand-computed features and class indices, and error
// messages matched by pattern (file, line, column).
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCsv, readCsvFile } from '../../src/data/csv';

const fileName = 't.csv';

describe('csv', () => {
  describe('parseCsv', () => {
    it('detects a header and maps string labels to classes in sorted order', () => {
      const { raw, labelNames } = parseCsv('a,b,kind\n1,2,dog\n3,4,cat\n5,6,dog\n', { fileName });
      expect(labelNames).to.deep.equal(['cat', 'dog']);
      expect([...raw.targets]).to.deep.equal([1, 0, 1]);
      expect([...raw.features]).to.deep.equal([1, 2, 3, 4, 5, 6]);
      expect(raw.inputShape).to.deep.equal([2]);
      expect(raw.features).to.be.instanceOf(Float32Array);
      expect(raw.targets).to.be.instanceOf(Int32Array);
    });

    it('reads a first row of numbers as data', () => {
      const { raw } = parseCsv('1,2,0\n3,4,1\n', { fileName });
      expect([...raw.features]).to.deep.equal([1, 2, 3, 4]);
    });

    it('reads a first row with a class name as data when the features are numbers', () => {
      const { raw, labelNames } = parseCsv('5.1,3.5,setosa\n6.2,2.9,versicolor\n', { fileName });
      expect(raw.targets.length).to.equal(2);
      expect(labelNames).to.deep.equal(['setosa', 'versicolor']);
    });

    it('honours an explicit header option', () => {
      const { raw } = parseCsv('1,2,0\n3,4,1\n5,6,0\n', { fileName, header: true });
      expect([...raw.features]).to.deep.equal([3, 4, 5, 6]);
    });

    it('maps numeric labels to indices into their sorted distinct values', () => {
      const { raw, labelNames } = parseCsv('0.5,7\n1.5,3\n2.5,10\n3.5,3.0\n', { fileName });
      expect(labelNames).to.deep.equal(['3', '7', '10']);
      expect([...raw.targets]).to.deep.equal([1, 0, 2, 0]);
    });

    it('takes the label column by name', () => {
      const { raw, labelNames } = parseCsv('kind,a,b\ncat,1,2\ndog,3,4\n', { fileName, labelColumn: 'kind' });
      expect(labelNames).to.deep.equal(['cat', 'dog']);
      expect([...raw.features]).to.deep.equal([1, 2, 3, 4]);
    });

    it('takes the label column by 0-based index', () => {
      const { raw } = parseCsv('1,9,2\n3,8,4\n', { fileName, labelColumn: 1 });
      expect([...raw.features]).to.deep.equal([1, 2, 3, 4]);
      expect([...raw.targets]).to.deep.equal([1, 0]);
    });

    it('accepts \\r\\n, surrounding spaces, blank lines and no trailing newline', () => {
      const { raw } = parseCsv('x, y ,label\r\n\r\n1, 2 ,a\r\n  \r\n3,4,b', { fileName });
      expect([...raw.features]).to.deep.equal([1, 2, 3, 4]);
      expect([...raw.targets]).to.deep.equal([0, 1]);
    });
  });

  describe('parseCsv errors', () => {
    it('names the line of a ragged row, counting blank lines', () => {
      expect(() => parseCsv('a,b,c\n1,2,0\n\n3,0\n', { fileName })).to.throw(
        /^t\.csv line 4: expected 3 columns \(as on line 1\), found 2$/,
      );
    });

    it('names line and column of a non-numeric feature cell', () => {
      expect(() => parseCsv('a,b,c\n1,2,0\n3,x,1\n', { fileName })).to.throw(
        /^t\.csv line 3, column 2 \("b"\): expected a number, found "x"$/,
      );
    });

    it('names an unknown label column and the columns found', () => {
      expect(() => parseCsv('a,b,c\n1,2,0\n', { fileName, labelColumn: 'species' })).to.throw(
        /t\.csv line 1: expected a header column named "species".*"a", "b", "c"/,
      );
    });

    it('rejects a label column index outside the columns', () => {
      expect(() => parseCsv('1,2,0\n', { fileName, labelColumn: 3 })).to.throw(
        /t\.csv: labelColumn 3 is outside the column indices 0\.\.2/,
      );
    });

    it('rejects an empty file', () => {
      expect(() => parseCsv('', { fileName })).to.throw(/^t\.csv: empty file/);
      expect(() => parseCsv('\n \r\n', { fileName })).to.throw(/^t\.csv: empty file/);
    });

    it('rejects a header without data rows', () => {
      expect(() => parseCsv('a,b,c\n', { fileName })).to.throw(/t\.csv: expected data rows after the header on line 1/);
    });
  });

  describe('readCsvFile', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'batchlab-csv-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('reads a file and names its path in errors', () => {
      const path = join(dir, 'pets.csv');
      writeFileSync(path, 'a,b,kind\n1,2,dog\n3,4,cat\n');
      expect(readCsvFile(path).labelNames).to.deep.equal(['cat', 'dog']);
      writeFileSync(path, 'a,b,kind\n1,2\n');
      expect(() => readCsvFile(path)).to.throw(`${path} line 2: expected 3 columns`);
    });

    it('names the path of a missing file', () => {
      const path = join(dir, 'missing.csv');
      expect(() => readCsvFile(path)).to.throw(`${path}: file not found`);
    });
  });
});
