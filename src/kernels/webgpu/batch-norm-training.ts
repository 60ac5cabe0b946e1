/**
 * The fused BatchNorm training kernels (contract in src/ops/batch-norm-training.ts) for tfjs'
 * WebGPU backend. Without them the layer goes through tf.moments, whose gradient (tfjs' Mean and
 * Sum gradients) builds a tensor of ones the size of the activation in JavaScript and uploads it,
 * at every step: 51 MB per BatchNorm for the CNN-BN at batch 1024. Here the activation is M rows of
 * C channels: the statistics and the gradient's totals are channel sums (./channel-sums), the
 * output an element-wise pass; forward 5 dispatches, backward 5, the moving averages 2. Sums are
 * float32 (the wasm and cpu kernels carry channels that overflow float32 in float64; these do not).
 */
import * as tf from '@tensorflow/tfjs';
import {
  BATCH_NORM_TRAINING,
  BATCH_NORM_TRAINING_GRAD,
  BatchNormTrainingAttrs,
  MOVING_AVERAGES,
  MovingAveragesAttrs,
} from '../../ops/batch-norm-training';
import { PortableKernel, asKernelFunc, requireFloat32 } from '../kernel-call';
import { TOTAL, int, partialSums, totalUniforms } from './channel-sums';
import { Uniform, WebGpuBackend, WebGpuCall, elementWiseProgram, releasedOnFailure, runProgram } from './program';

/** [rows, channels] of an activation [..., C]. */
function geometry(x: tf.TensorInfo): [number, number] {
  const channels = x.shape[x.shape.length - 1];
  return [channels > 0 ? tf.util.sizeFromShape(x.shape) / channels : 0, channels];
}

/**
 * The outputs for an activation of no rows: an empty one of its shape and per-channel zeros (as
 * tf.moments gives, and the sums of nothing), without binding its empty buffer to a program.
 */
function noRows(backend: WebGpuBackend, x: tf.TensorInfo, channels: number): tf.TensorInfo[] {
  const zeros = () => backend.makeTensorInfo([channels], 'float32', new Float32Array(channels));
  return [backend.makeTensorInfo(x.shape, 'float32', new Float32Array(0)), zeros(), zeros()];
}

/** Runs an element-wise program `key` over `shape`: `expression` of `index`, after `helpers`. */
function pass(
  backend: WebGpuBackend,
  key: string,
  shape: number[],
  inputs: Record<string, tf.TensorInfo>,
  uniforms: Uniform[],
  helpers: string,
  expression: string,
): tf.TensorInfo {
  const program = elementWiseProgram(shape, key, Object.keys(inputs), uniforms, helpers, expression);
  return runProgram(backend, program, Object.values(inputs), uniforms);
}

/** The per-channel mean of term 0 of `partials` (0 for no rows, as tf.moments). */
function channelMeans(
  backend: WebGpuBackend,
  key: string,
  partials: tf.TensorInfo,
  slices: number,
  rows: number,
  channels: number,
) {
  const uniforms = totalUniforms(slices, 1, channels, rows);
  const mean = 'select(total(0, index) / f32(uniforms.rows), 0.0, uniforms.rows == 0)';
  return pass(backend, key, [channels], { partials }, uniforms, TOTAL, mean);
}

const epsilonUniform = (value: number): Uniform => ({ name: 'epsilon', type: 'f32', value });

/** WGSL: element i normalized, with its channel's scale gamma / sqrt(variance + epsilon) as the wasm kernel. */
const Y = `
  fn yAt(i : i32) -> f32 {
    let c = i % uniforms.channels;
    return (x[i] - mean[c]) * (gamma[c] / sqrt(variance[c] + uniforms.epsilon)) + beta[c];
  }`;

type ForwardInputs = Record<'x' | 'gamma' | 'beta', tf.TensorInfo>;

function forward({ inputs, backend, attrs }: WebGpuCall<ForwardInputs>): tf.TensorInfo[] {
  requireFloat32(BATCH_NORM_TRAINING, inputs);
  const { epsilon } = attrs as unknown as BatchNormTrainingAttrs;
  const { x, gamma, beta } = inputs;
  const [rows, channels] = geometry(x);
  if (rows === 0) return noRows(backend, x, channels);
  const temporaries: tf.TensorInfo[] = [];
  try {
    return releasedOnFailure(backend, (keep) => {
      const sums = partialSums(
        backend,
        'batchlab_bn_sums',
        { variables: ['x'], tensors: [x] },
        ['x[i]'],
        rows,
        channels,
      );
      temporaries.push(sums.partials);
      const mean = keep(channelMeans(backend, 'batchlab_bn_mean', sums.partials, sums.slices, rows, channels));
      const squares = partialSums(
        backend,
        'batchlab_bn_squares',
        { variables: ['x', 'mean'], tensors: [x, mean] },
        ['(x[i] - mean[c]) * (x[i] - mean[c])'],
        rows,
        channels,
      );
      temporaries.push(squares.partials);
      const variance = keep(
        channelMeans(backend, 'batchlab_bn_variance', squares.partials, squares.slices, rows, channels),
      );
      const uniforms = [int('channels', channels), epsilonUniform(epsilon)];
      const y = pass(
        backend,
        'batchlab_bn_normalize',
        x.shape,
        { x, mean, variance, gamma, beta },
        uniforms,
        Y,
        'yAt(index)',
      );
      return [y, mean, variance];
    });
  } finally {
    for (const t of temporaries) backend.disposeData(t.dataId);
  }
}

