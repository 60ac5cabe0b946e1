import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { batchNormTraining, hasFusedBatchNormTraining, movingAverages } from '../../src/ops/batch-norm-training';
import { onBackend, relativeError, seededValues } from '../helpers/kernel-reference';

interface Results {
  y: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  dx: Float32Array;
  dGamma: Float32Array;
  dBeta: Float32Array;
}

/**
 * BN in training mode on seeded data, and the gradients of a loss that weighs all three outputs
 * (so that the paths through the mean and variance are checked too). `fused` picks batchlab's op,
 * else tfjs' own ops (moments, then batchNorm) as tfjs-layers composes them.
 */
function run(shape: number[], fused: boolean): Results {
  const channels = shape[shape.length - 1];
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tidy(() => {
    const x = tf.tensor(
      seededValues(size, 1).map((v) => 3 + 2 * v),
      shape,
    );
    const gamma = tf.tensor1d(seededValues(channels, 2));
    const beta = tf.tensor1d(seededValues(channels, 3));
    const [wy, wm, wv] = [
      tf.tensor(seededValues(size, 4), shape),
      tf.tensor1d(seededValues(channels, 5)),
      tf.tensor1d(seededValues(channels, 6)),
    ];
    const outputs = (xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      if (fused) return batchNormTraining(xs, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3);
      const { mean, variance } = tf.moments(xs, shape.map((_, i) => i).slice(0, -1));
      return { y: tf.batchNorm(xs, mean, variance, b, g, 1e-3), mean, variance };
    };
    const loss = (xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const { y, mean, variance } = outputs(xs, g, b);
      return tf.addN([tf.sum(tf.mul(y, wy)), tf.sum(tf.mul(mean, wm)), tf.sum(tf.mul(variance, wv))]);
    };
    const { y, mean, variance } = outputs(x, gamma, beta);
    const [dx, dGamma, dBeta] = tf.grads(loss)([x, gamma, beta]);
    const values = (t: tf.Tensor) => t.dataSync() as Float32Array;
    return {
      y: values(y),
      mean: values(mean),
      variance: values(variance),
      dx: values(dx),
      dGamma: values(dGamma),
      dBeta: values(dBeta),
    };
  });
}

describe('fused BatchNorm training kernels (wasm)', () => {
  it('are registered with the kernel pack', () => {
    expect(hasFusedBatchNormTraining()).to.equal(true);
  });

  // C = 8 and 12 take the SIMD passes, 6 and 1 the TypeScript loops; 300 rows span two SIMD blocks.
  for (const shape of [
    [5, 3, 7, 8],
    [4, 3, 5, 6],
    [300, 12],
    [2, 1],
    [3, 2, 2, 1],
  ]) {
    it(`match tfjs' moments + batchNorm and their gradients on cpu for [${shape.join()}]`, async () => {
      const fused = run(shape, true);
      const reference = await onBackend('cpu', () => run(shape, false));
      for (const key of Object.keys(reference) as (keyof Results)[]) {
        expect(relativeError(fused[key], reference[key]), key).to.be.below(1e-5);
      }
    });
  }

  it('gives finite gradients for a batch of one row (zero variance)', () => {
    const { y, dx } = run([1, 8], true);
    expect(Array.from(y).every(Number.isFinite)).to.equal(true);
    expect(Array.from(dx).every(Number.isFinite)).to.equal(true);
  });

  it("updates the moving statistics bit for bit as tfjs-layers' three ops do, in one kernel", async () => {
    const [movingMean, movingVariance, mean, variance] = [7, 8, 9, 10].map((seed) =>
      tf.tensor1d(seededValues(13, seed)),
    );
    const momentum = 0.9;
    const stock = (moving: tf.Tensor, batch: tf.Tensor) => tf.sub(moving, tf.mul(tf.sub(moving, batch), 1 - momentum));
    const expected = [stock(movingMean, mean), stock(movingVariance, variance)];
    let fused: tf.Tensor[] = [];
    const profile = await tf.profile(() => {
      fused = movingAverages({ mean: movingMean, variance: movingVariance }, { mean, variance }, momentum)!;
    });
    expect(profile.kernels.map((k) => k.name)).to.deep.equal(['BatchlabMovingAverages']);
    fused.forEach((t, i) => expect(Array.from(t.dataSync())).to.deep.equal(Array.from(expected[i].dataSync())));
    tf.dispose([movingMean, movingVariance, mean, variance, ...expected, ...fused]);
  });

  it('refuses a non-float32 input, naming it', () => {
    const x = tf.tensor2d(
      [
        [1, 2],
        [3, 4],
      ],
      [2, 2],
      'int32',
    );
    const g = tf.ones<tf.Rank.R1>([2]);
    expect(() => batchNormTraining(x, g, g, 1e-3)).to.throw(
      /BatchlabBatchNormTraining needs float32 inputs, got x int32/,
    );
    tf.dispose([x, g]);
  });
});
