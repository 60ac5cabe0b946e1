// Learning-rate schedules held against each strategy's runs under the budget, before any training:
// the runs' lengths are counted by hand (40 samples: full is 1 update an epoch, mini:10 is 4).
import { expect } from 'chai';
import { Dataset, disposeDataset, toDataset } from '../../src/data/dataset';
import { SpecDataError, specProblems } from '../../src/experiment/feasibility';
import { resolveSpec } from '../../src/experiment/spec';

function vectors(size: number): Dataset {
  const raw = {
    features: Float32Array.from({ length: 2 * size }, (_, i) => i),
    inputShape: [2],
    targets: Int32Array.from({ length: size }, (_, i) => i % 2),
  };
  return toDataset(raw, { name: 'blobs', task: 'classification', numClasses: 2 });
}

describe('schedules that do not fit the runs of an experiment', () => {
  let train: Dataset;
  beforeEach(() => (train = vectors(40)));
  afterEach(() => disposeDataset(train));

  const problemsOf = (spec: Record<string, unknown>) =>
    specProblems(resolveSpec({ data: 'blobs', strategies: ['full', 'mini:10'], ...spec }), {
      train,
      testSplit: false,
    }).map((p) => `${p.path} ${p.value}: ${p.message}`);

  it('passes schedules that fit every strategy under the budget', () => {
    const lrSchedules = ['constant', 'warmup:1+cosine', 'step:every=1ep,factor=0.5', 'cosine:period=2,mult=2'];
    expect(problemsOf({ lrSchedules, budget: 'epochs:2' })).to.deep.equal([]);
    // A seconds budget has no length in updates: a warm-up of any length fits it.
    expect(problemsOf({ lrSchedules: ['warmup:1000'], budget: 'seconds:5' })).to.deep.equal([]);
  });

  it('names what the trainer would refuse at run time, per strategy', () => {
    expect(problemsOf({ lrSchedules: ['constant', 'warmup:2+cosine', 'onecycle'], budget: 'epochs:2' })).to.deep.equal([
      "lrSchedules[1] warmup:2+cosine: does not fit the runs of strategy full (1 update an epoch, 2 in the budget): warmup: 2 updates of warm-up leave none of the run's 2 for cosine",
      'lrSchedules[2] onecycle: does not fit the runs of strategy full (1 update an epoch, 2 in the budget): oneCycle: a run of 2 updates is too short for pct=0.3 (it needs pct x updates > 1)',
    ]);
  });

  it('names a warm-up that does not end within the run, in epochs or updates, under an updates budget too', () => {
    const tail = 'does not end within the 2 updates it has: the run never trains at its peak rate';
    expect(problemsOf({ lrSchedules: ['warmup:2ep'], budget: 'epochs:2' })).to.deep.equal([
      `lrSchedules[0] warmup:2ep: does not fit the runs of strategy full (1 update an epoch, 2 in the budget): its warm-up of 2 updates ${tail}`,
      `lrSchedules[0] warmup:2ep: does not fit the runs of strategy mini:10 (4 updates an epoch, 8 in the budget): its warm-up of 8 updates ${tail.replace('2 updates', '8 updates')}`,
    ]);
    // 6 updates: the budget, not whole epochs (2 of mini:10 would be 8).
    const updates = { strategies: ['mini:10'], lrSchedules: ['warmup:5', 'warmup:6'], budget: 'updates:6' };
    expect(problemsOf(updates)).to.deep.equal([
      `lrSchedules[1] warmup:6: does not fit the runs of strategy mini:10 (4 updates an epoch, 6 in the budget): its warm-up of 6 updates ${tail.replace('2 updates', '6 updates')}`,
    ]);
  });

  it('names a step that never comes and a cosine period that never ends, after a warm-up too', () => {
    const run = 'mini:10 (4 updates an epoch, 8 in the budget)';
    const lrSchedules = [
      'step:every=2ep,factor=0.5',
      'step:every=7,factor=0.5',
      'cosine:period=9',
      'warmup:3+cosine:period=6',
    ];
    expect(problemsOf({ strategies: ['mini:10'], lrSchedules, budget: 'epochs:2' })).to.deep.equal([
      `lrSchedules[0] step:every=2ep,factor=0.5: does not fit the runs of strategy ${run}: its first step, after 8 updates, does not come within the 8 updates it has`,
      `lrSchedules[2] cosine:period=9: does not fit the runs of strategy ${run}: its period of 9 updates does not end within the 8 updates it has`,
      `lrSchedules[3] warmup:3+cosine:period=6: does not fit the runs of strategy ${run}: after its warm-up of 3 updates, its period of 6 updates does not end within the 5 updates it has`,
    ]);
  });

  it('leaves out strategies that cannot run at all, which have their own problem', () => {
    const problems = problemsOf({ strategies: ['mini:41'], lrSchedules: ['warmup:2ep'], budget: 'epochs:2' });
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(/^strategies\[0\] mini:41: batch size 41 is larger than/);
  });

  it('is refused as a whole with the spec field named', () => {
    const spec = resolveSpec({ data: 'blobs', strategies: ['full'], lrSchedules: ['warmup:2ep'], budget: 'epochs:2' });
    const error = new SpecDataError(specProblems(spec, { train, testSplit: false }));
    expect(error.message).to.match(/^spec: lrSchedules\[0\]: warmup:2ep: does not fit the runs of strategy full/);
  });
});
