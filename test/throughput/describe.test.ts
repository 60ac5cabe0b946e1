import { expect } from 'chai';
import {
  DEFAULT_BATCH_SIZES,
  ThroughputPoint,
  ThroughputSweep,
  assessThroughput,
  comparePowers,
  describeThroughput,
  findPlateau,
  formatThroughputTable,
  isPowerOfTwo,
  mean,
  powerVerdict,
  predicted,
  POWERS_OF_TWO_BATCH_SIZES,
  standardDeviation,
  throughputCsv,
} from '../../src/throughput';

/** A synthetic point: samples/s of each repeat, one step per repeat of one second. */
const at = (batchSize: number, samplesPerSecond: number[], backend = 'wasm'): ThroughputPoint => ({
  backend,
  batchSize,
  samplesPerSecond,
  steps: 1,
  seconds: samplesPerSecond.map(() => 1),
  updates: samplesPerSecond.length,
});

/** A flat curve at 1000 samples/s around 127/128/129, with 128 given. */
const around128 = (power: number[], below = [100, 101], above = [100, 101]) => [
  at(127, below),
  at(128, power),
  at(129, above),
];

describe('throughput rules: powers of two against their neighbours', () => {
  it('knows powers of two', () => {
    expect([1, 2, 16, 128, 512].every(isPowerOfTwo)).to.equal(true);
    expect([0, 3, 96, 100, 127, 129, 255, 257, 1.5, -4].some(isPowerOfTwo)).to.equal(false);
  });

  it('takes the mean and the sample standard deviation', () => {
    expect(mean([2, 4, 4, 4, 5, 5, 7, 9])).to.equal(5);
    expect(standardDeviation([2, 4, 4, 4, 5, 5, 7, 9])).to.be.closeTo(Math.sqrt(32 / 7), 1e-12);
    expect(standardDeviation([3])).to.equal(0);
  });

  it('compares each power with the nearest non-power on each side within 25% (the default sweep and the preset)', () => {
    const pairs = (sizes: readonly number[]) =>
      comparePowers(sizes.map((b) => at(b, [1000, 1000]))).map((c) => [c.power, c.neighbours]);
    // 16, 32 and 64 have no non-power within 25%; 257 is no neighbour of 512.
    expect(pairs(DEFAULT_BATCH_SIZES)).to.deep.equal([
      [128, [127, 129]],
      [256, [255, 257]],
    ]);
    expect(pairs([48, 64, 80, 96, 128, 160, 384, 512])).to.deep.equal([
      [64, [48, 80]],
      [128, [96, 160]],
      [512, [384]],
    ]);
    expect(pairs(POWERS_OF_TWO_BATCH_SIZES).map(([p]) => p)).to.deep.equal([16, 32, 64, 128, 256, 512]);
  });

  it('predicts p from both neighbours in log2 of the batch size, taking out the growth with batch size', () => {
    const line = (b: number) => 900 + 200 * (Math.log2(b / 96) / Math.log2(160 / 96));
    expect(predicted(128, [at(96, [900]), at(160, [1100])])).to.be.closeTo(line(128), 1e-9);
    expect(predicted(128, [at(96, [800, 1000])])).to.equal(900);
    // On the line through its neighbours: no gap, although 128 is faster than their mean of 1000.
    const points = [at(96, [900, 900]), at(128, [line(128), line(128)]), at(160, [1100, 1100])];
    const [c] = comparePowers(points);
    expect(c.gapPercent).to.be.closeTo(0, 1e-9);
    expect(c.outcome).to.equal('within noise');
  });

  it('stands out: 120.5 against neighbours of 100.5 is +19.9%, beyond the 1.0% spread', () => {
    const [c] = comparePowers(around128([120, 121]));
    expect(c.gapPercent).to.be.closeTo((120.5 / 100.5 - 1) * 100, 1e-9);
    expect(c.spreadPercent).to.be.closeTo((1 / 100.5) * 100, 1e-9);
    expect(c.outcome).to.equal('faster');
    expect(describeThroughput(around128([120, 121]))[0]).to.match(
      /^wasm: powers of two stand out from their neighbours, each beyond the spread of repeats \(128 \+19\.9% vs 127\/129, spread 1\.0%\); /,
    );
  });

  it('does not stand out: slower than the neighbours beyond the spread', () => {
    const points = around128([80, 81]);
    expect(comparePowers(points)[0].outcome).to.equal('slower');
    expect(describeThroughput(points)[0]).to.match(
      /^wasm: powers of two do not stand out from their neighbours \(128 -19\.9% vs 127\/129, spread 1\.2%: slower\); /,
    );
  });

  it('within noise: a 5% gap inside a 20% spread of repeats', () => {
    const points = around128([100, 110], [90, 110], [95, 105]);
    const [c] = comparePowers(points);
    expect(c.gapPercent).to.be.closeTo(5, 1e-9);
    expect(c.spreadPercent).to.be.closeTo(20, 1e-9);
    expect(c.outcome).to.equal('within noise');
    expect(describeThroughput(points)[0]).to.match(
      /^wasm: powers of two do not stand out beyond the spread of repeats \(128 \+5\.0% vs 127\/129, spread 20\.0%\); /,
    );
  });

  it('a gap equal to the spread (to 0.1%, as printed) is not beyond it', () => {
    // 128 at 110 and 120 (mean 115) against 100 and 110 on each side (mean 105): gap 9.52%, spread 10/105 = 9.52%.
    const points = around128([110, 120], [100, 110], [100, 110]);
    const [c] = comparePowers(points);
    expect(c.gapPercent).to.be.closeTo(c.spreadPercent, 1e-9);
    expect(c.outcome).to.equal('within noise');
  });

  it('mixed: one power stands out and one does not, each said so', () => {
    const points = [...around128([120, 121]), at(255, [100, 101]), at(256, [100.5, 101.5]), at(257, [100, 101])];
    expect(comparePowers(points).map((c) => c.outcome)).to.deep.equal(['faster', 'within noise']);
    expect(describeThroughput(points)[0]).to.match(
      /^wasm: only some powers of two stand out from their neighbours beyond the spread of repeats \(128 \+19\.9% vs 127\/129, spread 1\.0%: stands out; 256 \+0\.5% vs 255\/257, spread 1\.0%: within noise\); /,
    );
  });

  it('one repeat: no spread, so no judgement', () => {
    const points = around128([120], [100], [100]);
    expect(comparePowers(points)[0].outcome).to.equal('one repeat');
    expect(describeThroughput(points)[0]).to.match(
      /^wasm: with one repeat the spread is unknown, so whether powers of two stand out cannot be told \(128 \+20\.0% vs 127\/129\); /,
    );
  });

  it('no power with a non-power neighbour: nothing compared', () => {
    const points = [at(16, [10, 11]), at(32, [20, 21]), at(64, [30, 31])];
    expect(comparePowers(points)).to.deep.equal([]);
    expect(powerVerdict([])).to.equal('not compared');
    expect(describeThroughput(points)[0]).to.match(/^wasm: no power of two in the sweep has a measured neighbour/);
  });
});

