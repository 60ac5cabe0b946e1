import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { fullBatch, miniBatch } from '../../src/batching';
import { Dataset, disposeDataset, toDataset } from '../../src/data/dataset';
import { train } from '../../src/training';
import { clipGradients, resolveClipping } from '../../src/training/clipping';
import { leakCheck } from '../helpers/leak-check';

/**
 * y = w x + b with w = 1, b = 0 on x = [1, 2], targets [0, 0], mean squared error: residuals [1, 2],
 * so dL/dw = mean(2 r x) = (2 + 8) / 2 = 5, dL/db = mean(2 r) = (2 + 4) / 2 = 3, global norm sqrt(34).
 */
function line(): { model: tf.LayersModel; data: Dataset } {
  const model = tf.sequential({
    layers: [tf.layers.dense({ units: 1, inputShape: [1], kernelInitializer: 'ones', biasInitializer: 'zeros' })],
  });
  const raw = { features: Float32Array.from([1, 2]), inputShape: [1], targets: Float32Array.from([0, 0]) };
  return { model, data: toDataset(raw, { name: 'line', task: 'regression' }) };
}

async function wAndB(model: tf.LayersModel): Promise<number[]> {
  const [w, b] = await Promise.all(model.getWeights().map((t) => t.data()));
  return [w[0], b[0]];
}

const NORM = Math.sqrt(34);

describe('gradient clipping', () => {
  const { track, finish } = leakCheck();

  it('clips by global norm and by value (hand-computed: gradients [3, 0] and [4], norm 5)', async () => {
    const cases: [{ clipNorm?: number; clipValue?: number }, number[][]][] = [
      [{ clipNorm: 1 }, [[0.6, 0], [0.8]]],
      [{ clipNorm: 10 }, [[3, 0], [4]]],
      [{ clipValue: 3.5 }, [[3, 0], [3.5]]],
      [{ clipNorm: 2.5, clipValue: 1.8 }, [[1.5, 0], [1.8]]],
    ];
    for (const [clip, expected] of cases) {
      const grads = { a: tf.tensor1d([3, 0]), b: tf.tensor1d([4]) };
      const start = tf.memory().numTensors;
      const { grads: clipped, norm } = clipGradients(grads, clip);
      expect(await norm.data(), JSON.stringify(clip)).to.deep.equal(Float32Array.from([5]));
      const values = [Array.from(await clipped.a.data()), Array.from(await clipped.b.data())];
      values.flat().forEach((v, i) => expect(v, JSON.stringify(clip)).to.be.closeTo(expected.flat()[i], 1e-6));
      expect(grads.a.isDisposed && grads.b.isDisposed).to.equal(true);
      tf.dispose([clipped.a, clipped.b, norm]);
      expect(tf.memory().numTensors).to.equal(start - 2);
    }
  });

  it('a clipped SGD update equals the hand value, and the norm before clipping is recorded', async () => {
    const { model, data } = line();
    track(model);
    const { history } = await train(model, data, {
      strategy: fullBatch(),
      optimizer: 'sgd',
      learningRate: 0.1,
      epochs: 1,
      updateLossEvery: 1,
      clipNorm: 1,
    });
    const [w, b] = await wAndB(model);
    expect(w).to.be.closeTo(1 - (0.1 * 5) / NORM, 1e-6);
    expect(b).to.be.closeTo((-0.1 * 3) / NORM, 1e-6);
    expect(history.updates[0].gradNorm).to.be.closeTo(NORM, 1e-5);
    expect(history.updates[0].loss).to.be.closeTo(2.5, 1e-6); // mean(1, 4)
    expect(history.clipNorm).to.equal(1);
    disposeDataset(data);
    finish();
  });

  it('clips each element by value: both gradients (5 and 3) become 2', async () => {
    const { model, data } = line();
    track(model);
    await train(model, data, { strategy: fullBatch(), optimizer: 'sgd', learningRate: 0.1, epochs: 1, clipValue: 2 });
    const [w, b] = await wAndB(model);
    expect(w).to.be.closeTo(0.8, 1e-6);
    expect(b).to.be.closeTo(-0.2, 1e-6);
    disposeDataset(data);
    finish();
  });

  it('a norm within clipNorm leaves the update bit-identical to no clipping', async () => {
    const run = async (clipNorm?: number) => {
      const { model, data } = line();
      track(model);
      await train(model, data, { strategy: miniBatch(1), optimizer: 'adam', epochs: 3, clipNorm });
      disposeDataset(data);
      return wAndB(model);
    };
    expect(await run(100)).to.deep.equal(await run());
    finish();
  });

  it('clips the accumulated gradient of the whole batch, not each micro-batch', async () => {
    // Chunks [1] and [2] have gradients (1, 1) and (4, 2) after weighting: clipped apart, their
    // sum would differ; accumulated first, they are the batch's (5, 3).
    const { model, data } = line();
    track(model);
    const { history } = await train(model, data, {
      strategy: fullBatch({ microBatch: 1 }),
      optimizer: 'sgd',
      learningRate: 0.1,
      epochs: 1,
      updateLossEvery: 1,
      clipNorm: 1,
    });
    const [w, b] = await wAndB(model);
    expect(w).to.be.closeTo(1 - (0.1 * 5) / NORM, 1e-6);
    expect(b).to.be.closeTo((-0.1 * 3) / NORM, 1e-6);
    expect(history.updates[0].gradNorm).to.be.closeTo(NORM, 1e-5);
    disposeDataset(data);
    finish();
  });

  it('keeps the tensor count flat across epochs', async () => {
    const { model, data } = line();
    track(model);
    const counts: number[] = [];
    await train(model, data, {
      strategy: miniBatch(1),
      optimizer: 'momentum',
      epochs: 4,
      clipNorm: 0.5,
      clipValue: 0.1,
      callbacks: [{ onEpochEnd: () => void counts.push(tf.memory().numTensors) }],
    });
    expect(new Set(counts).size).to.equal(1);
    disposeDataset(data);
    finish();
  });

  it('refuses a clip that is not a positive number, naming it', () => {
    expect(() => resolveClipping({ clipNorm: 0 })).to.throw('clipNorm must be a positive number, got 0');
    expect(() => resolveClipping({ clipValue: -1 })).to.throw('clipValue must be a positive number, got -1');
    expect(() => resolveClipping({ clipNorm: NaN })).to.throw('clipNorm must be a positive number, got NaN');
    expect(resolveClipping({})).to.equal(null);
  });
});
