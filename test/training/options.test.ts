/** The trainer's options resolved in one place: the seed defaulted once and used for the split, nothing leaked. */
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { miniBatch } from '../../src/batching';
import { disposeDataset, splitDataset } from '../../src/data/dataset';
import { logistic } from '../../models';
import { train } from '../../src/training';
import { releaseTrainOptions, resolveTrainOptions } from '../../src/training/options';
import { blobs } from './helpers';

describe('resolveTrainOptions', () => {
  it('splits the validation fraction with the resolved seed (0 when none is given)', async () => {
    const data = blobs(40);
    for (const seed of [undefined, 5]) {
      const opts = resolveTrainOptions({ validation: 0.25, seed, strategy: miniBatch(8) }, data);
      const reference = splitDataset(data, 0.25, seed ?? 0);
      expect(opts.seed).to.equal(seed ?? 0);
      expect(opts.trainData.size).to.equal(30);
      expect(await opts.validation?.x.data()).to.deep.equal(await reference.validation.x.data());
      releaseTrainOptions(opts);
      [reference.train, reference.validation].forEach(disposeDataset);
    }
    disposeDataset(data);
  });

  it('passes a held-out data set through and owns nothing then', () => {
    const data = blobs(40);
    const heldOut = blobs(10, 2);
    const opts = resolveTrainOptions({ validation: heldOut }, data);
    expect(opts.trainData).to.equal(data);
    expect(opts.validation).to.equal(heldOut);
    expect(opts.ownedData).to.deep.equal([]);
    releaseTrainOptions(opts);
    [data, heldOut].forEach(disposeDataset);
  });

  it('releases the split when a later check fails', async () => {
    const data = blobs(40);
    const before = tf.memory().numTensors;
    let error: Error | null = null;
    try {
      await train(logistic(), data, { validation: 0.5, strategy: miniBatch(32) });
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).to.match(/batch size 32 is larger than the data set \(20 samples\)/);
    expect(tf.memory().numTensors).to.equal(before);
    disposeDataset(data);
  });
});
