import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { Dataset, disposeDataset, toDataset } from '../../src/data/dataset';
import { MAX_RUNS, SpecDataError, specProblems } from '../../src/experiment/feasibility';
import { resolveSpec } from '../../src/experiment/spec';

/** `size` samples of 2 features, classification (2 classes) or regression. */
function vectors(size: number, task: 'classification' | 'regression' = 'classification'): Dataset {
  const raw = {
    features: Float32Array.from({ length: 2 * size }, (_, i) => i),
    inputShape: [2],
    targets: Int32Array.from({ length: size }, (_, i) => i % 2),
  };
  return toDataset(raw, { name: 'blobs', task, numClasses: task === 'classification' ? 2 : undefined });
}

describe('what an experiment asks of its data', () => {
  let train: Dataset;
  beforeEach(() => (train = vectors(40)));
  afterEach(() => disposeDataset(train));

  const problemsOf = (spec: Record<string, unknown>, testSplit = false) =>
    specProblems(resolveSpec({ data: 'blobs', ...spec }), { train, testSplit });

  it('passes strategies whose batches and micro-batches fit the training set, leaving no tensor behind', () => {
    const tensors = tf.memory().numTensors;
    expect(problemsOf({ strategies: ['full', 'sgd', 'mini:40', 'mini:10/micro:10', 'full/micro:40'] })).to.deep.equal(
      [],
    );
    expect(tf.memory().numTensors).to.equal(tensors);
  });

  it('names a batch larger than the training set, with how the set came to its size', () => {
    expect(problemsOf({ strategies: ['full', 'mini:41'], limit: 50 }, true)).to.deep.equal([
      {
        field: 'strategies',
        path: 'strategies[1]',
        value: 'mini:41',
        message:
          'batch size 41 is larger than the 40 training samples of blobs (the first 50, less the seeded 20% test split); use a smaller n or full',
      },
    ]);
  });

  it('names a micro-batch larger than its batch', () => {
    const problems = problemsOf({ strategies: ['mini:10/micro:11', 'full/micro:41'] });
    expect(problems.map((p) => `${p.path} ${p.value}: ${p.message}`)).to.deep.equal([
      'strategies[0] mini:10/micro:11: micro-batch 11 is larger than its batch of 10; give a smaller m or leave out /micro:',
      'strategies[1] full/micro:41: micro-batch 41 is larger than its batch, the 40 training samples of blobs; give a smaller m or leave out /micro:',
    ]);
  });

  it("names a model the data's samples do not fit", () => {
    const [problem] = problemsOf({ models: ['mlp', 'cnn'], strategies: ['full'] });
    expect(problem).to.deep.include({ field: 'models', path: 'models[1]', value: 'cnn' });
    expect(problem.message).to.match(
      /^cannot train on blobs: cnn needs image input \[height, width, channels\], got \[2\]$/,
    );
  });

  it('names a target accuracy for a regression data set', () => {
    disposeDataset(train);
    train = vectors(40, 'regression');
    expect(problemsOf({ strategies: ['full'], target: 0.9 }).map((p) => p.message)).to.deep.equal([
      'blobs is a regression data set: it has no accuracy to reach',
    ]);
  });

  it(`counts the runs, at most ${MAX_RUNS}`, () => {
    expect(
      problemsOf({ strategies: ['full', 'sgd'], seeds: 1000, batchNorm: 'both', learningRates: [0.1, 0.01] }),
    ).to.deep.equal([]);
    const [problem] = problemsOf({
      strategies: ['full', 'sgd', 'mini:8'],
      seeds: 1000,
      batchNorm: 'both',
      optimizers: ['adam', 'sgd'],
    });
    expect(problem.field).to.equal(null);
    expect(problem.message).to.equal(
      'the experiment has 12000 runs (1 model x 3 strategies x 2 BN settings x 2 optimizers x 1 learning rate x 1000 seeds); an experiment runs at most 10000',
    );
  });

  it('is refused as input to fix, one line per problem naming the spec field', () => {
    const error = new SpecDataError(problemsOf({ strategies: ['mini:50', 'mini:60'] }));
    expect(error.name).to.equal('InputError');
    expect(error.message.split('\n').map((line) => line.replace(/: batch size.*/, ''))).to.deep.equal([
      'spec: strategies[0]: mini:50',
      'spec: strategies[1]: mini:60',
    ]);
  });
});
