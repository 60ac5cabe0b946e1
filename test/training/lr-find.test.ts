import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { miniBatch } from '../../src/batching';
import { disposeDataset } from '../../src/data/dataset';
import { mlp } from '../../models';
import { lrFind } from '../../src/training';
import { LossSmoother, LrFindPoint, divergence, rangeRate, suggestRate } from '../../src/training/lr-range';
import { blobs, weightsOf } from './helpers';

const point = (update: number, learningRate: number, loss: number, smoothedLoss = loss): LrFindPoint => ({
  update,
  learningRate,
  loss,
  smoothedLoss,
});

describe('learning-rate range test: the rule', () => {
  it('raises the rate exponentially from minLr to maxLr', () => {
    const rates = [0, 1, 2, 3, 4].map((u) => rangeRate(1e-4, 1, 5, u));
    [1e-4, 1e-3, 1e-2, 1e-1, 1].forEach((r, i) => expect(rates[i]).to.be.closeTo(r, 1e-12 * r));
    expect(rates[0]).to.equal(1e-4);
  });

  it('smooths with a bias-corrected moving average (beta 0.5, losses 2 and 4: 2, then 2.5 / 0.75)', () => {
    const s = new LossSmoother(0.5);
    expect(s.add(2)).to.equal(2);
    expect(s.add(4)).to.be.closeTo(2.5 / 0.75, 1e-12);
  });

  it('stops when the smoothed loss exceeds 4 x the best, or the loss is not finite', () => {
    expect(divergence(point(5, 0.1, 3, 3.9), 1, 4)).to.equal(null);
    expect(divergence(point(5, 0.1, 9, 4.1), 1, 4)).to.equal(
      'the smoothed loss 4.100 exceeded 4 x the best (1.000) at rate 0.1',
    );
    expect(divergence(point(5, 3e-7, NaN, 1), 1, 4)).to.equal('the loss became NaN at rate 3.00e-7');
  });

  it('suggests a tenth of the rate with the lowest smoothed loss, saying so', () => {
    const points = [point(0, 0.001, 2), point(1, 0.01, 1.5), point(2, 0.1, 0.9), point(3, 1, 1.2)];
    const suggestion = suggestRate(points);
    expect(suggestion?.learningRate).to.be.closeTo(0.01, 1e-15);
    expect(suggestion?.rule).to.equal(
      'one tenth of the rate with the lowest smoothed loss (0.9000 at rate 0.1, update 3)',
    );
    expect(suggestRate([point(0, 0.1, NaN)])).to.equal(null);
  });
});

describe('lrFind', () => {
  it('runs from the given weights, records each rate, stops at divergence and puts the weights back (BN statistics too)', async () => {
    const data = blobs(64);
    const model = mlp({ hidden: [8], batchNorm: true }).build({ inputShape: [2], outputs: 3 }, 1);
    const before = await weightsOf(model);
    const start = tf.memory().numTensors;
    const seen: number[] = [];
    const result = await lrFind(model, data, {
      strategy: miniBatch(16),
      optimizer: 'sgd',
      minLr: 1e-4,
      maxLr: 1e4,
      updates: 81,
      onUpdate: (p) => seen.push(p.update),
    });
    expect(await weightsOf(model)).to.deep.equal(before);
    expect(tf.memory().numTensors).to.equal(start);
    expect(result.stopReason).to.match(/^(the smoothed loss .* exceeded 4 x the best|the loss became)/);
    expect(result.points.length).to.be.lessThan(81);
    expect(seen).to.deep.equal(result.points.map((p) => p.update));
    // 8 decades over 80 steps: the rate of update u is 1e-4 x 10^(u / 10).
    result.points.forEach((p) =>
      expect(p.learningRate).to.be.closeTo(1e-4 * 10 ** (p.update / 10), 1e-9 * p.learningRate),
    );
    expect(result.suggestion?.learningRate).to.be.within(1e-5, 1e3);
    expect(result.suggestion?.rule).to.match(/^one tenth of the rate with the lowest smoothed loss/);
    model.dispose();
    disposeDataset(data);
  });

  it('from a builder, leaves nothing behind; the same seed gives the same losses', async () => {
    const data = blobs(32);
    const start = tf.memory().numTensors;
    const options = { strategy: miniBatch(8), updates: 12, seed: 3 };
    const a = await lrFind(mlp({ hidden: [4] }), data, options);
    const b = await lrFind(mlp({ hidden: [4] }), data, options);
    expect(tf.memory().numTensors).to.equal(start);
    expect(a.points).to.have.length(12);
    expect(a.stopReason).to.equal(null);
    expect(a.points.map((p) => p.loss)).to.deep.equal(b.points.map((p) => p.loss));
    disposeDataset(data);
  });

  it('refuses bad options, naming them', async () => {
    const data = blobs(16);
    const cases: [object, RegExp][] = [
      [{ minLr: 0 }, /lrFind: minLr must be a positive number, got 0/],
      [{ minLr: 1, maxLr: 0.5 }, /lrFind: maxLr \(0.5\) must exceed minLr \(1\)/],
      [{ updates: 1 }, /lrFind: updates must be an integer of at least 2, got 1/],
      [{ divergence: 1 }, /lrFind: divergence must be a number above 1, got 1/],
      [{ smoothing: 1 }, /lrFind: smoothing must be a number in \[0, 1\), got 1/],
      [{ optimizer: 'rmsprop' }, /lrFind: optimizer must be one of sgd, momentum, adam, got rmsprop/],
    ];
    const start = tf.memory().numTensors;
    for (const [options, pattern] of cases) {
      let error: Error | null = null;
      await lrFind(mlp({ hidden: [4] }), data, { strategy: miniBatch(8), ...options }).catch((e: Error) => (error = e));
      expect(error, JSON.stringify(options)).to.match(pattern);
    }
    expect(tf.memory().numTensors).to.equal(start);
    disposeDataset(data);
  });
});
