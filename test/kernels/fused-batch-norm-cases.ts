// Random calls of batchlab's fused BatchNorm ops (src/ops/batch-norm-training.ts) and its layer
// (models/batch-norm-layer.ts), each with the same maths in tfjs' own ops. Activations hold
// zero-sized and size-1 axes, channel counts that take the SIMD passes on wasm (multiples of 4) and
// the loops, and row counts past one SIMD block.
import * as tf from '@tensorflow/tfjs';
import { batchNormTraining, movingAverages } from '../../src/ops/batch-norm-training';
import { Rng } from '../../src/util/random';
import { batchNormalizationLayer } from '../../models';
import { KernelCase, SPECIALS, int, pick, shape } from '../helpers/fuzz';
import { batchNormBackward64, batchNormForward64 } from './fused-float64';
import { FusedFuzz, data, specialRate } from './fused-operands';

/** An activation [..., C]: C a multiple of 4 (SIMD passes on wasm) or not, sometimes past 256 rows. */
function activationShape(rng: Rng): number[] {
  const channels = pick(rng, [0, 1, 2, 3, 4, 5, 8, 12]);
  if (rng() < 0.1) return [int(rng, 250, 700), channels];
  return [...shape(rng, int(rng, 0, 3)), channels];
}

function batchNormCase(rng: Rng): KernelCase {
  const xShape = activationShape(rng);
  const c = [xShape[xShape.length - 1]];
  const rate = specialRate(rng);
  // Means up to ten deviations from 0: farther, float32 cannot resolve the deviations from the mean.
  const spread = pick(rng, [1, 1e-3, 1e3]);
  const x = data(rng, xShape, rate, { spread, offset: spread * pick(rng, [0, 3, -10]) });
  const inputs = { x, gamma: data(rng, c, rate), beta: data(rng, c, rate) };
  const weights = { dy: data(rng, xShape, rate), dMean: data(rng, c, rate), dVariance: data(rng, c, rate) };
  return { inputs: { ...inputs, ...weights }, attrs: { epsilon: pick(rng, [1e-3, 1e-5, 0.1]) } };
}

const leadingAxes = (x: tf.Tensor) => x.shape.map((_, i) => i).slice(0, -1);

/** tfjs-layers' training-mode maths: moments over the leading axes, then batchNorm. */
function stockBatchNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number) {
  const { mean, variance } = tf.moments(x, leadingAxes(x));
  return { y: tf.batchNorm(x, mean, variance, beta, gamma, epsilon), mean, variance };
}

type Outputs = { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor };

/** Gradients of sum(y dy) + sum(mean dMean) + sum(variance dVariance): every output path weighed. */
function gradients(t: tf.NamedTensorMap, outputs: (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => Outputs) {
  const loss = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const { y, mean, variance } = outputs(x, g, b);
    return tf.addN([tf.sum(tf.mul(y, t.dy)), tf.sum(tf.mul(mean, t.dMean)), tf.sum(tf.mul(variance, t.dVariance))]);
  };
  return tf.grads(loss)([t.x, t.gamma, t.beta]);
}

const epsilonOf = (attrs: Record<string, unknown>) => attrs.epsilon as number;

export const batchNormForward: FusedFuzz = {
  make: batchNormCase,
  fused: (t, a) => {
    const { y, mean, variance } = batchNormTraining(t.x, t.gamma as tf.Tensor1D, t.beta as tf.Tensor1D, epsilonOf(a));
    return [y, mean, variance];
  },
  stock: (t, a) => Object.values(stockBatchNorm(t.x, t.gamma, t.beta, epsilonOf(a))),
  kernels: ['BatchlabBatchNormTraining'],
  tolerance: 1e-5,
  float64: batchNormForward64,
};

export const batchNormBackward: FusedFuzz = {
  make: batchNormCase,
  fused: (t, a) => gradients(t, (x, g, b) => batchNormTraining(x, g as tf.Tensor1D, b as tf.Tensor1D, epsilonOf(a))),
  // tfjs' batchNorm gradient throws for no rows (it reshapes the empty dy to [1, ..., C]); the
  // gradients of sums over no rows are zeros.
  stock: (t, a) =>
    t.x.size === 0
      ? [tf.zerosLike(t.x), tf.zerosLike(t.gamma), tf.zerosLike(t.beta)]
      : gradients(t, (x, g, b) => stockBatchNorm(x, g, b, epsilonOf(a))),
  kernels: ['BatchlabBatchNormTraining', 'BatchlabBatchNormTrainingGrad'],
  tolerance: 1e-5,
  float64: batchNormBackward64,
};