type GradInputs = Record<'dy' | 'x' | 'mean' | 'variance' | 'gamma' | 'dMean' | 'dVariance', tf.TensorInfo>;

/**
 * As the wasm and cpu kernels: with s = 1 / sqrt(variance + epsilon), dBeta = sum(dy) and dGamma =
 * s * sum(dy * (x - mean)) over the M rows, dx = k * dy + e * (x - mean) + g per channel, where k =
 * gamma * s, e = (-k * s * dGamma + 2 * dVariance) / M and g = (-k * dBeta + dMean) / M.
 */
/**
 * WGSL: the channels' dx coefficients (see backward), [3, C]: k, then e, then g. A pass of their own,
 * as one dx pass reading all nine inputs would bind more storage buffers than WebGPU guarantees (8).
 */
const COEFFICIENTS = `
  fn invStd(c : i32) -> f32 { return 1.0 / sqrt(variance[c] + uniforms.epsilon); }
  fn coefficient(index : i32) -> f32 {
    let c = index % uniforms.channels;
    let k = gamma[c] * invStd(c);
    let which = index / uniforms.channels;
    if (which == 0) { return k; }
    if (which == 1) { return (-k * invStd(c) * dGamma[c] + 2.0 * dVariance[c]) / f32(uniforms.rows); }
    return (-k * dBeta[c] + dMean[c]) / f32(uniforms.rows);
  }`;

/** WGSL: element i of dx = k * dy + e * (x - mean) + g of its channel. */
const DX = `
  fn dxAt(i : i32) -> f32 {
    let c = i % uniforms.channels;
    let n = uniforms.channels;
    return coefficients[c] * dy[i] + coefficients[n + c] * (x[i] - mean[c]) + coefficients[2 * n + c];
  }`;

function backward({ inputs, backend, attrs }: WebGpuCall<GradInputs>): tf.TensorInfo[] {
  requireFloat32(BATCH_NORM_TRAINING_GRAD, inputs);
  const { epsilon } = attrs as unknown as BatchNormTrainingAttrs;
  const { dy, x, mean, variance, gamma, dMean, dVariance } = inputs;
  const [rows, channels] = geometry(x);
  if (rows === 0) return noRows(backend, x, channels);
  const { partials, slices } = partialSums(
    backend,
    'batchlab_bn_grad_sums',
    { variables: ['dy', 'x', 'mean'], tensors: [dy, x, mean] },
    ['dy[i]', 'dy[i] * (x[i] - mean[c])'],
    rows,
    channels,
  );
  const temporaries = [partials];
  try {
    return releasedOnFailure(backend, (keep) => {
      const totals = [...totalUniforms(slices, 2, channels, rows), epsilonUniform(epsilon)];
      const dBeta = keep(
        pass(backend, 'batchlab_bn_dbeta', [channels], { partials }, totals, TOTAL, 'total(0, index)'),
      );
      const dGamma = keep(
        pass(
          backend,
          'batchlab_bn_dgamma',
          [channels],
          { partials, variance },
          totals,
          TOTAL,
          'total(1, index) * (1.0 / sqrt(variance[index] + uniforms.epsilon))',
        ),
      );
      const uniforms = [int('channels', channels), int('rows', rows), epsilonUniform(epsilon)];
      const coefficients = pass(
        backend,
        'batchlab_bn_dx_coefficients',
        [3, channels],
        { variance, gamma, dMean, dVariance, dBeta, dGamma },
        uniforms,
        COEFFICIENTS,
        'coefficient(index)',
      );
      temporaries.push(coefficients);
      const dx = pass(backend, 'batchlab_bn_dx', x.shape, { dy, x, mean, coefficients }, uniforms, DX, 'dxAt(index)');
      return [dx, dGamma, dBeta];
    });
  } finally {
    for (const t of temporaries) backend.disposeData(t.dataId);
  }
}

type MovingInputs = Record<'movingMean' | 'movingVariance' | 'mean' | 'variance', tf.TensorInfo>;

/** moving - (moving - batch) * decay per channel, as tfjs-layers' three ops. */
function movingAverages({ inputs, backend, attrs }: WebGpuCall<MovingInputs>): tf.TensorInfo[] {
  requireFloat32(MOVING_AVERAGES, inputs);
  const decay: Uniform = { name: 'decay', type: 'f32', value: 1 - (attrs as unknown as MovingAveragesAttrs).momentum };
  const average = (moving: tf.TensorInfo, batch: tf.TensorInfo) =>
    pass(
      backend,
      'batchlab_bn_moving',
      moving.shape,
      { moving, batch },
      [decay],
      '',
      'moving[index] - (moving[index] - batch[index]) * uniforms.decay',
    );
  return releasedOnFailure(backend, (keep) => [
    keep(average(inputs.movingMean, inputs.mean)),
    average(inputs.movingVariance, inputs.variance),
  ]);
}

export const webGpuBatchNormKernels: readonly PortableKernel[] = [
  { kernelName: MOVING_AVERAGES, kernelFunc: asKernelFunc(movingAverages as never) },
  { kernelName: BATCH_NORM_TRAINING, kernelFunc: asKernelFunc(forward as never) },
  { kernelName: BATCH_NORM_TRAINING_GRAD, kernelFunc: asKernelFunc(backward as never) },
];
