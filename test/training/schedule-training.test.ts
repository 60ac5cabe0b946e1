import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { fullBatch, miniBatch } from '../../src/batching';
import { disposeDataset } from '../../src/data/dataset';
import { mlp } from '../../models';
import { OPTIMIZER_NAMES, train } from '../../src/training';
import { LrSchedule, constantRate, cosine, oneCycle, stepDecay, warmup } from '../../src/training/schedules';
import { leakCheck } from '../helpers/leak-check';
import { STOCK_CPU, runOn } from '../helpers/stock-cpu';
import { blobs, weightsOf } from './helpers';

describe('train with a learning-rate schedule', () => {
  const { track, finish } = leakCheck();

  for (const optimizer of OPTIMIZER_NAMES) {
    it(`${optimizer}: a constant schedule trains bit-identically to no schedule`, async () => {
      const data = blobs(40);
      const runWith = async (schedule?: LrSchedule) => {
        const options = { strategy: miniBatch(8), optimizer, epochs: 2, updateLossEvery: 1, schedule };
        const { model, history } = await train(mlp({ hidden: [6] }), data, options);
        track(model);
        return { losses: history.updates.map((u) => u.loss), weights: await weightsOf(model), history };
      };
      const plain = await runWith();
      const constant = await runWith(constantRate());
      expect(constant.losses).to.deep.equal(plain.losses);
      expect(constant.weights).to.deep.equal(plain.weights);
      expect(constant.history.lrSchedule).to.equal('constant');
      expect(plain.history.lrSchedule).to.equal(undefined);
      disposeDataset(data);
      finish();
    });

    it(`${optimizer}: the schedule's rate reaches the optimizer (a warm-up from 0 leaves the weights of update 0 as they were)`, async () => {
      const data = blobs(24);
      const model = track(mlp({ hidden: [4] }).build({ inputShape: [2], outputs: 3 }, 3));
      const before = await weightsOf(model);
      await train(model, data, { strategy: fullBatch(), optimizer, epochs: 1, schedule: warmup(5) });
      expect(await weightsOf(model)).to.deep.equal(before);
      // The second update (rate 1/5 of the peak) moves them.
      await train(model, data, { strategy: fullBatch(), optimizer, epochs: 2, schedule: warmup(1) });
      expect(await weightsOf(model)).to.not.deep.equal(before);
      disposeDataset(data);
      finish();
    });
  }

  it("adam on tfjs' own kernels (not the fused update) takes the schedule's rate too", async () => {
    await runOn(STOCK_CPU, async () => {
      const data = blobs(24);
      const model = mlp({ hidden: [4] }).build({ inputShape: [2], outputs: 3 }, 3);
      const before = await weightsOf(model);
      await train(model, data, { strategy: fullBatch(), optimizer: 'adam', epochs: 1, schedule: warmup(5) });
      expect(await weightsOf(model)).to.deep.equal(before);
      await train(model, data, {
        strategy: fullBatch(),
        optimizer: 'adam',
        epochs: 1,
        schedule: warmup(5, constantRate(), { from: 0.2 }),
      });
      expect(await weightsOf(model)).to.not.deep.equal(before);
      model.dispose();
      disposeDataset(data);
    });
  });

  it('records the rate of every sampled update: peak x the closed form', async () => {
    const data = blobs(40);
    const peak = 0.02;
    const { model, history } = await train(mlp({ hidden: [4] }), data, {
      strategy: miniBatch(10), // 4 updates per epoch, 3 epochs: 12 updates
      optimizer: 'sgd',
      learningRate: peak,
      epochs: 3,
      updateLossEvery: 3,
      schedule: warmup(4, cosine()), // a cosine over the 8 updates after the warm-up
    });
    track(model);
    expect(history.updates.map((u) => u.update)).to.deep.equal([0, 3, 6, 9]);
    const expected = [
      0,
      peak * 0.75,
      (peak * (1 + Math.cos(Math.PI / 4))) / 2,
      (peak * (1 + Math.cos((5 * Math.PI) / 8))) / 2,
    ];
    history.updates.forEach((u, i) => expect(u.learningRate).to.be.closeTo(expected[i], 1e-15));
    expect(history.lrSchedule).to.equal('warmup:4+cosine');
    disposeDataset(data);
    finish();
  });

  it('spans scheduleUpdates instead of the run when given (an updates budget stopping the run early)', async () => {
    const data = blobs(40);
    const { model, history } = await train(mlp({ hidden: [4] }), data, {
      strategy: miniBatch(10),
      optimizer: 'momentum',
      learningRate: 0.1,
      epochs: 1,
      updateLossEvery: 1,
      schedule: cosine(),
      scheduleUpdates: 8,
    });
    track(model);
    expect(history.updates.map((u) => u.learningRate)).to.deep.equal(
      [0, 1, 2, 3].map((u) => 0.1 * ((1 + Math.cos((Math.PI * u) / 8)) / 2)),
    );
    disposeDataset(data);
    finish();
  });

  it("drives a user's SGD or momentum instance (peak: its own rate unless learningRate is given)", async () => {
    const data = blobs(20);
    for (const optimizer of [tf.train.sgd(0.5), tf.train.momentum(0.5, 0.9)]) {
      const { model, history } = await train(mlp({ hidden: [4] }), data, {
        strategy: miniBatch(10),
        optimizer,
        epochs: 2,
        updateLossEvery: 1,
        schedule: stepDecay({ every: 1, factor: 0.5 }),
      });
      track(model);
      expect(history.updates.map((u) => u.learningRate)).to.deep.equal([0.5, 0.25, 0.125, 0.0625]);
      expect(optimizer.getConfig().learningRate).to.equal(0.0625);
      optimizer.dispose();
    }
    disposeDataset(data);
  });

  it("refuses a user's optimizer whose rate tfjs keeps private, saying what works instead", async () => {
    const data = blobs(20);
    const adam = tf.train.adam(0.01);
    const start = tf.memory().numTensors;
    let error: Error | null = null;
    try {
      await train(mlp({ hidden: [4] }), data, { strategy: miniBatch(10), optimizer: adam, schedule: cosine() });
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).to.match(
      /^schedule: the optimizer instance Adam keeps its learning rate private .* pass optimizer 'sgd', 'momentum' or 'adam' by name/,
    );
    expect(tf.memory().numTensors).to.equal(start);
    adam.dispose();
    disposeDataset(data);
  });

  it('refuses a schedule the run cannot hold, before making anything', async () => {
    const data = blobs(20);
    const start = tf.memory().numTensors;
    const options = { strategy: fullBatch(), epochs: 2, schedule: oneCycle() };
    let error: Error | null = null;
    await train(mlp({ hidden: [4] }), data, options).catch((e: Error) => (error = e));
    expect(error).to.match(/oneCycle: a run of 2 updates is too short/);
    expect(tf.memory().numTensors).to.equal(start);
    let notSchedule: Error | null = null;
    await train(mlp({ hidden: [4] }), data, {
      strategy: fullBatch(),
      schedule: 'cosine' as unknown as LrSchedule,
    }).catch((e: Error) => (notSchedule = e));
    expect(notSchedule).to.match(/schedule must be a schedule .*got "cosine"/);
    disposeDataset(data);
  });

  it('keeps the tensor count flat across epochs with a changing rate', async () => {
    const data = blobs(40);
    const counts: number[] = [];
    const { model } = await train(mlp({ hidden: [4] }), data, {
      strategy: miniBatch(8),
      optimizer: 'sgd',
      epochs: 4,
      schedule: warmup(3, cosine()),
      callbacks: [{ onEpochEnd: () => void counts.push(tf.memory().numTensors) }],
    });
    track(model);
    expect(new Set(counts.slice(1)).size).to.equal(1);
    disposeDataset(data);
    finish();
  });
});
