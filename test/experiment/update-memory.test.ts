import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { mlp } from '../../models';
import { fullBatch, miniBatch } from '../../src/batching';
import { Dataset, disposeDataset, toDataset } from '../../src/data/dataset';
import { updatePeakBytes } from '../../src/experiment/update-memory';
import { createRng, gaussian } from '../../src/util/random';
import type { Strategy } from '../../src/batching';
import { makeOptimizer } from '../../src/training';
import { denseChainOf } from '../../src/training/dense-chain';
import { runStep } from '../../src/training/train';

const N = 2000;

describe('update peak memory', function () {
  this.timeout(120000);
  let data: Dataset;
  before(() => {
    const rng = createRng(1);
    data = toDataset(
      {
        features: Float32Array.from({ length: N * 64 }, () => gaussian(rng)),
        inputShape: [64],
        targets: Int32Array.from({ length: N }, () => Math.floor(rng() * 10)),
      },
      { name: 'memory', task: 'classification', numClasses: 10 },
    );
  });
  after(() => disposeDataset(data));

  const peak = (strategy: Strategy): Promise<number> =>
    updatePeakBytes({ builder: mlp(), data, strategy, optimizer: 'adam', learningRate: 0.001, seed: 0 });

  it('is far higher for full batch than for full/micro:m, grows about linearly in m, and leaks no tensor', async () => {
    const before = tf.memory().numTensors;
    const full = await peak(fullBatch());
    const micro: number[] = [];
    for (const m of [100, 200, 400]) micro.push(await peak(fullBatch({ microBatch: m })));
    expect(tf.memory().numTensors).to.equal(before);
    expect(full).to.be.greaterThan(3 * micro[2]);
    // Activations grow with m, gradients and optimizer temporaries do not: the steps double with m.
    const [a, b, c] = micro;
    expect(b - a).to.be.greaterThan(0);
    expect((c - b) / (b - a)).to.be.within(1.7, 2.3);
  });

  it("measures the trainer's own path: an MLP off the gradient tape, which keeps less than the tape", async () => {
    const measured = await peak(fullBatch());
    // The same probe update on the tape, as the trainer ran MLPs before they trained as a Dense chain.
    const model = mlp().build({ inputShape: data.inputShape, outputs: data.numClasses }, 0);
    const optimizer = makeOptimizer('adam', 0.001);
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    try {
      expect(denseChainOf(model, variables, data.task)).to.not.equal(null);
      const ctx = { model, data, optimizer, variables, chain: null };
      const update = () => {
        const { loss, correct } = runStep(ctx, fullBatch().batches(N, 0, 0)[0], undefined, 'chunk');
        tf.dispose([loss, correct ?? []]);
      };
      update();
      const before = tf.memory().numBytes;
      const profile = await tf.profile(update);
      const tape = profile.kernels.reduce((m, k) => Math.max(m, k.totalBytesSnapshot), before) - before;
      // The tape keeps more, by more than two layers' activations of all N samples: clones of the
      // tensors its gradients need, which tf.profile counts again, and the outputs of every op.
      expect(measured).to.be.lessThan(tape - 2 * N * (256 + 128) * 4);
    } finally {
      optimizer.dispose();
      model.dispose();
    }
  });

  it("takes the run's gradient clipping, which adds the gradient's norm (one float32) to the peak", async () => {
    const probe = {
      builder: mlp(),
      data,
      strategy: miniBatch(10),
      optimizer: 'adam' as const,
      learningRate: 0.001,
      seed: 0,
    };
    const plain = await updatePeakBytes(probe);
    const clipped = await updatePeakBytes({ ...probe, clip: { clipNorm: 1 } });
    // The clipped gradients replace the gradients; the norm is kept for the run's record.
    expect(clipped - plain).to.equal(4);
  });

  // At 1000 samples a chunk's backward pass holds more than the optimizer's update of these
  // weights does, so the peak falls in the backward pass, where the running sum is also held.
  it('of full/micro:n is that of mini-batch n plus the running sum of the gradients (one float32 per weight)', async () => {
    const mini = await peak(miniBatch(1000));
    const micro = await peak(fullBatch({ microBatch: 1000 }));
    // mlp [256, 128] on 64 inputs and 10 classes: kernels and biases.
    const weights = 64 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10;
    expect(micro - mini).to.be.closeTo(4 * weights, 0.01 * 4 * weights);
  });
});
