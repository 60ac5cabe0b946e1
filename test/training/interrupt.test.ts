// train({ signal }): an abort stops at the next update, leaves the cut epoch out of the history and
// sets the weights (BN moving statistics included) back to the end of the last finished epoch,
// which the same seed makes equal to a run of exactly that many epochs.
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { miniBatch } from '../../src/batching';
import { disposeDataset } from '../../src/data/dataset';
import { mlp } from '../../models';
import { Callback, train } from '../../src/training';
import { blobs, weightsOf } from './helpers';

/** Aborts `controller` at update `update` (1-based, counted over the whole run). */
function abortAt(controller: AbortController, update: number): Callback {
  return {
    onStep: (progress) => {
      if (progress.updates === update) controller.abort();
    },
  };
}

describe('train with an abort signal', () => {
  const builder = () => mlp({ hidden: [5], batchNorm: true });
  const options = { strategy: miniBatch(8), seed: 4, optimizer: 'sgd' as const, learningRate: 0.1 };

  it('cut mid-epoch: keeps the finished epochs and their weights, as a run of that many epochs has them', async () => {
    const data = blobs(64); // 8 updates an epoch
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const stopped = await train(builder(), data, {
      ...options,
      epochs: 5,
      signal: controller.signal,
      callbacks: [abortAt(controller, 8 * 2 + 3)],
    });
    // Aborted during the 3rd update of epoch 3: the loop sees it at the next update, the 4th.
    expect(stopped.history.stopReason).to.deep.equal({
      kind: 'interrupted',
      message:
        'interrupted during epoch 3 (after 4 of 8 updates); the history keeps the 2 finished epochs, the model the weights after epoch 2',
    });
    expect(stopped.history.epochs.map((e) => e.updates)).to.deep.equal([8, 8]);
    expect(stopped.history.updates.map((u) => u.update)).to.deep.equal(Array.from({ length: 16 }, (_, i) => i));
    const whole = await train(builder(), data, { ...options, epochs: 2 });
    expect(await weightsOf(stopped.model)).to.deep.equal(await weightsOf(whole.model));
    expect(stopped.history.epochs).to.deep.equal(
      whole.history.epochs.map((e, i) => ({ ...e, seconds: stopped.history.epochs[i].seconds })),
    );
    stopped.model.dispose();
    whole.model.dispose();
    expect(tf.memory().numTensors).to.equal(before);
    disposeDataset(data);
  });

  it('at the last update of an epoch: that epoch is finished and kept', async () => {
    const data = blobs(64);
    const controller = new AbortController();
    const stopped = await train(builder(), data, {
      ...options,
      epochs: 5,
      signal: controller.signal,
      callbacks: [abortAt(controller, 7)],
    });
    expect(stopped.history.stopReason?.message).to.equal(
      'interrupted after epoch 1; the history and the model are those of it',
    );
    expect(stopped.history.epochs).to.have.length(1);
    const whole = await train(builder(), data, { ...options, epochs: 1 });
    expect(await weightsOf(stopped.model)).to.deep.equal(await weightsOf(whole.model));
    stopped.model.dispose();
    whole.model.dispose();
    disposeDataset(data);
  });

  it('in the first epoch: no epochs, the initial weights', async () => {
    const data = blobs(64);
    const controller = new AbortController();
    const stopped = await train(builder(), data, {
      ...options,
      signal: controller.signal,
      callbacks: [abortAt(controller, 2)],
    });
    expect(stopped.history.epochs).to.deep.equal([]);
    expect(stopped.history.updates).to.deep.equal([]);
    const initial = builder().build({ inputShape: data.inputShape, outputs: 3 }, options.seed);
    expect(await weightsOf(stopped.model)).to.deep.equal(await weightsOf(initial));
    stopped.model.dispose();
    initial.dispose();
    disposeDataset(data);
  });
});
