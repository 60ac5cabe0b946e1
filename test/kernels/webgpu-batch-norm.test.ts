// batchlab's BatchNorm training kernels for webgpu (float32 channel sums over slices of rows)
// against its cpu kernels, whose sums are float64: forward, backward with the mean and variance
// paths, and the moving averages, on activations from one row to a CNN layer's 1568 and on none.
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../src/backend';
import { BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD, MOVING_AVERAGES } from '../../src/ops/batch-norm-training';
import { relativeError, seededValues } from '../helpers/kernel-reference';
import { onWebGpu } from '../helpers/webgpu-suite';

const OUTPUTS = ['y', 'mean', 'variance', 'dx', 'dGamma', 'dBeta', 'movingMean', 'movingVariance'];

/** Every output of the three kernels on seeded inputs of `shape`, on the active backend. */
async function kernelsOn(shape: number[]): Promise<Record<string, Float32Array>> {
  const channels = shape[shape.length - 1];
  const size = tf.util.sizeFromShape(shape);
  const vector = (seed: number) => tf.tensor1d(seededValues(channels, seed));
  const x = tf.tensor(
    seededValues(size, 1).map((v) => 3 * v + 1),
    shape,
  );
  const [gamma, beta, dMean, dVariance] = [2, 3, 4, 5].map(vector);
  const dy = tf.tensor(seededValues(size, 6), shape);
  const epsilon = { epsilon: 1e-3 };
  const forward = tf.engine().runKernel<tf.Tensor[]>(BATCH_NORM_TRAINING, { x, gamma, beta }, epsilon);
  const [, mean, variance] = forward;
  const grads = tf
    .engine()
    .runKernel<tf.Tensor[]>(BATCH_NORM_TRAINING_GRAD, { dy, x, mean, variance, gamma, dMean, dVariance }, epsilon);
  const moving = tf
    .engine()
    .runKernel<tf.Tensor[]>(
      MOVING_AVERAGES,
      { movingMean: gamma, movingVariance: beta, mean, variance },
      { momentum: 0.9 },
    );
  const all = [...forward, ...grads, ...moving];
  const values: Record<string, Float32Array> = {};
  for (const [i, t] of all.entries()) values[OUTPUTS[i]] = (await t.data()) as Float32Array;
  tf.dispose([...all, x, gamma, beta, dMean, dVariance, dy]);
  return values;
}

describe('BatchNorm training kernels (webgpu)', function () {
  this.timeout(180000);
  onWebGpu();

  for (const shape of [
    [1, 4],
    [5, 3],
    [300, 7],
    [8, 14, 14, 16],
  ]) {
    it(`match the cpu kernels to 1e-5 on [${shape.join(', ')}]`, async () => {
      await useBackend('cpu');
      const expected = await kernelsOn(shape);
      await useBackend('webgpu');
      const actual = await kernelsOn(shape);
      for (const name of OUTPUTS) {
        // One row: variance, dGamma and the mean path are exactly 0 on both.
        if (expected[name].every((v) => v === 0))
          expect(Array.from(actual[name]), name).to.deep.equal(Array.from(expected[name]));
        else expect(relativeError(actual[name], expected[name]), name).to.be.below(1e-5);
      }
    });
  }

  it('give an empty output and zero statistics and totals for no rows', async () => {
    const values = await kernelsOn([0, 3]);
    expect(values.y.length).to.equal(0);
    expect(values.dx.length).to.equal(0);
    for (const name of ['mean', 'variance', 'dGamma', 'dBeta'])
      expect(Array.from(values[name]), name).to.deep.equal([0, 0, 0]);
  });
});
