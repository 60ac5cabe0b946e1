import { expect } from 'chai';
import {
  LrSchedule,
  RunShape,
  constantRate,
  cosine,
  exponentialDecay,
  oneCycle,
  parseLrSchedule,
  splitLrSchedules,
  startWarmupAt,
  stepDecay,
  warmup,
} from '../../src/training/schedules';

const run = (totalUpdates: number, updatesPerEpoch = 10): RunShape => ({ totalUpdates, updatesPerEpoch });

/** The schedule's factors at `updates` for a run of `shape`. */
function factors(schedule: LrSchedule, shape: RunShape, updates: number[]): number[] {
  const at = schedule.resolve(shape);
  return updates.map(at);
}

function expectClose(actual: number[], expected: number[]): void {
  expect(actual).to.have.length(expected.length);
  actual.forEach((a, i) => expect(a, `value ${i}`).to.be.closeTo(expected[i], 1e-12));
}

describe('learning-rate schedules: closed forms', () => {
  it('constant is 1 at every update', () => {
    expect(factors(constantRate(), run(100), [0, 1, 99])).to.deep.equal([1, 1, 1]);
  });

  it('step decay multiplies by the factor at every multiple of `every` (updates or epochs)', () => {
    expectClose(
      factors(stepDecay({ every: 3, factor: 0.5 }), run(100), [0, 2, 3, 5, 6, 9]),
      [1, 1, 0.5, 0.5, 0.25, 0.125],
    );
    // 2 epochs of 4 updates: the first drop at update 8.
    const byEpochs = stepDecay({ every: { epochs: 2 }, factor: 0.1 });
    expectClose(factors(byEpochs, run(40, 4), [0, 7, 8, 15, 16]), [1, 1, 0.1, 0.1, 0.01]);
  });

  it('exponential decay is factor^(update / every)', () => {
    expectClose(factors(exponentialDecay({ every: 10, factor: 0.5 }), run(100), [0, 5, 10, 20]), [
      1,
      Math.SQRT1_2,
      0.5,
      0.25,
    ]);
  });

  it('cosine decays from 1 to min over the run: 1/2 of the way down at the middle, (1 + cos(pi/4))/2 at a quarter', () => {
    expectClose(factors(cosine(), run(100), [0, 25, 50, 75]), [1, (1 + Math.SQRT1_2) / 2, 0.5, (1 - Math.SQRT1_2) / 2]);
    expectClose(factors(cosine({ min: 0.1 }), run(100), [0, 50]), [1, 0.55]);
  });

  it('cosine with a period restarts at the peak; mult lengthens each period (10, 20, 40 updates)', () => {
    expectClose(factors(cosine({ period: 10 }), run(100), [5, 10, 15, 20]), [0.5, 1, 0.5, 1]);
    const sgdr = cosine({ period: 10, mult: 2 });
    expectClose(factors(sgdr, run(100), [5, 10, 20, 30, 35]), [0.5, 1, 0.5, 1, (1 + Math.cos(Math.PI / 8)) / 2]);
    // A period in epochs: 2 epochs of 5 updates.
    expectClose(factors(cosine({ period: { epochs: 2 } }), run(100, 5), [5, 10]), [0.5, 1]);
  });

  it("one-cycle follows PyTorch's OneCycleLR: 1/25 at update 0, the peak at 0.3 T - 1, 1/(25 x 10^4) at T - 1", () => {
    // T = 100: the peak at update 29; half-way down (share 1/2 of updates 29..99) at update 64.
    expectClose(factors(oneCycle(), run(100), [0, 29, 64, 99]), [0.04, 1, (1 + 4e-6) / 2, 4e-6]);
    // pct 0.5, div 10, final 100, T = 21: peak at 9.5, so update 9 is just before it.
    const custom = oneCycle({ pct: 0.5, div: 10, finalDiv: 100 });
    const before = 1 + ((0.1 - 1) * (Math.cos((Math.PI * 9) / 9.5) + 1)) / 2;
    expectClose(factors(custom, run(21), [0, 9, 20]), [0.1, before, 0.001]);
  });

  it('warm-up rises linearly from `from` to 1 over n updates, then runs the schedule from its update 0', () => {
    const schedule = warmup(10, cosine());
    // 110 updates: 10 of warm-up, then a cosine over the 100 left.
    expectClose(factors(schedule, run(110), [0, 5, 9, 10, 60]), [0, 0.5, 0.9, 1, 0.5]);
    expectClose(factors(warmup(10, constantRate(), { from: 0.25 }), run(20), [0, 4, 10]), [0.25, 0.55, 1]);
    expectClose(factors(warmup({ epochs: 1 }), run(20, 4), [0, 2, 4, 19]), [0, 0.5, 1, 1]);
  });

  it("startWarmupAt fills in a warm-up's start (Goyal et al.'s 1/k) and leaves a given one", () => {
    expect(startWarmupAt(warmup(8, cosine()), 0.125).label).to.equal('warmup:8,from=0.125+cosine');
    expect(startWarmupAt(warmup(8, cosine(), { from: 0 }), 0.125).label).to.equal('warmup:8,from=0+cosine');
    expect(startWarmupAt(cosine(), 0.125).label).to.equal('cosine');
    expectClose(factors(startWarmupAt(warmup(8), 0.125), run(20), [0, 4, 8]), [0.125, 0.5625, 1]);
  });
});

