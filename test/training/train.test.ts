import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { fullBatch, miniBatch, sgd } from '../../src/batching';
import { disposeDataset, toDataset } from '../../src/data/dataset';
import { cnn, logistic, mlp } from '../../models';
import { train, stopAtAccuracy, earlyStopping, Callback } from '../../src/training';
import { blobs, linear, maxAbsDiff, tinyImages, weightsOf } from './helpers';

describe('train', () => {
  it("records one epoch entry per epoch and the strategy's updates per epoch", async () => {
    const data = blobs(50);
    const { model, history } = await train(mlp({ hidden: [8] }), data, {
      strategy: miniBatch(16),
      epochs: 3,
      updateLossEvery: 1,
    });
    expect(history.epochs.map((e) => e.updates)).to.deep.equal([4, 4, 4]);
    expect(history.epochs.map((e) => e.samples)).to.deep.equal([50, 50, 50]);
    expect(history.updates.map((u) => u.update)).to.deep.equal([...Array(12).keys()]);
    expect(history.updates.map((u) => u.step)).to.deep.equal([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]);
    expect(history.stopReason).to.equal(null);
    model.dispose();
    disposeDataset(data);
  });

  it('samples per-update losses every k-th update', async () => {
    const data = blobs(40);
    const { model, history } = await train(logistic(), data, { strategy: sgd(), epochs: 1, updateLossEvery: 10 });
    expect(history.updates.map((u) => u.update)).to.deep.equal([0, 10, 20, 30]);
    model.dispose();
    disposeDataset(data);
  });

  it('starts from ln(classes) for a model with zero weights (hand-computed loss)', async () => {
    const data = blobs(30);
    const model = logistic().build({ inputShape: [2], outputs: 3 }, 0);
    model.setWeights(model.getWeights().map((w) => tf.zerosLike(w)));
    const { history } = await train(model, data, {
      strategy: fullBatch(),
      optimizer: 'sgd',
      epochs: 1,
      updateLossEvery: 1,
    });
    expect(history.updates[0].loss).to.be.closeTo(Math.log(3), 1e-6);
    expect(history.epochs[0].accuracy).to.be.closeTo(10 / 30, 1e-9); // argmax of equal logits is class 0
    model.dispose();
    disposeDataset(data);
  });

  it('gives identical losses for the same seed and different ones for another seed', async () => {
    const data = blobs(48);
    const run = async (seed: number): Promise<number[]> => {
      const { model, history } = await train(mlp({ hidden: [8], batchNorm: true }), data, {
        strategy: miniBatch(8),
        epochs: 2,
        seed,
        updateLossEvery: 1,
      });
      model.dispose();
      return history.updates.map((u) => u.loss);
    };
    const a = await run(7);
    expect(await run(7)).to.deep.equal(a);
    expect(await run(8)).to.not.deep.equal(a);
    disposeDataset(data);
  });

  it('keeps the tensor count flat across epochs and releases everything it made', async () => {
    const data = blobs(40);
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const probe: Callback = {
      onEpochEnd: () => {
        counts.push(tf.memory().numTensors);
      },
    };
    const { model } = await train(mlp({ hidden: [8], batchNorm: true }), data, {
      strategy: miniBatch(8),
      epochs: 4,
      validation: 0.25,
      callbacks: [probe],
    });
    expect(counts[3]).to.equal(counts[1]);
    expect(counts[2]).to.equal(counts[1]);
    model.dispose();
    expect(tf.memory().numTensors).to.equal(before);
    disposeDataset(data);
  });

  it('keeps the tensor count flat with gradient accumulation too', async () => {
    const data = blobs(40);
    const counts: number[] = [];
    const { model } = await train(mlp({ hidden: [8] }), data, {
      strategy: fullBatch({ microBatch: 7 }),
      epochs: 3,
      callbacks: [
        {
          onEpochEnd: () => {
            counts.push(tf.memory().numTensors);
          },
        },
      ],
    });
    expect(counts[2]).to.equal(counts[1]);
    model.dispose();
    disposeDataset(data);
  });

  it('accumulated micro-batch gradients equal the one-shot gradient (no BN) to 1e-5', async () => {
    const data = blobs(23);
    const step = async (microBatch?: number): Promise<{ before: number[][]; after: number[][] }> => {
      const model = mlp({ hidden: [6, 5] }).build({ inputShape: [2], outputs: 3 }, 3);
      const before = await weightsOf(model);
      // lr 1 and plain SGD: the weight change is exactly the gradient.
      await train(model, data, { strategy: fullBatch({ microBatch }), optimizer: 'sgd', learningRate: 1, epochs: 1 });
      const after = await weightsOf(model);
      model.dispose();
      return { before, after };
    };
    const oneShot = await step();
    const accumulated = await step(4);
    expect(maxAbsDiff(oneShot.before, accumulated.before)).to.equal(0);
    expect(maxAbsDiff(oneShot.after, oneShot.before)).to.be.greaterThan(1e-3);
    expect(maxAbsDiff(oneShot.after, accumulated.after)).to.be.lessThan(1e-5);
    disposeDataset(data);
  });

  it('warns that BN under accumulation normalises per chunk, and names the mode in the history', async () => {
    const data = blobs(24);
    const warnings: string[] = [];
    const { model, history } = await train(mlp({ hidden: [4], batchNorm: true }), data, {
      strategy: fullBatch({ microBatch: 8 }),
      epochs: 1,
      warn: (m) => warnings.push(m),
    });
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.match(
      /bnAccumulation chunk \(ghost BN with g = 8\): each chunk is normalised with its own statistics/,
    );
    expect(history.bnAccumulation).to.equal('chunk');
    model.dispose();
    // No micro-batch, or no BN: nothing to name.
    for (const [builder, strategy] of [
      [mlp({ hidden: [4], batchNorm: true }), fullBatch()],
      [mlp({ hidden: [4] }), fullBatch({ microBatch: 8 })],
    ] as const) {
      const run = await train(builder, data, { strategy, epochs: 1, warn: () => undefined });
      expect(run.history).to.not.have.property('bnAccumulation');
      run.model.dispose();
    }
    disposeDataset(data);
  });

  it('stops on a NaN loss, naming the epoch and step', async () => {
    const raw = {
      features: new Float32Array(20).fill(0.5),
      inputShape: [2],
      targets: Int32Array.from({ length: 10 }, (_, i) => i % 2),
    };
    raw.features[2 * 5] = NaN; // sample 5 is visited at step 6 without shuffling
    const data = toDataset(raw, { name: 'nan', task: 'classification', numClasses: 2 });
    const { model, history } = await train(logistic(), data, {
      strategy: sgd({ shuffle: false }),
      optimizer: 'sgd',
      epochs: 3,
      updateLossEvery: 1,
    });
    expect(history.stopReason).to.deep.equal({
      kind: 'non-finite-loss',
      message: 'loss became NaN at epoch 1, step 6 (update 6); training stopped after update 10',
    });
    expect(history.epochs).to.have.length(1);
    model.dispose();
    disposeDataset(data);
  });

  /**
   * y = w x with x = 1, target 0, no bias, plain SGD at rate 1.5: the gradient of mean (w x)^2 is 2w,
   * so each update maps w to w - 3w = -2w, exactly in float32, and update k (0-based) sees squared
   * errors of 4^k. tfjs' mean squared error sums a batch's b errors before dividing, so the loss first
   * overflows at the smallest k with b * 4^k above float32's largest value.
   */
  const FLOAT32_MAX = 3.4028234663852886e38;
  const firstInfiniteUpdate = (b: number): number => {
    let k = 0;
    while (b * 4 ** k <= FLOAT32_MAX) k++;
    return k + 1;
  };
  const doublingModel = (): tf.Sequential =>
    tf.sequential({
      layers: [tf.layers.dense({ units: 1, inputShape: [1], useBias: false, kernelInitializer: 'ones' })],
    });
  const ones = (n: number) =>
    toDataset(
      { features: new Float32Array(n).fill(1), inputShape: [1], targets: new Float32Array(n) },
      { name: 'ones', task: 'regression' },
    );

  for (const [label, strategy, size, batch] of [
    ['sgd over 10 samples', sgd({ shuffle: false }), 10, 1],
    ['full batch of 10', fullBatch(), 10, 10],
    ['mini:200 over 9000 samples', miniBatch(200), 9000, 200],
  ] as const) {
    it(`names the first overflowing update exactly, unsampled and between reads (${label})`, async () => {
      const data = ones(size);
      const model = doublingModel();
      const before = tf.memory().numTensors;
      const { history } = await train(model, data, {
        strategy,
        optimizer: 'sgd',
        learningRate: 1.5,
        epochs: 1000,
        updateLossEvery: 5,
      });
      const update = firstInfiniteUpdate(batch);
      const perEpoch = Math.ceil(size / batch);
      const where = `epoch ${Math.ceil(update / perEpoch)}, step ${((update - 1) % perEpoch) + 1} (update ${update})`;
      expect(history.stopReason?.kind).to.equal('non-finite-loss');
      expect(history.stopReason?.message.startsWith(`loss became Infinity at ${where}`)).to.equal(
        true,
        `${history.stopReason?.message} names ${where}`,
      );
      expect(history.updates.some((u) => u.update === update - 1)).to.equal(false, 'the first bad update is unsampled');
      const done = history.epochs.reduce((n, e) => n + e.updates, 0);
      expect(done).to.be.within(update, update + 256);
      expect(tf.memory().numTensors).to.equal(before);
      model.dispose();
      disposeDataset(data);
    });
  }

  it('refuses dense BN on one-sample batches unless allowed', async () => {
    const data = blobs(12);
    let error: Error | null = null;
    const before = tf.memory().numTensors;
    try {
      await train(mlp({ hidden: [4], batchNorm: true }), data, { strategy: sgd(), epochs: 1 });
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).to.match(/sgd on 12 samples trains hidden layer 1's BatchNorm on a batch of 1 sample/);
    expect(error?.message).to.match(/allowBatchNormBatchOfOne/);
    expect(tf.memory().numTensors).to.equal(before);
    const { model } = await train(mlp({ hidden: [4], batchNorm: true }), data, {
      strategy: sgd(),
      epochs: 1,
      allowBatchNormBatchOfOne: true,
    });
    model.dispose();
    disposeDataset(data);
  });

  it('splits off a validation fraction and reports its metrics', async () => {
    const data = blobs(60);
    const { model, history } = await train(mlp({ hidden: [8] }), data, {
      strategy: miniBatch(10),
      epochs: 2,
      validation: 0.25,
    });
    expect(history.trainSize).to.equal(45);
    expect(history.epochs[0].updates).to.equal(5);
    expect(history.epochs[1].valLoss).to.be.a('number');
    expect(history.epochs[1].valAccuracy).to.be.within(0, 1);
    model.dispose();
    disposeDataset(data);
  });

  it('stops at a target accuracy and by early stopping', async () => {
    const data = blobs(60);
    const target = await train(mlp({ hidden: [16] }), data, {
      strategy: miniBatch(10),
      epochs: 50,
      learningRate: 0.05,
      callbacks: [stopAtAccuracy(0.9)],
    });
    expect(target.history.stopReason?.kind).to.equal('target-reached');
    expect(target.history.stopReason?.message).to.match(
      /^target reached: accuracy (0\.9\d*|1\.0+) >= 0\.9 after epoch \d+$/,
    );
    expect(target.history.epochs.length).to.be.lessThan(50);
    target.model.dispose();
    const early = await train(logistic(), data, {
      strategy: miniBatch(10),
      epochs: 50,
      learningRate: 1e-9,
      callbacks: [earlyStopping({ monitor: 'loss', patience: 2, minDelta: 1e-3 })],
    });
    expect(early.history.stopReason).to.deep.equal({
      kind: 'early-stopping',
      message: 'early stopping: loss did not improve for 2 epochs',
    });
    expect(early.history.epochs).to.have.length(3);
    early.model.dispose();
    disposeDataset(data);
  });

  it('trains regression with mean squared error and no accuracy', async () => {
    const data = linear(64);
    const { model, history } = await train(logistic(), data, {
      strategy: miniBatch(16),
      epochs: 20,
      learningRate: 0.05,
    });
    expect(history.epochs[0].accuracy).to.equal(null);
    expect(history.epochs[19].loss).to.be.lessThan(history.epochs[0].loss / 5);
    model.dispose();
    disposeDataset(data);
  });

  it('trains a CNN with BatchNorm on wasm', async () => {
    expect(tf.getBackend()).to.equal('wasm');
    const data = tinyImages(16);
    const { model, history } = await train(cnn({ filters: [4], dense: 8, batchNorm: true }), data, {
      strategy: miniBatch(8),
      epochs: 8,
      learningRate: 0.01,
    });
    expect(history.epochs[7].loss).to.be.lessThan(history.epochs[0].loss);
    model.dispose();
    disposeDataset(data);
  });

  it('rejects bad options naming the value', async () => {
    const data = blobs(40);
    await expectReject(train(logistic(), data, { epochs: 0 }), /epochs must be a positive integer, got 0/);
    await expectReject(
      train(logistic(), data, { learningRate: -1, optimizer: 'sgd' }),
      /learningRate must be a positive number, got -1/,
    );
    await expectReject(
      train(logistic(), data, { optimizer: 'rmsprop' as 'sgd' }),
      /optimizer must be one of sgd, momentum, adam, got rmsprop/,
    );
    await expectReject(
      train(logistic(), data, { strategy: miniBatch(64) }),
      /batch size 64 is larger than the data set \(40 samples\)/,
    );
    disposeDataset(data);
  });
});

async function expectReject(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect((error as Error).message).to.match(pattern);
    return;
  }
  expect.fail(`expected a rejection matching ${pattern}`);
}