describe('throughput rules: where throughput stops growing', () => {
  it('at the smallest batch size within 5% of the largest mean (190 of 200 counts)', () => {
    const points = [at(16, [100]), at(32, [180]), at(64, [190]), at(128, [200]), at(256, [199])];
    expect(findPlateau(points)).to.deep.equal({
      batchSize: 64,
      samplesPerSecond: 190,
      maxBatchSize: 128,
      maxSamplesPerSecond: 200,
      stillGrowing: false,
    });
    expect(describeThroughput(points)[0]).to.match(
      /; throughput stops growing at batch size 64 \(the smallest within 5% of the largest mean, 200 samples\/s at 128\)\.$/,
    );
  });

  it('still growing when only the largest batch size reaches the plateau', () => {
    const points = [at(64, [1000, 1000]), at(128, [2000, 2000]), at(256, [4000, 4000]), at(512, [8000, 8000])];
    expect(findPlateau(points).stillGrowing).to.equal(true);
    expect(describeThroughput(points)[0]).to.match(
      /; throughput is still growing at the largest batch size measured, 512 \(the only one within 5% of the largest mean, 8,000 samples\/s at 512\)\.$/,
    );
  });

  it('gives one finding per backend, in the order the backends appear', () => {
    const points = [at(64, [10, 10], 'cpu'), at(72, [5, 5], 'cpu'), at(64, [10, 10], 'wasm'), at(72, [20, 20], 'wasm')];
    const findings = assessThroughput(points);
    expect(findings.map((f) => [f.backend, f.verdict, f.plateau.batchSize])).to.deep.equal([
      ['cpu', 'stand out', 64],
      ['wasm', 'do not stand out', 72],
    ]);
  });
});

describe('throughput table and CSV', () => {
  const sweep: ThroughputSweep = {
    model: 'logistic',
    batchNorm: false,
    data: 'fashion-mnist-small',
    points: [at(32, [1000, 1200], 'wasm'), at(33, [900, 1100], 'wasm'), at(32, [100, 100], 'cpu')],
    device: { wasm: 'CPU (WebAssembly, SIMD)', cpu: 'CPU (JavaScript)' },
    failures: [],
    modelDescription: 'logistic',
    settings: { optimizer: 'adam', repeats: 2, warmup: 1, steps: 1, seconds: 1, seed: 0, kernels: true },
  };

  it('prints mean ± sd per backend, powers of two marked, a dash where a backend lacks a size', () => {
    expect(formatThroughputTable(sweep).split('\n')).to.deep.equal([
      'batch   wasm samples/s   cpu samples/s',
      ' * 32      1,100 ± 141         100 ± 0',
      '   33      1,000 ± 141               -',
      '(* a power of two; mean ± sd over the repeats)',
    ]);
  });

  it('writes one CSV row per backend, batch size and repeat', () => {
    expect(throughputCsv(sweep).split('\n')).to.deep.equal([
      'backend,batch_size,power_of_two,repeat,steps,seconds,samples_per_second',
      'wasm,32,true,1,1,1,1000',
      'wasm,32,true,2,1,1,1200',
      'wasm,33,false,1,1,1,900',
      'wasm,33,false,2,1,1,1100',
      'cpu,32,true,1,1,1,100',
      'cpu,32,true,2,1,1,100',
      '',
    ]);
  });
});
