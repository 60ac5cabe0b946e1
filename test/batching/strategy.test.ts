import { expect } from 'chai';
import {
  fullBatch,
  sgd,
  miniBatch,
  parseStrategy,
  groupIntoBatches,
  splitIntoMicroBatches,
  epochOrder,
  withMicroBatch,
} from '../../src/batching';

const asArrays = (batches: Int32Array[]): number[][] => batches.map((b) => Array.from(b));
const range = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);

describe('batching', () => {
  describe('groupIntoBatches', () => {
    it('splits range(10) by 3 into [[0,1,2],[3,4,5],[6,7,8],[9]]', () => {
      expect(asArrays(groupIntoBatches(range(10), 3, false))).to.deep.equal([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]);
    });
    it('drops the short last batch with dropLast', () => {
      expect(asArrays(groupIntoBatches(range(10), 3, true))).to.deep.equal([
        [0, 1, 2],
        [3, 4, 5],
        [6, 7, 8],
      ]);
    });
    it('gives equal batches when the size divides', () => {
      expect(asArrays(groupIntoBatches(range(6), 2, false))).to.deep.equal([
        [0, 1],
        [2, 3],
        [4, 5],
      ]);
    });
    it('gives no batches for an empty order', () => {
      expect(groupIntoBatches(new Int32Array(0), 4, false)).to.have.length(0);
    });
  });

  describe('strategies', () => {
    it('full batch is one batch of all samples in order', () => {
      const s = fullBatch();
      expect(asArrays(s.batches(5, 3, 42))).to.deep.equal([[0, 1, 2, 3, 4]]);
      expect(s.updatesPerEpoch(60000)).to.equal(1);
      expect(s.label).to.equal('full');
    });
    it('sgd has one sample per update and visits every sample once', () => {
      const s = sgd();
      const batches = s.batches(7, 0, 1);
      expect(batches.every((b) => b.length === 1)).to.equal(true);
      expect(batches.map((b) => b[0]).sort()).to.deep.equal([0, 1, 2, 3, 4, 5, 6]);
      expect(s.updatesPerEpoch(60000)).to.equal(60000);
    });
    it('mini-batch 100 on 60000 samples makes 600 updates', () => {
      expect(miniBatch(100).updatesPerEpoch(60000)).to.equal(600);
      expect(miniBatch(100).batches(60000, 0, 0)).to.have.length(600);
    });
    it('mini-batch rounds up an indivisible split and keeps every sample', () => {
      const s = miniBatch(128);
      expect(s.updatesPerEpoch(60000)).to.equal(469);
      const batches = s.batches(60000, 2, 9);
      expect(batches[468]).to.have.length(60000 - 468 * 128);
      const seen = new Set(batches.flatMap((b) => Array.from(b)));
      expect(seen.size).to.equal(60000);
    });
    it('dropLast gives floor(N/n) full batches', () => {
      const s = miniBatch(128, { dropLast: true });
      expect(s.updatesPerEpoch(60000)).to.equal(468);
      expect(s.batches(60000, 0, 0).every((b) => b.length === 128)).to.equal(true);
    });
    it('unshuffled mini-batch matches the documented example', () => {
      expect(asArrays(miniBatch(3, { shuffle: false }).batches(10, 0, 0))).to.deep.equal([
        [0, 1, 2],
        [3, 4, 5],
        [6, 7, 8],
        [9],
      ]);
    });
    it('the same seed and epoch give identical batches; another epoch or seed does not', () => {
      const s = miniBatch(4);
      const a = asArrays(s.batches(20, 1, 5));
      expect(asArrays(s.batches(20, 1, 5))).to.deep.equal(a);
      expect(asArrays(s.batches(20, 2, 5))).to.not.deep.equal(a);
      expect(asArrays(s.batches(20, 1, 6))).to.not.deep.equal(a);
    });
    it('shuffle is a permutation, not the identity', () => {
      const order = Array.from(epochOrder(50, 0, 3, true));
      expect([...order].sort((x, y) => x - y)).to.deep.equal(Array.from(range(50)));
      expect(order).to.not.deep.equal(Array.from(range(50)));
    });
  });

  describe('validation', () => {
    for (const bad of [0, -4, 2.5, NaN, Infinity]) {
      it(`rejects batch size ${bad} naming the value`, () => {
        expect(() => miniBatch(bad)).to.throw(
          new RegExp(`batch size n must be a positive integer, got ${String(bad)}`),
        );
      });
    }
    it('rejects a batch larger than the data set when batches are made', () => {
      expect(() => miniBatch(64).batches(10, 0, 0)).to.throw(
        /batch size 64 is larger than the data set \(10 samples\)/,
      );
    });
    it('rejects a bad microBatch', () => {
      expect(() => fullBatch({ microBatch: 0 })).to.throw(/microBatch must be a positive integer, got 0/);
    });
  });

  describe('parseStrategy', () => {
    it('parses full, sgd and mini:n', () => {
      expect(parseStrategy('full').kind).to.equal('full');
      expect(parseStrategy('sgd').kind).to.equal('sgd');
      expect(parseStrategy('mini:32').label).to.equal('mini:32');
      expect(parseStrategy('64').label).to.equal('mini:64');
    });
    for (const bad of ['mini:0', 'mini:-1', 'mini:1.5', 'batch', 'mini:']) {
      it(`rejects "${bad}"`, () => {
        expect(() => parseStrategy(bad)).to.throw(/strategy "|positive integer, got 0/);
      });
    }
  });

  describe('micro-batches', () => {
    it('splits a batch into chunks of at most m', () => {
      expect(asArrays(splitIntoMicroBatches(range(5), 2))).to.deep.equal([[0, 1], [2, 3], [4]]);
      expect(asArrays(splitIntoMicroBatches(range(5), undefined))).to.deep.equal([[0, 1, 2, 3, 4]]);
    });
    it('reports the smallest chunk the model sees', () => {
      expect(miniBatch(128).smallestChunk(129)).to.equal(1);
      expect(miniBatch(128, { dropLast: true }).smallestChunk(129)).to.equal(128);
      expect(fullBatch({ microBatch: 4 }).smallestChunk(9)).to.equal(1);
      expect(fullBatch({ microBatch: 4 }).smallestChunk(8)).to.equal(4);
      expect(sgd().smallestChunk(10)).to.equal(1);
    });
    it('lists every chunk size the model sees, largest first', () => {
      // 100 in batches of 32: 32, 32, 32, 4; in chunks of 12: 12, 12, 8 per batch and the 4.
      expect(miniBatch(32, { microBatch: 12 }).chunkSizes(100)).to.deep.equal([12, 8, 4]);
      expect(miniBatch(32).chunkSizes(100)).to.deep.equal([32, 4]);
      expect(miniBatch(32, { dropLast: true }).chunkSizes(100)).to.deep.equal([32]);
      expect(fullBatch({ microBatch: 25 }).chunkSizes(100)).to.deep.equal([25]);
      expect(sgd().chunkSizes(7)).to.deep.equal([1]);
    });
  });
});

describe('parseStrategy with micro-batches', () => {
  it('reads /micro:<m> into the strategy and its label', () => {
    const s = parseStrategy('full/micro:1000');
    expect([s.kind, s.microBatch, s.label]).to.deep.equal(['full', 1000, 'full/micro:1000']);
    expect(parseStrategy('mini:256/micro:64').microBatch).to.equal(64);
  });
  it('rejects micro-batches for sgd and unknown suffixes', () => {
    expect(() => parseStrategy('sgd/micro:4')).to.throw(/sgd has one sample per update/);
    expect(() => parseStrategy('full/chunks:4')).to.throw(/the only suffix is \/micro:<m>/);
    expect(() => parseStrategy('full/micro:0')).to.throw(/microBatch must be a positive integer, got 0/);
  });
});

describe('withMicroBatch', () => {
  it('gives the strategy the /micro:<m> suffix would, keeping its other options', () => {
    const s = withMicroBatch(miniBatch(256, { dropLast: true }), 64);
    expect([s.kind, s.n, s.microBatch, s.dropLast, s.label]).to.deep.equal([
      'mini',
      256,
      64,
      true,
      'mini:256/micro:64',
    ]);
    expect(s.batches(600, 1, 7)).to.deep.equal(miniBatch(256, { dropLast: true }).batches(600, 1, 7));
    expect(withMicroBatch(fullBatch(), 1000).label).to.equal(parseStrategy('full/micro:1000').label);
  });
  it('refuses SGD the way the suffix and the option do', () => {
    expect(() => withMicroBatch(sgd(), 4)).to.throw(/strategy "sgd\/micro:4": sgd has one sample per update/);
    expect(() => parseStrategy('sgd', { microBatch: 4 })).to.throw(/strategy "sgd": sgd has one sample per update/);
  });
  it('is written as its label in JSON', () => {
    expect(JSON.stringify({ s: parseStrategy('mini:32/micro:8') })).to.equal('{"s":"mini:32/micro:8"}');
  });
});
