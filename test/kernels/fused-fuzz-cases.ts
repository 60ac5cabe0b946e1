// Random calls of batchlab's fused ops (src/ops; kernels in src/kernels/fused), each with the same
// maths in tfjs' own ops, the reference ./fuzz-fused.test.ts runs on stock cpu: the BatchNorm ones
// (./fused-batch-norm-cases), the Adam update, softmax cross-entropy and its gradient, and ReLU's
// gradient. Shapes hold zero-sized and size-1 axes; values the specials of ./fused-operands.
import * as tf from '@tensorflow/tfjs';
import { AdamState, AdamUpdateAttrs, adamUpdate } from '../../src/ops/adam-update';
import { softmaxCrossEntropy } from '../../src/ops/softmax-cross-entropy';
import { countCorrect } from '../../src/training/objective';
import { Rng } from '../../src/util/random';
import { KernelCase, Operand, dim, int, pick, shape } from '../helpers/fuzz';
import { batchNormBackward, batchNormForward, batchNormLayer, movingAverage } from './fused-batch-norm-cases';
import { softmaxCrossEntropy64, softmaxCrossEntropyGrad64 } from './fused-float64';
import { FusedFuzz, data, specialRate } from './fused-operands';

function adamCase(rng: Rng): KernelCase {
  const dims = shape(rng, int(rng, 0, 3));
  const rate = specialRate(rng);
  const [beta1, beta2] = [pick(rng, [0.9, 0.5, 0]), pick(rng, [0.999, 0.9, 0])].map(Math.fround);
  const t = int(rng, 1, 5);
  const v = data(rng, dims, rate);
  v.values = v.values.map(Math.abs);
  const scalar = (value: number): Operand => ({ values: [Math.fround(value)], shape: [], dtype: 'float32' });
  return {
    inputs: {
      value: data(rng, dims, rate),
      gradient: data(rng, dims, rate, { spread: pick(rng, [1, 1e-20, 1e20]) }),
      m: data(rng, dims, rate),
      v,
      accBeta1: scalar(beta1 ** t),
      accBeta2: scalar(beta2 ** t),
    },
    attrs: { learningRate: pick(rng, [0.001, 0.1, 1]), beta1, beta2, epsilon: pick(rng, [1e-7, 1e-8, 0]) },
  };
}

/** tfjs' AdamOptimizer.applyGradients for one weight, op for op, then the contract's flush of moments below 1e-30. */
function stockAdam(t: tf.NamedTensorMap, attrs: Record<string, unknown>): tf.Tensor[] {
  const { learningRate, beta1, beta2, epsilon } = attrs as Record<string, number>;
  const m = tf.add(tf.mul(t.m, beta1), tf.mul(t.gradient, 1 - beta1));
  const v = tf.add(tf.mul(t.v, beta2), tf.mul(tf.square(t.gradient), 1 - beta2));
  const mHat = tf.div(m, tf.sub(1, t.accBeta1));
  const vHat = tf.div(v, tf.sub(1, t.accBeta2));
  const value = tf.add(tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), epsilon)), -learningRate), t.value);
  const flush = (moment: tf.Tensor) => tf.where(tf.less(tf.abs(moment), 1e-30), tf.zerosLike(moment), moment);
  return [value, flush(m), flush(v)];
}

const adam: FusedFuzz = {
  make: adamCase,
  fused: (t, a) => adamUpdate(t as unknown as AdamState, a as unknown as AdamUpdateAttrs),
  stock: stockAdam,
  kernels: ['BatchlabAdamUpdate'],
  tolerance: 0,
};

/** Logits [rows, classes] and labels one-hot, soft (rows summing to 1) or, in the forward only, with specials. */
function softmaxCase(rng: Rng, specialLabels: boolean): KernelCase {
  const [rows, classes] = [dim(rng, 6), pick(rng, [0, 1, 2, 3, 5, 10])];
  const rate = specialRate(rng);
  const logits = data(rng, [rows, classes], rate, { spread: pick(rng, [1, 10, 100]) });
  const kind = pick(rng, ['one-hot', 'one-hot', 'soft', specialLabels ? 'specials' : 'soft']);
  const labels = data(rng, [rows, classes], kind === 'specials' ? 0.3 : 0);
  for (let r = 0; r < rows && kind !== 'specials'; r++) {
    const row = labels.values.slice(r * classes, (r + 1) * classes).map((v) => Math.abs(v));
    const hot = int(rng, 0, classes - 1);
    const total = row.reduce((s, v) => s + v, 0);
    row.forEach((v, j) => (labels.values[r * classes + j] = kind === 'soft' ? Math.fround(v / total) : +(j === hot)));
  }
  const dy = data(rng, [], rng() < 0.1 ? 1 : 0, { spread: pick(rng, [1, 3]), offset: 1 });
  return { inputs: { labels, logits, dy }, attrs: {} };
}

const softmaxForward: FusedFuzz = {
  make: (rng) => softmaxCase(rng, true),
  fused: (t) => Object.values(softmaxCrossEntropy(t.labels, t.logits)),
  stock: (t) => [tf.losses.softmaxCrossEntropy(t.labels, t.logits), countCorrect(t.labels, t.logits)],
  kernels: ['BatchlabSoftmaxCrossEntropy'],
  tolerance: 1e-6,
  float64: softmaxCrossEntropy64,
};

/** d(dy x loss)/d logits; the labels' gradient is not a kernel's (src/ops/softmax-cross-entropy.ts). */
const logitsGradient = (t: tf.NamedTensorMap, loss: (labels: tf.Tensor, logits: tf.Tensor) => tf.Tensor) => [
  tf.grad((logits: tf.Tensor) => loss(t.labels, logits))(t.logits, t.dy),
];

const softmaxBackward: FusedFuzz = {
  make: (rng) => softmaxCase(rng, false),
  fused: (t) => logitsGradient(t, (labels, logits) => softmaxCrossEntropy(labels, logits).loss),
  stock: (t) => logitsGradient(t, (labels, logits) => tf.losses.softmaxCrossEntropy(labels, logits)),
  kernels: ['BatchlabSoftmaxCrossEntropy', 'BatchlabSoftmaxCrossEntropyGrad'],
  tolerance: 1e-5,
  float64: softmaxCrossEntropyGrad64,
};

const reluGradient: FusedFuzz = {
  make: (rng) => {
    const dims = shape(rng, int(rng, 0, 4), 7);
    const rate = specialRate(rng);
    return { inputs: { x: data(rng, dims, rate), dy: data(rng, dims, rate) }, attrs: {} };
  },
  fused: (t) => [tf.grad((x: tf.Tensor) => tf.relu(x))(t.x, t.dy)],
  // tfjs' own Relu gradient, written out: gradients are global, and batchlab's replaces it (src/ops/relu-grad.ts).
  stock: (t) => [tf.mul(t.dy, tf.cast(tf.step(t.x), 'float32'))],
  kernels: ['BatchlabReluGrad'],
  tolerance: 0,
};

export const fusedCases: Record<string, FusedFuzz> = {
  'BatchNorm forward': batchNormForward,
  'BatchNorm backward': batchNormBackward,
  'moving averages': movingAverage,
  'BatchNorm layer in training and inference': batchNormLayer,
  'Adam update': adam,
  'softmax cross-entropy': softmaxForward,
  'softmax cross-entropy gradient': softmaxBackward,
  'ReLU gradient': reluGradient,
};
