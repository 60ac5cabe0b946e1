import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { hasFusedSoftmaxCrossEntropy, softmaxCrossEntropy } from '../../src/ops/softmax-cross-entropy';
import { countCorrect, lossAndCorrect } from '../../src/training/objective';
import { onBackend, relativeError, seededValues } from '../helpers/kernel-reference';

// Row 2 ties its two largest logits: the first one counts, as in tf.argMax.
const LOGITS = Array.from(seededValues(7 * 5, 3)).map((v, i) => (i === 11 || i === 13 ? 4 : 2 * v));
const CLASSES = [1, 4, 1, 0, 3, 3, 2];

interface Results {
  loss: number;
  correct: number;
  dLogits: Float32Array;
}

/** Loss, correct count and the gradient of 3 x loss, by the fused op or by tfjs' own ops. */
function run(fused: boolean): Results {
  return tf.tidy(() => {
    const logits = tf.tensor2d(LOGITS, [7, 5]);
    const labels = tf.oneHot(tf.tensor1d(CLASSES, 'int32'), 5).toFloat();
    const loss = (l: tf.Tensor) =>
      fused ? softmaxCrossEntropy(labels, l).loss : tf.losses.softmaxCrossEntropy(labels, l);
    const value = fused
      ? softmaxCrossEntropy(labels, logits)
      : { loss: loss(logits) as tf.Scalar, correct: countCorrect(labels, logits) };
    const dLogits = tf.grad((l: tf.Tensor) => tf.mul(loss(l), 3))(logits);
    return {
      loss: value.loss.dataSync()[0],
      correct: value.correct.dataSync()[0],
      dLogits: dLogits.dataSync() as Float32Array,
    };
  });
}

describe('fused softmax cross-entropy and correct count (wasm)', () => {
  it('is registered with the kernel pack', () => {
    expect(hasFusedSoftmaxCrossEntropy()).to.equal(true);
  });

  it("matches tf.losses.softmaxCrossEntropy, the arg-max count and tfjs' gradient on cpu", async () => {
    const fused = run(true);
    const reference = await onBackend('cpu', () => run(false));
    expect(fused.loss).to.be.closeTo(reference.loss, 1e-6 * reference.loss);
    expect(fused.correct).to.equal(reference.correct);
    expect(relativeError(fused.dLogits, reference.dLogits)).to.be.below(1e-5);
  });

  it('lossAndCorrect takes the fused kernel for classification on wasm', async () => {
    const profile = await tf.profile(() => {
      const { loss, correct } = lossAndCorrect('classification', tf.tensor2d([[0, 1]]), tf.tensor2d([[0.5, 2]]));
      expect(correct!.dataSync()[0]).to.equal(1);
      tf.dispose([loss, correct!]);
    });
    expect(profile.kernels.map((k) => k.name))
      .to.include('BatchlabSoftmaxCrossEntropy')
      .and.not.include('ArgMax');
  });

  it('refuses labels and logits of different shapes, naming both', () => {
    const [labels, logits] = [tf.zeros([2, 3]), tf.zeros([2, 4])];
    expect(() => softmaxCrossEntropy(labels, logits)).to.throw(
      /labels and logits of one \[rows, classes\] shape, got \[2,3\] and \[2,4\]/,
    );
    tf.dispose([labels, logits]);
  });
});
