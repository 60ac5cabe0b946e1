/**
 * Gradient noise: how far the gradient of one batch of B samples, drawn without replacement from all
 * N training samples (as the strategies draw them), lies from the gradient g of the whole training set:
 *
 *   absolute  E||g_B - g||²          relative  E||g_B - g||² / ||g||²
 *
 * For B = N the batch is the training set, so the noise is 0 by definition and no batch is drawn.
 * The estimate is the mean over K independent batches (each the first B indices of a fresh seeded
 * permutation of all N), with its standard error sd / sqrt(K). What it estimates, in closed form:
 * E||g_B - g||² = (N - B)/(N - 1) · tr(Σ)/B, Σ the covariance of the N per-sample gradients about g
 * (divided by N); so it falls as 1/B for B much smaller than N and reaches 0 at B = N.
 *
 * g is summed over chunks of at most `chunk` samples (bounded memory), each chunk's mean-loss gradient
 * weighted by its share of N; a batch's gradient is computed in the strategy's micro-batches, as its
 * updates are. Gradients are taken in training mode: with BatchNorm each chunk is normalised over its
 * own samples. Owns the estimator; at which weights it runs is probes.ts's and run-cell.ts's concern.
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/dataset';
import { meanLoss } from '../training/objective';
import { createRng, deriveSeed, permutation } from '../util/random';

export interface GradientNoise {
  batchSize: number;
  /** Batches drawn; 0 for a batch of all N samples (noise 0 by definition). */
  batches: number;
  /** Mean over the batches of ||g_B - g||². */
  meanSquaredDeviation: number;
  /** Standard error of that mean (sample sd / sqrt(batches)); 0 with fewer than two batches. */
  standardError: number;
  /** meanSquaredDeviation / ||g||². */
  relativeVariance: number;
  /** standardError / ||g||². */
  relativeStandardError: number;
  /** ||g||², g the gradient of the whole training set. */
  fullGradientSquaredNorm: number;
}

export interface NoiseOptions {
  batchSize: number;
  /** Batches drawn. Default: 32. */
  batches?: number;
  seed: number;
  /** The strategy's micro-batch: batch gradients are accumulated over chunks of this size. Default: none. */
  microBatch?: number;
  /** Largest chunk of the whole-set gradient. Default: 2048. */
  chunk?: number;
}

/** Estimates the gradient noise of batches of `batchSize` for `model` at its current weights. */
export async function measureGradientNoise(
  model: tf.LayersModel,
  data: Dataset,
  options: NoiseOptions,
): Promise<GradientNoise> {
  const { batchSize, batches = 32, seed, microBatch, chunk = 2048 } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > data.size) {
    throw new Error(`gradient noise: batchSize must be an integer in [1, ${data.size}], got ${batchSize}`);
  }
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const full = flatGradient(model, data, null, chunk, variables);
  const count = batchSize === data.size ? 0 : batches;
  const rng = createRng(deriveSeed(seed, 0xba7c4));
  const deviations: tf.Scalar[] = [];
  try {
    for (let k = 0; k < count; k++) {
      const indices = permutation(data.size, rng).slice(0, batchSize);
      const g = flatGradient(model, data, indices, microBatch ?? batchSize, variables);
      deviations.push(tf.tidy(() => tf.sum(tf.square(tf.sub(g, full)))));
      g.dispose();
    }
    const packed = tf.tidy(() => tf.stack([tf.sum(tf.square(full)), ...deviations]));
    const [norm, ...values] = Array.from(await packed.data());
    packed.dispose();
    return summarize(batchSize, values, norm);
  } finally {
    tf.dispose([full, ...deviations]);
  }
}

function summarize(batchSize: number, values: number[], norm: number): GradientNoise {
  const k = values.length;
  const mean = k > 0 ? values.reduce((a, b) => a + b, 0) / k : 0;
  const variance = k > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (k - 1) : 0;
  const standardError = Math.sqrt(variance / Math.max(k, 1));
  return {
    batchSize,
    batches: k,
    meanSquaredDeviation: mean,
    standardError,
    relativeVariance: norm > 0 ? mean / norm : 0,
    relativeStandardError: norm > 0 ? standardError / norm : 0,
    fullGradientSquaredNorm: norm,
  };
}

/**
 * The gradient of the mean loss over the samples at `indices` (all samples in order when null), all
 * trainable weights concatenated, accumulated over chunks of at most `chunk` samples.
 */
export function flatGradient(
  model: tf.LayersModel,
  data: Dataset,
  indices: Int32Array | null,
  chunk: number,
  variables: tf.Variable[],
): tf.Tensor1D {
  const total = indices ? indices.length : data.size;
  let sum: tf.Tensor1D | null = null;
  for (let start = 0; start < total; start += chunk) {
    const size = Math.min(chunk, total - start);
    const part = tf.tidy(() => {
      const { x, y } = chunkOf(data, indices, start, size);
      const { grads } = tf.variableGrads(
        () => tf.mul(meanLoss(data.task, y, model.apply(x, { training: true }) as tf.Tensor), size / total),
        variables,
      );
      return tf.concat<tf.Tensor1D>(variables.map((v) => tf.reshape(grads[v.name], [-1])));
    });
    if (sum) {
      const next: tf.Tensor1D = tf.add(sum, part);
      tf.dispose([sum, part]);
      sum = next;
    } else sum = part;
  }
  return sum as tf.Tensor1D;
}

/** The samples of one chunk: a gather by index, or a slice (no copy for the whole set in one chunk). */
function chunkOf(
  data: Dataset,
  indices: Int32Array | null,
  start: number,
  size: number,
): { x: tf.Tensor; y: tf.Tensor } {
  if (indices) {
    const idx = tf.tensor1d(indices.subarray(start, start + size), 'int32');
    return { x: tf.gather(data.x, idx), y: tf.gather(data.y, idx) };
  }
  if (start === 0 && size === data.size) return { x: data.x, y: data.y };
  return { x: tf.slice(data.x, start, size), y: tf.slice(data.y, start, size) };
}
