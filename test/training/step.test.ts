/** The gather step: which batches are the data set itself, and one update on either kind. */
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { fullBatch } from '../../src/batching';
import { disposeDataset } from '../../src/data/dataset';
import { logistic } from '../../models';
import { train } from '../../src/training';
import { isIdentityBatch } from '../../src/training/step';
import { blobs } from './helpers';

describe('the gather step', () => {
  it('recognises the identity batch 0..N-1 and nothing else', () => {
    expect(isIdentityBatch(Int32Array.from([0, 1, 2, 3]), 4)).to.equal(true);
    expect(isIdentityBatch(Int32Array.from([]), 0)).to.equal(true);
    expect(isIdentityBatch(Int32Array.from([0, 1, 2]), 4)).to.equal(false); // a prefix
    expect(isIdentityBatch(Int32Array.from([1, 0, 2, 3]), 4)).to.equal(false); // shuffled
    expect(isIdentityBatch(Int32Array.from([0, 1, 2, 3]), 5)).to.equal(false); // a subset
  });

  it('a shuffled and an unshuffled full batch give the same first loss (the mean is order-free)', async () => {
    const data = blobs(30);
    const firstLoss = async (shuffle: boolean): Promise<number> => {
      const { model, history } = await train(logistic(), data, {
        strategy: fullBatch({ shuffle }),
        epochs: 1,
        updateLossEvery: 1,
      });
      model.dispose();
      return history.updates[0].loss;
    };
    const before = tf.memory().numTensors;
    expect(await firstLoss(false)).to.be.closeTo(await firstLoss(true), 1e-6);
    expect(tf.memory().numTensors).to.equal(before);
    disposeDataset(data);
  });
});