const movingAverageCase = (rng: Rng): KernelCase => {
  const c = [pick(rng, [0, 1, 3, 4, 9])];
  const rate = specialRate(rng);
  const [movingMean, movingVariance, mean, variance] = [0, 1, 2, 3].map(() => data(rng, c, rate));
  const momentum = pick(rng, [0.99, 0.9, 0, 1, Math.fround(rng())]);
  return { inputs: { movingMean, movingVariance, mean, variance }, attrs: { momentum } };
};

/** tfjs-layers' moving-average update, three ops per statistic. */
const stockMovingAverage = (moving: tf.Tensor, batch: tf.Tensor, momentum: number) =>
  tf.sub(moving, tf.mul(tf.sub(moving, batch), 1 - momentum));

export const movingAverage: FusedFuzz = {
  make: movingAverageCase,
  fused: (t, a) =>
    movingAverages(
      { mean: t.movingMean, variance: t.movingVariance },
      { mean: t.mean, variance: t.variance },
      a.momentum as number,
    ),
  stock: (t, a) => [
    stockMovingAverage(t.movingMean, t.mean, a.momentum as number),
    stockMovingAverage(t.movingVariance, t.variance, a.momentum as number),
  ],
  kernels: ['BatchlabMovingAverages'],
  tolerance: 0,
};

/** A BN layer's input [N, ..., C] (rank 2 to 4), weights and options, its statistics well inside float32. */
function layerCase(rng: Rng): KernelCase {
  const xShape = [...shape(rng, int(rng, 1, 3)), pick(rng, [1, 2, 3, 4, 5, 8])];
  const c = [xShape[xShape.length - 1]];
  const rate = rng() < 0.2 ? 0.05 : 0;
  const movingVariance = data(rng, c, 0, { offset: 1 });
  movingVariance.values = movingVariance.values.map(Math.abs);
  return {
    inputs: {
      x: data(rng, xShape, rate, { spread: 2, offset: 3, specials: SPECIALS }),
      gamma: data(rng, c, 0),
      beta: data(rng, c, 0),
      movingMean: data(rng, c, 0),
      movingVariance,
    },
    attrs: {
      momentum: pick(rng, [0.99, 0.9, 0.5]),
      epsilon: pick(rng, [1e-3, 1e-5]),
      center: rng() < 0.8,
      scale: rng() < 0.8,
    },
  };
}

/** y in training, the moving statistics it leaves, then y in inference with them, from `layer`. */
function layerOutputs(layer: tf.layers.Layer, t: tf.NamedTensorMap, attrs: Record<string, unknown>): tf.Tensor[] {
  layer.build(t.x.shape);
  const weights = [attrs.scale && t.gamma, attrs.center && t.beta, t.movingMean, t.movingVariance];
  layer.setWeights(weights.filter((w): w is tf.Tensor => w instanceof tf.Tensor));
  try {
    const training = layer.apply(t.x, { training: true }) as tf.Tensor;
    const [movingMean, movingVariance] = layer
      .getWeights()
      .slice(-2)
      .map((w) => w.clone());
    return [training, movingMean, movingVariance, layer.apply(t.x, { training: false }) as tf.Tensor];
  } finally {
    layer.weights.forEach((w) => w.dispose());
  }
}

const layerArgs = (a: Record<string, unknown>) => ({
  momentum: a.momentum as number,
  epsilon: a.epsilon as number,
  center: a.center as boolean,
  scale: a.scale as boolean,
});

/** batchlab's BatchNormalization against tfjs-layers' own, each call and the moving statistics. */
export const batchNormLayer: FusedFuzz = {
  make: layerCase,
  fused: (t, a) => layerOutputs(batchNormalizationLayer(layerArgs(a)), t, a),
  stock: (t, a) => layerOutputs(tf.layers.batchNormalization(layerArgs(a)), t, a),
  kernels: ['BatchlabBatchNormTraining', 'BatchlabMovingAverages'],
  tolerance: 1e-5,
};
