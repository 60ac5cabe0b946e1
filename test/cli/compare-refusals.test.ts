// Options that parse but cannot run, refused before any training with exit status 2: strategies
// and models the data cannot run (named by the flag that set them, or as the default), and values
// past the bounds of the spec and the command line. No output directory is created.
import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError, positiveIntegerUpTo } from '../../src/cli/parse';
import { batchlab } from '../helpers/batchlab-cli';

const cases: [string[], RegExp][] = [
  [
    ['compare', '--data', 'blobs', '--limit', '1000', '--strategies', 'full,mini:5000'],
    /^batchlab: --strategies mini:5000: batch size 5000 is larger than the 1000 training samples of blobs \(the first 1000\); use a smaller n or full$/m,
  ],
  [
    ['compare', '--data', 'blobs', '--limit', '100'],
    /^batchlab: --strategies mini:128 \(the default\): batch size 128 is larger than the 100 training samples of blobs \(the first 100\)/m,
  ],
  [
    ['compare', '--data', 'blobs', '--limit', '1000', '--strategies', 'full/micro:5000'],
    /--strategies full\/micro:5000: micro-batch 5000 is larger than its batch, the 1000 training samples of blobs \(the first 1000\); give a smaller m/,
  ],
  [
    ['compare', '--data', 'blobs', '--models', 'cnn'],
    /--models cnn: cannot train on blobs: cnn needs image input \[height, width, channels\], got \[2\]/,
  ],
  [['compare', '--data', 'linear', '--target', '0.9'], /--target 0\.9: linear is a regression data set/],
  [['compare', '--seeds', '100000'], /--seeds must be at most 1000, got 100000/],
  [
    ['compare', '--budget', 'updates:1000000000'],
    /--budget: budget "updates:1000000000": at most 100000000 updates per run, got 1000000000/,
  ],
  [['train', '--epochs', '100000'], /--epochs must be at most 10000, got 100000/],
];

describe('bounded option values', () => {
  it('refuse a value above the bound, naming the option, the bound and the value', () => {
    const jobs = positiveIntegerUpTo('jobs', 64);
    expect(jobs('64')).to.equal(64);
    expect(() => jobs('1000')).to.throw(UsageError, /^--jobs must be at most 64, got 1000$/);
    expect(() => jobs('0')).to.throw(UsageError, /^--jobs must be a positive integer, got 0$/);
  });
});

describe('options refused before training', function () {
  this.timeout(120000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'batchlab-refusals-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  cases.forEach(([args, pattern], i) => {
    it(`${args.join(' ')}: exits 2 naming the option and the value`, () => {
      const out = join(dir, `out-${i}`);
      const result = batchlab(...args, '--quiet', '--out', out);
      expect(result.stderr).to.match(pattern);
      expect(result.status).to.equal(2);
      expect(existsSync(out)).to.equal(false);
    });
  });
});
