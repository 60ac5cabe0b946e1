/**
 * The fused BatchNorm training kernels (contract in src/ops/batch-norm-training.ts) for wasm and
 * cpu. The activation is seen as M rows of C channels; ./channel-passes makes the passes over it,
 * and this file owns the per-channel algebra between them; ./float64-channels redoes the channels
 * that float32 passes cannot carry. Per-channel vectors live in one scratch tensor of the backend
 * (on wasm, in the heap, where the SIMD passes can read them).
 */
import * as tf from '@tensorflow/tfjs';
import {
  BATCH_NORM_TRAINING,
  BATCH_NORM_TRAINING_GRAD,
  BatchNormTrainingAttrs,
  MOVING_AVERAGES,
  MovingAveragesAttrs,
} from '../../ops/batch-norm-training';
import { channelPasses, scratchVectors } from './channel-passes';
import {
  GradCoefficients,
  backwardOutOfRange,
  forwardOutOfRange,
  normalizeGradInFloat64,
  normalizeInFloat64,
} from './float64-channels';
import { ArrayBackend, KernelCall, PortableKernel, asKernelFunc, requireFloat32 } from '../kernel-call';

type ForwardInputs = { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo };
type GradInputs = {
  dy: tf.TensorInfo;
  x: tf.TensorInfo;
  mean: tf.TensorInfo;
  variance: tf.TensorInfo;
  gamma: tf.TensorInfo;
  dMean: tf.TensorInfo;
  dVariance: tf.TensorInfo;
};

/** Rows of `channels` values in x (0 when there are no channels). */
function rowsOf(x: tf.TensorInfo, channels: number): number {
  return channels > 0 ? x.shape.reduce((a, b) => a * b, 1) / channels : 0;
}

function channelsOf(x: tf.TensorInfo): number {
  return x.shape[x.shape.length - 1];
}

/** Allocates the outputs and `vectors` per-channel scratch vectors, then views everything at once. */
function allocate(backend: ArrayBackend, shapes: number[][], channels: number, vectors: number) {
  const outputs = shapes.map((shape) => backend.makeOutput(shape, 'float32'));
  const scratch = backend.makeOutput([vectors * channels], 'float32');
  // Views taken after the last allocation, which may have grown (and detached) the heap.
  const view = (info: tf.TensorInfo) => backend.typedArrayFromHeap(info) as Float32Array;
  const heap = view(scratch);
  const vector = (i: number, count = 1) => heap.subarray(i * channels, (i + count) * channels);
  return { outputs, view, vector, release: () => backend.disposeData(scratch.dataId) };
}

function forward({ inputs, backend, attrs }: KernelCall<ForwardInputs>): tf.TensorInfo[] {
  requireFloat32(BATCH_NORM_TRAINING, inputs);
  const { epsilon } = attrs as unknown as BatchNormTrainingAttrs;
  const channels = channelsOf(inputs.x);
  const rows = rowsOf(inputs.x, channels);
  const blocks = scratchVectors(rows);
  const shapes = [inputs.x.shape, [channels], [channels]];
  const { outputs, view, vector, release } = allocate(backend, shapes, channels, 3 + blocks);
  try {
    const [y, meanOut, varianceOut] = outputs;
    const passes = channelPasses(backend, channels);
    const [x, gamma, beta] = [view(inputs.x), view(inputs.gamma), view(inputs.beta)];
    const [mean, scale, variance, acc] = [vector(0), vector(1), vector(2), vector(3, blocks)];
    // As tf.moments: 0 for no rows (tfjs divides each value by the count, then sums none of them).
    const perRow = (total: number) => (rows > 0 ? total / rows : 0);
    mean.set(passes.sums(x, acc).map(perRow));
    // In float32 before use, as tfjs' batchNorm reads the variance tensor of tf.moments.
    variance.set(passes.centredSquares(x, mean, acc).map(perRow));
    for (let c = 0; c < channels; c++) scale[c] = gamma[c] / Math.sqrt(variance[c] + epsilon);
    passes.normalize(x, mean, scale, beta, view(y));
    const moments = { rows, mean, variance };
    for (const c of forwardOutOfRange(moments, scale, beta)) {
      normalizeInFloat64(c, x, moments, { gamma, beta, epsilon }, view(y));
    }
    view(meanOut).set(mean);
    view(varianceOut).set(variance);
    return [y, meanOut, varianceOut];
  } finally {
    release();
  }
}

