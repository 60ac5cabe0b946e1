// batchlab's WebGPU kernels of several dispatches, when one of them throws part way (tfjs' checks,
// a failed upload): the error reaches the caller and no buffer is left behind, for a failure at each of
// the kernel's dispatches in turn. The failure is planted in the backend's runWebGPUProgram.
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { ADAM_UPDATE } from '../../src/ops/adam-update';
import { BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD, MOVING_AVERAGES } from '../../src/ops/batch-norm-training';
import { SOFTMAX_CROSS_ENTROPY } from '../../src/ops/softmax-cross-entropy';
import { seededValues } from '../helpers/kernel-reference';
import { onWebGpu } from '../helpers/webgpu-suite';

type Backend = tf.KernelBackend & { runWebGPUProgram(...args: unknown[]): tf.TensorInfo };

/** Runs `kernel` with the backend's `failAt`-th dispatch throwing; returns the dispatches it made. */
function runFailing(kernel: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap, failAt: number): number {
  const backend = tf.backend() as Backend;
  const original = backend.runWebGPUProgram.bind(backend);
  let calls = 0;
  backend.runWebGPUProgram = (...args: unknown[]) => {
    if (++calls === failAt) throw new Error('planted failure');
    return original(...args);
  };
  try {
    tf.dispose(tf.engine().runKernel<tf.Tensor[]>(kernel, inputs, attrs));
  } finally {
    backend.runWebGPUProgram = original;
  }
  return calls;
}

describe('webgpu kernels failing part way', function () {
  this.timeout(180000);
  onWebGpu();

  const t = (shape: number[], seed: number) => tf.tensor(seededValues(tf.util.sizeFromShape(shape), seed), shape);
  const positive = (shape: number[], seed: number) => tf.abs(t(shape, seed)).add(0.1);
  const cases: [string, string, () => tf.NamedTensorMap, tf.NamedAttrMap][] = [
    [
      'Adam',
      ADAM_UPDATE,
      () => ({
        value: t([300], 1),
        gradient: t([300], 2),
        m: t([300], 3),
        v: positive([300], 4),
        accBeta1: tf.scalar(0.9),
        accBeta2: tf.scalar(0.99),
      }),
      { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
    ],
    [
      'BatchNorm forward',
      BATCH_NORM_TRAINING,
      () => ({ x: t([40, 3], 5), gamma: t([3], 6), beta: t([3], 7) }),
      { epsilon: 1e-3 },
    ],
    [
      'BatchNorm backward',
      BATCH_NORM_TRAINING_GRAD,
      () => ({
        dy: t([40, 3], 8),
        x: t([40, 3], 9),
        mean: t([3], 10),
        variance: positive([3], 11),
        gamma: t([3], 12),
        dMean: t([3], 13),
        dVariance: t([3], 14),
      }),
      { epsilon: 1e-3 },
    ],
    [
      'moving averages',
      MOVING_AVERAGES,
      () => ({
        movingMean: t([3], 15),
        movingVariance: positive([3], 16),
        mean: t([3], 17),
        variance: positive([3], 18),
      }),
      { momentum: 0.99 },
    ],
    [
      'softmax cross-entropy',
      SOFTMAX_CROSS_ENTROPY,
      () => ({ labels: tf.oneHot([1, 0, 2, 2], 3).toFloat(), logits: t([4, 3], 19) }),
      {},
    ],
  ];
  for (const [name, kernel, makeInputs, attrs] of cases) {
    it(`${name}: the error at every dispatch, and no buffer left`, () => {
      const inputs = tf.tidy(makeInputs);
      const dispatches = runFailing(kernel, inputs, attrs, 0);
      expect(dispatches, 'dispatches of one call').to.be.above(1);
      const backend = tf.backend();
      for (let failAt = 1; failAt <= dispatches; failAt++) {
        const before = backend.numDataIds();
        expect(() => runFailing(kernel, inputs, attrs, failAt), `failing at ${failAt}`).to.throw('planted failure');
        expect(backend.numDataIds(), `buffers after failing at ${failAt} of ${dispatches}`).to.equal(before);
      }
      tf.dispose(Object.values(inputs));
    });
  }
});
