// batchlab's fused softmax cross-entropy for webgpu against its cpu kernels (float64 sums): the mean
// loss, the correct count (first arg-max, ties included) and the gradient, from no rows to 70000.
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../src/backend';
import { SOFTMAX_CROSS_ENTROPY, SOFTMAX_CROSS_ENTROPY_GRAD } from '../../src/ops/softmax-cross-entropy';
import { relativeError, seededValues } from '../helpers/kernel-reference';
import { onWebGpu } from '../helpers/webgpu-suite';

interface Objective {
  loss: number;
  correct: number;
  grad: Float32Array;
}

/** Loss, correct count and gradient (dy = 1.5) for seeded logits, on the active backend. */
async function objectiveOn(rows: number, classes: number): Promise<Objective> {
  const values = seededValues(rows * classes, 1);
  // Every third row ties its first two classes at the row's maximum: the first of them counts.
  if (classes > 1) for (let r = 0; r < rows; r += 3) values[r * classes] = values[r * classes + 1] = 10;
  const logits = tf.tensor2d(values, [rows, classes]);
  const labels = tf.tensor2d(
    Float32Array.from({ length: rows * classes }, (_, i) => (i % classes === Math.floor(i / classes) % 2 ? 1 : 0)),
    [rows, classes],
  );
  const dy = tf.scalar(1.5);
  const [loss, correct] = tf.engine().runKernel<tf.Tensor[]>(SOFTMAX_CROSS_ENTROPY, { labels, logits }, {});
  const grad = tf.engine().runKernel<tf.Tensor>(SOFTMAX_CROSS_ENTROPY_GRAD, { labels, logits, dy }, {});
  const result = {
    loss: (await loss.data())[0],
    correct: (await correct.data())[0],
    grad: (await grad.data()) as Float32Array,
  };
  tf.dispose([logits, labels, dy, loss, correct, grad]);
  return result;
}

describe('softmax cross-entropy kernels (webgpu)', function () {
  this.timeout(180000);
  onWebGpu();

  for (const [rows, classes] of [
    [1, 10],
    [7, 3],
    [1000, 10],
    // Rows long enough for the gradient's pass of row log-sum-exps.
    [40, 100],
    [70000, 10],
  ]) {
    it(`match the cpu kernels on ${rows} rows of ${classes} classes`, async () => {
      await useBackend('cpu');
      const expected = await objectiveOn(rows, classes);
      await useBackend('webgpu');
      const actual = await objectiveOn(rows, classes);
      expect(actual.correct).to.equal(expected.correct);
      // The GPU adds up to thousands of float32 partials in turn, the cpu kernel in float64.
      expect(Math.abs(actual.loss - expected.loss) / expected.loss).to.be.below(1e-5);
      expect(relativeError(actual.grad, expected.grad)).to.be.below(1e-5);
    });
  }

  it('give rows of no classes a loss of 0, all of them right, as the cpu kernels do', async () => {
    await useBackend('cpu');
    const expected = await objectiveOn(3, 0);
    await useBackend('webgpu');
    const actual = await objectiveOn(3, 0);
    expect([actual.loss, actual.correct, actual.grad.length]).to.deep.equal([expected.loss, expected.correct, 0]);
    expect([actual.loss, actual.correct]).to.deep.equal([0, 3]);
  });

  it('give a NaN loss, no correct rows and an empty gradient for no rows', async () => {
    const { loss, correct, grad } = await objectiveOn(0, 10);
    expect([loss, correct, grad.length]).to.deep.equal([NaN, 0, 0]);
  });
});