/**
 * dx = k * dy + e * (x - mean) + g per channel. With s = 1 / sqrt(variance + epsilon), k = gamma * s
 * and the totals dBeta = sum(dy), dGamma = s * sum(dy * (x - mean)) over the M rows, the usual
 * k / M * (M * dy - dBeta - s * (x - mean) * dGamma) gives e = -k * s * dGamma / M and
 * g = -k * dBeta / M; the mean output adds dMean / M to g, the variance output 2 * dVariance / M
 * to e (its path through the mean sums to zero).
 */
function backward({ inputs, backend, attrs }: KernelCall<GradInputs>): tf.TensorInfo[] {
  requireFloat32(BATCH_NORM_TRAINING_GRAD, inputs);
  const { epsilon } = attrs as unknown as BatchNormTrainingAttrs;
  const channels = channelsOf(inputs.x);
  const blocks = scratchVectors(rowsOf(inputs.x, channels));
  const shapes = [inputs.x.shape, [channels], [channels]];
  const { outputs, view, vector, release } = allocate(backend, shapes, channels, 3 + 2 * blocks);
  try {
    const [dxOut, dGammaOut, dBetaOut] = outputs;
    const passes = channelPasses(backend, channels);
    const [dy, x, mean, variance, gamma] = [
      view(inputs.dy),
      view(inputs.x),
      view(inputs.mean),
      view(inputs.variance),
      view(inputs.gamma),
    ];
    const [dMean, dVariance] = [view(inputs.dMean), view(inputs.dVariance)];
    const [k, e, g, acc2] = [vector(0), vector(1), vector(2), vector(3, 2 * blocks)];
    const rows = x.length / channels;
    const [dBeta, dyCentred] = passes.gradSums(dy, x, mean, acc2);
    const dGamma = new Float64Array(channels);
    const exact: GradCoefficients = {
      k: new Float64Array(channels),
      e: new Float64Array(channels),
      g: new Float64Array(channels),
    };
    for (let c = 0; c < channels; c++) {
      const invStd = 1 / Math.sqrt(variance[c] + epsilon);
      dGamma[c] = dyCentred[c] * invStd;
      exact.k[c] = gamma[c] * invStd;
      exact.e[c] = (-exact.k[c] * invStd * dGamma[c] + 2 * dVariance[c]) / rows;
      exact.g[c] = (-exact.k[c] * dBeta[c] + dMean[c]) / rows;
    }
    k.set(exact.k);
    e.set(exact.e);
    g.set(exact.g);
    passes.normalizeGrad(dy, x, mean, k, e, g, view(dxOut));
    for (const c of backwardOutOfRange({ rows, mean, variance }, exact)) {
      normalizeGradInFloat64(c, { dy, x, mean }, exact, view(dxOut));
    }
    view(dGammaOut).set(dGamma);
    view(dBetaOut).set(dBeta);
    return [dxOut, dGammaOut, dBetaOut];
  } finally {
    release();
  }
}

type MovingInputs = Record<'movingMean' | 'movingVariance' | 'mean' | 'variance', tf.TensorInfo>;

/** moving - (moving - batch) * decay per channel, each step rounded to float32 as tfjs' ops round it. */
function movingAverages({ inputs, backend, attrs }: KernelCall<MovingInputs>): tf.TensorInfo[] {
  requireFloat32(MOVING_AVERAGES, inputs);
  const decay = Math.fround(1 - (attrs as unknown as MovingAveragesAttrs).momentum);
  const outputs = [inputs.movingMean, inputs.movingVariance].map((t) => backend.makeOutput(t.shape, 'float32'));
  const view = (info: tf.TensorInfo) => backend.typedArrayFromHeap(info) as Float32Array;
  const pairs: [tf.TensorInfo, tf.TensorInfo][] = [
    [inputs.movingMean, inputs.mean],
    [inputs.movingVariance, inputs.variance],
  ];
  pairs.forEach(([movingInfo, batchInfo], i) => {
    const [moving, batch, out] = [view(movingInfo), view(batchInfo), view(outputs[i])];
    for (let c = 0; c < out.length; c++)
      out[c] = Math.fround(moving[c] - Math.fround(Math.fround(moving[c] - batch[c]) * decay));
  });
  return outputs;
}

export const batchNormTrainingKernels: readonly PortableKernel[] = [
  { kernelName: MOVING_AVERAGES, kernelFunc: asKernelFunc(movingAverages) },
  { kernelName: BATCH_NORM_TRAINING, kernelFunc: asKernelFunc(forward) },
  { kernelName: BATCH_NORM_TRAINING_GRAD, kernelFunc: asKernelFunc(backward) },
];