describe('learning-rate schedules: text form', () => {
  it('labels library schedules in the command-line syntax', () => {
    expect(warmup(500, cosine({ min: 0.01 })).label).to.equal('warmup:500+cosine:min=0.01');
    expect(stepDecay({ every: { epochs: 2 }, factor: 0.1 }).label).to.equal('step:every=2ep,factor=0.1');
    expect(oneCycle({ pct: 0.25 }).label).to.equal('onecycle:pct=0.25');
    expect(warmup({ epochs: 1 }).label).to.equal('warmup:1ep');
    expect(JSON.stringify({ s: cosine({ period: 100, mult: 2 }) })).to.equal('{"s":"cosine:period=100,mult=2"}');
  });

  it('parses each label back to a schedule with the same label and factors', () => {
    for (const text of [
      'constant',
      'step:every=2ep,factor=0.1',
      'exp:every=100,factor=0.5',
      'cosine',
      'cosine:period=3ep,min=0.01,mult=2',
      'onecycle:pct=0.25,div=10,final=100',
      'warmup:50',
      'warmup:1ep,from=0.1+cosine:min=0.05',
      'warmup:5+warmup:5+constant',
    ]) {
      const parsed = parseLrSchedule(text);
      expect(parsed.label, text).to.equal(text.replace(/\+constant$/, ''));
      expect(parseLrSchedule(parsed.label).resolve(run(200))(37)).to.equal(parsed.resolve(run(200))(37));
    }
  });

  it('refuses bad text, naming the text and the part that is wrong', () => {
    const cases: [string, RegExp][] = [
      ['cosin', /lr schedule "cosin": unknown schedule cosin;.*expected/],
      ['', /unknown schedule \(empty\)/],
      ['step:every=10', /step needs every=<d> and factor=<f>/],
      ['step:every=x,factor=0.5', /step every must be <updates> or <n>ep, got x/],
      ['exp:every=10,factor=abc', /exp factor must be a number, got abc/],
      ['cosine:mn=0.1', /cosine does not take mn=0.1 \(settings: period=, min=, mult=\)/],
      ['cosine:min=1.5', /cosine: min must be a number in \[0, 1\), got 1.5/],
      ['cosine:mult=2', /cosine: mult needs a period/],
      ['constant:x=1', /constant does not take x=1 \(no settings\)/],
      ['cosine+warmup:10', /only a warm-up may come before '\+', got cosine/],
      ['warmup:0+cosine', /warmup: length must be a positive integer/],
      ['warmup+cosine', /warmup needs a length/],
      ['warmup:10,from=2', /warmup: from must be a number in \[0, 1\], got 2/],
      ['step:every=0,factor=0.5', /stepDecay: every must be a positive integer/],
      ['step:every=5,factor=0', /stepDecay: factor must be a number in \(0, 1\], got 0/],
      ['onecycle:pct=1', /oneCycle: pct must be a number in \(0, 1\), got 1/],
      ['cosine:min=0.1,min=0.2', /cosine: min given twice/],
    ];
    for (const [text, pattern] of cases) expect(() => parseLrSchedule(text), text).to.throw(pattern);
  });

  it('splits a list at each part that is not a setting (settings are comma-separated too)', () => {
    expect(splitLrSchedules('constant,warmup:1ep,from=0.1+cosine:min=0.1,mult=2,period=5,onecycle')).to.deep.equal([
      'constant',
      'warmup:1ep,from=0.1+cosine:min=0.1,mult=2,period=5',
      'onecycle',
    ]);
    expect(splitLrSchedules('constant,cosin')).to.deep.equal(['constant', 'cosin']);
  });

  it('refuses a run too short for the schedule when it is resolved', () => {
    expect(() => oneCycle().resolve(run(3))).to.throw(/oneCycle: a run of 3 updates is too short for pct=0.3/);
    expect(() => warmup(20, cosine()).resolve(run(20))).to.throw(
      /warmup: 20 updates of warm-up leave none of the run's 20 for cosine/,
    );
  });
});
